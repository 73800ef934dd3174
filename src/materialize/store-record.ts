import { StoreError } from '../errors.js';
import type { ThriftObject } from '../store/source-footer.js';
import { keyOf } from './footer-bytes.js';

/**
 * Key of `_metadata`'s key-value metadata under which a store declares the order of the rows of each commit
 * (a JSON array of field names, e.g. `["coin","vs","timestamp"]`): what `compactStore` sorts rewritten rows by.
 */
export const SORT_BY_KEY = 'tfjs-parquet-loader.sort-by.v1';

/**
 * Key under which `_metadata` records the parts a compaction replaced and keeps for readers of older commits:
 * `{ "part-….parquet": { "replacedAt": <epoch ms>, "removeAfter": <epoch ms> }, … }`.
 */
export const REPLACED_PARTS_KEY = 'tfjs-parquet-loader.replaced.v1';

/** A part no longer committed, kept on disk until `removeAfter` for readers that opened an older commit. */
export interface ReplacedPart {
  replacedAt: number;
  removeAfter: number;
}

/** What a store's `_metadata` records beyond its row groups and committed parts, for its writers. */
export interface StoreRecord {
  /** The declared row order, or null when the store declares none (compaction then keeps the row order). */
  sortBy: string[] | null;
  /** Replaced parts still kept, by file. */
  replaced: Map<string, ReplacedPart>;
}

/** Reads the record from the raw footer of `_metadata` (null for an empty folder: an empty record). */
export function readStoreRecord(rawMetadata: ThriftObject | null, where: string): StoreRecord {
  const kv = new Map<string, string>();
  for (const e of (rawMetadata?.field_5 as ThriftObject[] | undefined) ?? []) {
    const v = e.field_2;
    kv.set(keyOf(e), typeof v === 'string' ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : '');
  }
  const parse = (key: string): unknown => {
    const text = kv.get(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new StoreError(`${where}/_metadata: ${key} is not valid JSON (${(err as Error).message}); the store's _metadata was changed outside this SDK: rewrite it with materializeDataset`, where, { cause: err });
    }
  };
  const sortBy = parse(SORT_BY_KEY);
  if (sortBy !== undefined && !(Array.isArray(sortBy) && sortBy.every((k) => typeof k === 'string'))) {
    throw new StoreError(`${where}/_metadata: ${SORT_BY_KEY} must be a JSON array of field names; it holds ${kv.get(SORT_BY_KEY)}`, where);
  }
  const replaced = new Map<string, ReplacedPart>();
  for (const [file, p] of Object.entries((parse(REPLACED_PARTS_KEY) as Record<string, ReplacedPart> | undefined) ?? {})) {
    replaced.set(file, { replacedAt: Number(p.replacedAt), removeAfter: Number(p.removeAfter) });
  }
  return { sortBy: (sortBy as string[] | undefined) ?? null, replaced };
}

/** The record as key-value metadata for a commit (keys without content are left out). */
export function storeRecordKeyValues(record: StoreRecord): Record<string, string> {
  const out: Record<string, string> = {};
  if (record.sortBy) out[SORT_BY_KEY] = JSON.stringify(record.sortBy);
  if (record.replaced.size > 0) out[REPLACED_PARTS_KEY] = JSON.stringify(Object.fromEntries(record.replaced));
  return out;
}

/**
 * Splits the replaced parts at `now`: those whose retention ended (to leave out of the next commit, then
 * delete) and those still kept.
 *
 * @example
 * const { expired, kept } = expireReplaced(record.replaced, Date.now());
 */
export function expireReplaced(replaced: ReadonlyMap<string, ReplacedPart>, now: number): { expired: string[]; kept: Map<string, ReplacedPart> } {
  const expired: string[] = [];
  const kept = new Map<string, ReplacedPart>();
  for (const [file, p] of replaced) {
    if (p.removeAfter <= now) expired.push(file);
    else kept.set(file, p);
  }
  return { expired, kept };
}
