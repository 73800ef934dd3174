import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from '../errors.js';
import { LOCK_FILE } from './store-layout.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  token: string;
}

export interface StoreLock {
  /** Throws a `StoreError` unless the lock file on disk is still this lock: checked right before a commit. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** A breaker older than this was left by a process that died while breaking a stale lock. */
const BREAKER_STALE_MS = 10_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock file only if it still holds `seen`, under a second exclusive file (the breaker).
 * Judging "stale" and deleting are two steps: without the breaker, two writers that judged the same dead
 * lock could each delete it, the slower one deleting the lock the faster one had just taken.
 */
async function breakStaleLock(path: string, seen: string): Promise<boolean> {
  const breaker = `${path}.break`;
  let fh;
  try {
    fh = await open(breaker, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await stat(breaker).catch(() => null);
    if (st && Date.now() - st.mtimeMs > BREAKER_STALE_MS) await unlink(breaker).catch(() => {});
    return false;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => null);
    if (now === seen) await unlink(path).catch(() => {});
  } finally {
    await fh.close();
    await unlink(breaker).catch(() => {});
  }
  return true;
}

/**
 * Takes the store's writer lock (an exclusively created file), so concurrent appenders are serialised
 * instead of overwriting each other's `_metadata`. A lock left by a dead process on this host is stale and
 * is taken over; a live holder is waited for up to `timeoutMs`. `file` names another lock of the store
 * (compactions take `_tfpl-compaction.lock`, beside the writers' lock, not instead of it).
 */
export async function acquireStoreLock(dir: string, timeoutMs: number, file: string = LOCK_FILE): Promise<StoreLock> {
  const path = join(dir, file);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomUUID() };
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.sync();
      await fh.close();
      return {
        async assertHeld() {
          const now = await readFile(path, 'utf8').catch(() => '');
          if (!now.includes(me.token)) {
            throw new StoreError(`store ${dir}: this writer's lock ${path} was taken over by another process; nothing was committed, retry the write`, dir);
          }
        },
        release: async () => {
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now.includes(me.token)) await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readFile(path, 'utf8').catch(() => null);
    if (seen === null) continue; // released between our create and our read: try again at once
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(seen) as LockOwner;
    } catch {
      // Being written right now, or left empty by a crash between create and write: judged by age below.
    }
    const stale = owner ? owner.host === me.host && !processAlive(owner.pid) : attempt > 20;
    if (stale) {
      // Another writer is breaking it: give it a moment instead of spinning.
      if (!(await breakStaleLock(path, seen))) await sleep(5);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StoreError(
        `store ${dir} is locked${file === LOCK_FILE ? '' : ` (${file})`} by ${owner ? `pid ${owner.pid} on ${owner.host} since ${owner.since}` : 'another writer'}; ` +
          `wait for it to finish, or delete ${path} if no process is writing to this store`,
        dir,
      );
    }
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 5)));
  }
}
