import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from '../errors.js';
import { LOCK_FILE } from './store-layout.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface StoreLock {
  release(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the store's writer lock (an exclusively created file), so concurrent appenders are serialised
 * instead of overwriting each other's `_metadata`. A lock left by a dead process on this host is stale and
 * is taken over; a live holder is waited for up to `timeoutMs`.
 */
export async function acquireStoreLock(dir: string, timeoutMs: number): Promise<StoreLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.sync();
      await fh.close();
      return { release: () => unlink(path).catch(() => {}) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    } catch {
      // Being written right now, or left empty by a crash between create and write: judge by age.
    }
    const stale = owner ? owner.host === me.host && !processAlive(owner.pid) : attempt > 20;
    if (stale) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new StoreError(
        `store ${dir} is locked by ${owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since}` : 'another writer'}; ` +
          `wait for it to finish, or delete ${path} if no process is writing to this store`,
        dir,
      );
    }
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 5)));
  }
}
