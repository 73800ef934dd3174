import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChunkCache, ChunkCacheStats } from '../store/chunk-cache.js';
import { crc32 } from './crc32.js';

const MAGIC = new TextEncoder().encode('TFPLCC01');
/** magic, key length, payload length, payload CRC-32. */
const HEADER = MAGIC.length + 12;
const TMP_SUFFIX = '.tmp';
/** A temporary file older than this belongs to a process that died while writing it. */
const STALE_TMP_MS = 60_000;

/** An entry file: its header, its key (so a reader can tell it holds what it asked for) and the bytes. */
function encodeEntry(key: Uint8Array, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + key.length + bytes.length);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(MAGIC.length, key.length, true);
  dv.setUint32(MAGIC.length + 4, bytes.length, true);
  dv.setUint32(MAGIC.length + 8, crc32(bytes), true);
  out.set(key, HEADER);
  out.set(bytes, HEADER + key.length);
  return out;
}

/** The bytes of an entry file, or null when it is not a whole, undamaged entry of `key`. */
function decodeEntry(file: Uint8Array, key: Uint8Array): Uint8Array | null {
  if (file.length < HEADER || MAGIC.some((b, i) => file[i] !== b)) return null;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const keyLength = dv.getUint32(MAGIC.length, true);
  const length = dv.getUint32(MAGIC.length + 4, true);
  if (file.length !== HEADER + keyLength + length || keyLength !== key.length) return null;
  for (let i = 0; i < keyLength; i++) if (file[HEADER + i] !== key[i]) return null;
  // A plain array of its own (not a view into the Buffer readFile gave, whose slice() would not copy).
  const bytes = new Uint8Array(file.buffer, file.byteOffset + HEADER + keyLength, length).slice();
  return crc32(bytes) === dv.getUint32(MAGIC.length + 8, true) ? bytes : null;
}

/**
 * A cache of remote bytes in files under one folder, shared by the processes that open it. Each entry is
 * one file named by the SHA-256 of its key, written to a temporary name and renamed (a reader sees a whole
 * entry or none) and checked when read: its key and the CRC-32 of its bytes must match, else it is deleted
 * and counted as damaged, and the bytes are fetched again. A hit refreshes the file's modification time;
 * past `bytes`, the least recently used files are deleted. Each process counts the folder again after
 * writing a tenth of the limit, so processes sharing it stay within the limit plus at most a tenth of it
 * per process writing at the same time.
 *
 * @example
 * const cache = diskChunkCache('/var/cache/tfpl', 10 * 2 ** 30);
 */
export function diskChunkCache(dir: string, limit: number): ChunkCache {
  const stats: ChunkCacheStats = { hits: 0, misses: 0, bytesServed: 0, damaged: 0, bytesHeld: 0 };
  const utf8 = new TextEncoder();
  const pathOf = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex')}.chunk`);
  let ready: Promise<void> | null = null;
  let evicting: Promise<void> | null = null;
  /** Bytes this process wrote since it last counted the folder (the others' writes it cannot see). */
  let sinceCount = 0;
  const ensure = () => (ready ??= mkdir(dir, { recursive: true }).then(() => evict()));

  /** Counts the folder and deletes the least recently used entries until it is under 90 % of the limit. */
  async function evict(): Promise<void> {
    const now = Date.now();
    const files: { path: string; size: number; mtime: number }[] = [];
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const st = await stat(path).catch(() => null);
      if (!st?.isFile()) continue;
      if (name.endsWith(TMP_SUFFIX)) {
        if (now - st.mtimeMs > STALE_TMP_MS) await unlink(path).catch(() => {});
        continue;
      }
      if (name.endsWith('.chunk')) files.push({ path, size: st.size, mtime: st.mtimeMs });
    }
    sinceCount = 0;
    let held = files.reduce((s, f) => s + f.size, 0);
    if (held > limit) {
      files.sort((a, b) => a.mtime - b.mtime);
      for (const f of files) {
        if (held <= limit * 0.9) break;
        await unlink(f.path).catch(() => {});
        held -= f.size;
      }
    }
    stats.bytesHeld = held;
  }

  return {
    description: `disk cache of ${limit} bytes in ${dir}`,
    stats,
    async get(key) {
      await ensure();
      const path = pathOf(key);
      let file: Uint8Array;
      try {
        file = await readFile(path);
      } catch {
        stats.misses++;
        return undefined;
      }
      const bytes = decodeEntry(file, utf8.encode(key));
      if (!bytes) {
        // Damaged (or cut short by a disk that filled up): drop it, so the bytes are fetched and written anew.
        stats.damaged++;
        stats.misses++;
        await unlink(path).catch(() => {});
        return undefined;
      }
      stats.hits++;
      stats.bytesServed += bytes.length;
      const now = new Date();
      await utimes(path, now, now).catch(() => {});
      return bytes;
    },
    async put(key, bytes) {
      if (bytes.length + HEADER > limit) return;
      await ensure();
      const path = pathOf(key);
      const tmp = `${path}.${randomUUID()}${TMP_SUFFIX}`;
      const entry = encodeEntry(utf8.encode(key), bytes);
      try {
        await writeFile(tmp, entry);
        await rename(tmp, path);
      } catch {
        // A full or read-only disk makes the cache useless, never the read: the bytes were fetched already.
        await unlink(tmp).catch(() => {});
        return;
      }
      stats.bytesHeld += entry.length;
      sinceCount += entry.length;
      if ((stats.bytesHeld > limit || sinceCount > limit / 10) && !evicting) {
        evicting = evict().finally(() => {
          evicting = null;
        });
        await evicting;
      }
    },
  };
}
