import { COINGECKO_EXPORT_LAYOUT, BitcoinSchema } from '../../forecasting/index.js';
import { importCsv } from '../../index.js';
import { type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { formatInt, toJson } from '../format.js';
import { S3_FLAGS, S3_FLAGS_USAGE, s3OptionsFromFlags } from '../store-flags.js';

const usage = `Usage: tfpl materialize <csv> --store <dir | s3://bucket/prefix> [options]

Imports a price CSV into a schema-checked Parquet store (BitcoinSchema). The layout is detected from the
header: the collector's CSV (timestamp,price_usd,market_cap,price_change_24h,total_volume) or CoinGecko's
website export (snapped_at,price,market_cap,total_volume).

Options:
  --store <dir>              store directory or s3://bucket/prefix (required)
  --mode <m>                 create (default: fails if the store has data) | append | overwrite
  --row-group-size <n>       rows per Parquet row group (default 65536)
  --max-rows-per-file <n>    rows per part file (default 1048576)
  --compression <c>          zstd (default) | snappy | none
  --sort-by <field>          sort the rows by a field first (e.g. timestamp; holds the file in memory)
  --skip-invalid             write the good rows and report bad lines instead of stopping at the first
  --json                     print the result as JSON
${S3_FLAGS_USAGE}
  -h, --help                 show this help`;

const command: Command = {
  name: 'materialize',
  summary: 'import a price CSV into a schema-checked Parquet store',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      store: { type: 'string' },
      mode: { type: 'string' },
      'row-group-size': { type: 'string' },
      'max-rows-per-file': { type: 'string' },
      compression: { type: 'string' },
      'sort-by': { type: 'string' },
      'skip-invalid': { type: 'boolean' },
      json: { type: 'boolean' },
      ...S3_FLAGS,
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one CSV file; received ${positionals.length}`);
    if (!values.store) throw new UsageError('--store <dir> is required');
    const modes = ['create', 'append', 'overwrite'];
    if (values.mode !== undefined && !modes.includes(values.mode)) throw new UsageError(`--mode must be one of ${modes.join(', ')}; received ${JSON.stringify(values.mode)}`);
    const compressions = ['zstd', 'snappy', 'none'];
    if (values.compression !== undefined && !compressions.includes(values.compression)) throw new UsageError(`--compression must be one of ${compressions.join(', ')}; received ${JSON.stringify(values.compression)}`);
    const result = await importCsv(positionals[0]!, values.store, BitcoinSchema, {
      layouts: [COINGECKO_EXPORT_LAYOUT],
      mode: values.mode as 'create' | undefined,
      rowGroupSize: intFlag('row-group-size', values['row-group-size']),
      maxRowsPerFile: intFlag('max-rows-per-file', values['max-rows-per-file']),
      compression: values.compression as 'zstd' | undefined,
      sortBy: values['sort-by']?.split(','),
      skipInvalid: values['skip-invalid'] ?? false,
      ...(s3OptionsFromFlags(values) ? { s3: s3OptionsFromFlags(values) } : {}),
    });
    if (values.json) {
      io.stdout.write(`${toJson({ store: values.store, ...result })}\n`);
      return EXIT_OK;
    }
    io.stdout.write(
      `Wrote ${formatInt(result.numRows)} rows (${result.layout} layout) in ${result.rowGroups} row groups, ${result.files.length} part file(s) to ${values.store}; ` +
        `the store now holds ${formatInt(result.storeRows)} rows.\n`,
    );
    if (result.skipped > 0) {
      io.stdout.write(`Skipped ${formatInt(result.skipped)} invalid line(s)${result.skipped > result.skippedLines.length ? `; the first ${result.skippedLines.length}` : ''}:\n`);
      for (const s of result.skippedLines) io.stdout.write(`  line ${s.line}: ${s.reason}\n`);
    }
    return EXIT_OK;
  },
};

export default command;
