import { type ColumnStatistics, openStore } from '../../index.js';
import { type Command, EXIT_OK, UsageError, parseCommandArgs } from '../command.js';
import { formatBytes, formatInt, formatTable, toJson } from '../format.js';

const usage = `Usage: tfpl inspect <store> [--json]

Prints a store's schema, its row groups with row counts and per-column min/max, compression and size.

Options:
  --json       print everything as JSON
  -h, --help   show this help`;

function formatStat(v: ColumnStatistics['min'], dtype: string): string {
  if (v === null) return '-';
  if (dtype === 'timestamp' && typeof v === 'number') return new Date(v).toISOString().replace('.000Z', 'Z');
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(7)));
  return String(v);
}

const command: Command = {
  name: 'inspect',
  summary: 'print the schema, row groups (rows, min/max), compression and size of a store',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store directory; received ${positionals.length}`);
    const store = await openStore(positionals[0]!);
    if (values.json) {
      io.stdout.write(`${toJson({ ...store, schema: store.schema.toJSON() })}\n`);
      return EXIT_OK;
    }
    const out: string[] = [];
    out.push(`Store ${store.path}`);
    out.push(
      `  ${formatInt(store.numRows)} rows, ${store.rowGroups.length} row groups, ${store.files.length} files, ${formatBytes(store.byteLength)}, ` +
        `compression ${store.compression.join('/')}${store.fromMetadataFile ? ', indexed by _metadata' : ', no _metadata (footers read)'}`,
    );
    out.push('', `Schema ${store.schema.name}${store.schemaInferred ? ' (inferred: the store has no tfjs-parquet-loader schema)' : ''}`);
    out.push(
      formatTable(
        ['field', 'dtype', 'shape', 'codec', 'nullable'],
        store.schema.fields.map((f) => [f.name, f.dtype, f.shape.length ? `[${f.shape.map((d) => d ?? 'None').join(', ')}]` : '-', f.codec, f.nullable ? 'yes' : 'no']),
      ),
    );
    const scalar = store.schema.fields.filter((f) => f.codec === 'scalar' && f.dtype !== 'string' && f.dtype !== 'bool');
    out.push('', 'Row groups (min..max per column)');
    out.push(
      formatTable(
        ['#', 'file', 'rg', 'rows', 'bytes', ...scalar.map((f) => f.name)],
        store.rowGroups.map((rg, i) => [
          String(i),
          rg.file.length > 24 ? `${rg.file.slice(0, 21)}...` : rg.file,
          String(rg.index),
          formatInt(rg.numRows),
          formatBytes(rg.byteLength),
          ...scalar.map((f) => {
            const s = rg.columns[f.name];
            return s ? `${formatStat(s.min, f.dtype)}..${formatStat(s.max, f.dtype)}${s.nullCount ? ` (${s.nullCount} null)` : ''}` : '-';
          }),
        ]),
        [true, false, true, true, true],
      ),
    );
    io.stdout.write(`${out.join('\n')}\n`);
    return EXIT_OK;
  },
};

export default command;
