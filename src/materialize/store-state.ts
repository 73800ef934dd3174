import type { FileMetaData, RowGroup } from 'hyparquet';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaError, StoreError } from '../errors.js';
import { SCHEMA_METADATA_KEY, Unischema } from '../schema/unischema.js';
import { keyValues, readFooter } from './footer.js';
import { COMMON_METADATA_FILE, METADATA_FILE, isDataFileName } from './store-layout.js';
import { rowGroupsWithFilePath } from './summary-metadata.js';

/** What is committed in a store directory, read from `_metadata` when present, else from the part footers. */
export interface StoreState {
  /** Data files of the committed state, relative to the store root, in commit order. */
  files: string[];
  /** Row groups of all files in order, each column chunk carrying `file_path`. */
  rowGroups: RowGroup[];
  /** The schema written by this SDK, or null for a store written by another tool. */
  schema: Unischema | null;
  /** A footer to take the Parquet schema and key-value metadata from. */
  template: FileMetaData | null;
  /** Data files on disk that `_metadata` does not list (left by a crashed commit). */
  uncommitted: string[];
  hasMetadataFile: boolean;
}

/** Lists data file names of a directory in name order, or [] when it does not exist. */
export async function listDataFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isDataFileName).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function schemaFromFooter(meta: FileMetaData, file: string): Unischema | null {
  const json = keyValues(meta)[SCHEMA_METADATA_KEY];
  if (json === undefined) return null;
  try {
    return Unischema.fromJSON(JSON.parse(json));
  } catch (err) {
    throw new SchemaError(`${file}: key ${SCHEMA_METADATA_KEY} does not hold a valid schema: ${(err as Error).message}`, { file }, { cause: err });
  }
}

async function footerOrError(path: string) {
  try {
    return await readFooter(path);
  } catch (err) {
    throw new StoreError(`${path}: cannot read the Parquet footer (${(err as Error).message}); the file is not a complete Parquet file`, path, { cause: err });
  }
}

export async function readStoreState(dir: string): Promise<StoreState> {
  const onDisk = await listDataFiles(dir);
  let meta: FileMetaData | null = null;
  try {
    meta = (await readFooter(join(dir, METADATA_FILE))).metadata;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StoreError(`${join(dir, METADATA_FILE)}: cannot read the store summary (${(err as Error).message}); delete it to rebuild the store from its part files`, dir, { cause: err });
    }
  }
  if (meta) {
    const files: string[] = [];
    for (const rg of meta.row_groups) {
      const f = rg.columns[0]?.file_path;
      if (f && files[files.length - 1] !== f && !files.includes(f)) files.push(f);
    }
    let schema = schemaFromFooter(meta, join(dir, METADATA_FILE));
    if (!schema) {
      try {
        schema = schemaFromFooter((await readFooter(join(dir, COMMON_METADATA_FILE))).metadata, join(dir, COMMON_METADATA_FILE));
      } catch {
        // A foreign store may have no _common_metadata.
      }
    }
    const listed = new Set(files);
    return { files, rowGroups: meta.row_groups, schema, template: meta, uncommitted: onDisk.filter((f) => !listed.has(f)), hasMetadataFile: true };
  }
  const rowGroups: RowGroup[] = [];
  let template: FileMetaData | null = null;
  let schema: Unischema | null = null;
  for (const fileName of onDisk) {
    const { metadata } = await footerOrError(join(dir, fileName));
    template ??= metadata;
    schema ??= schemaFromFooter(metadata, join(dir, fileName));
    rowGroups.push(...rowGroupsWithFilePath({ fileName, metadata }));
  }
  return { files: onDisk, rowGroups, schema, template, uncommitted: [], hasMetadataFile: false };
}
