import { type ColumnStatistics, openStore, type StoreField } from '../../index.js';
import { type Command, EXIT_OK, UsageError, parseCommandArgs } from '../command.js';
import { formatBytes, formatInt, formatTable, toJson } from '../format.js';
import { ioOptionsFromFlags, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-flags.js';

const usage = `Usage: tfpl inspect <store> [--json] [--header "Name: value"] [--files a,b] [--range-fallback m] [--fetch-timeout s]

Prints a store's fields (tensor fields with their shape), its row groups with row counts and per-column
min/max, compression and size. <store> is a folder or file path, or an http(s):// URL; stores written by
this SDK, by Python Petastorm, or plain Parquet datasets (with Hive key=value folders) all work.

Options:
  --json                  print everything as JSON
${STORE_FLAGS_USAGE}
  -h, --help              show this help`;

function formatStat(v: ColumnStatistics['min'], dtype: string): string {
  if (v === null) return '-';
  if (dtype === 'timestamp' && typeof v === 'number') return new Date(v).toISOString().replace('.000Z', 'Z');
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(7)));
  return String(v);
}

/** `[32, 16, 3]` for a tensor field ('None' for a variable dimension), '-' for a scalar. */
function shapeOf(f: StoreField): string {
  return f.shape.length ? `[${f.shape.map((d) => d ?? 'None').join(', ')}]` : '-';
}

const WRITERS = { 'tfjs-parquet-loader': 'this SDK', petastorm: 'Python Petastorm', parquet: 'another Parquet writer (schema inferred from the Parquet types)' };

const command: Command = {
  name: 'inspect',
  summary: 'print the fields, row groups (rows, min/max), compression and size of any store, local or remote',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, ...STORE_FLAGS });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store (a path or URL); received ${positionals.length}`);
    const store = await openStore(positionals[0]!, ioOptionsFromFlags(values));
    if (values.json) {
      const { location: _location, schema, ...description } = store;
      io.stdout.write(`${toJson({ ...description, schema: schema?.toJSON() ?? null })}\n`);
      return EXIT_OK;
    }
    const out: string[] = [];
    out.push(`Store ${store.url}`);
    out.push(
      `  ${formatInt(store.numRows)} rows, ${store.rowGroups.length} row groups, ${store.files.length} files, ${formatBytes(store.byteLength)}, ` +
        `compression ${store.compression.join('/') || '-'}${store.summary === 'metadata' ? ', indexed by _metadata' : ', no _metadata (footers read)'}`,
    );
    if (store.uncommittedFiles.length > 0) out.push(`  ${store.uncommittedFiles.length} data file(s) not in _metadata (left by an interrupted writer): ${store.uncommittedFiles.join(', ')}`);
    out.push('', `Schema ${store.name}, written by ${WRITERS[store.writer]}`);
    out.push(
      formatTable(
        ['field', 'dtype', 'shape', 'codec', 'nullable'],
        store.fields.map((f) => [f.partition ? `${f.name} (partition)` : f.name, f.dtype, shapeOf(f), f.codec, f.nullable ? 'yes' : 'no']),
      ),
    );
    const scalar = store.fields.filter((f) => f.codec === 'scalar' && f.dtype !== 'bool' && f.dtype !== 'nested' && f.dtype !== 'bytes');
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
            const s = rg.stats[f.name];
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
