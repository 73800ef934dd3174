import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let connection: Promise<DuckDBConnection> | undefined;

/** Runs SQL on a shared in-memory DuckDB: the independent Parquet reader that checks what we write. */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  const reader = await (await connection).runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** Quotes a path for a DuckDB string literal. */
export function lit(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
