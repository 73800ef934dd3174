import { writeSummaryFiles } from '../../index.js';
import { type Command, EXIT_OK, UsageError, parseCommandArgs } from '../command.js';
import { S3_FLAGS, S3_FLAGS_USAGE, s3OptionsFromFlags } from '../store-flags.js';
import { formatInt, toJson } from '../format.js';

const usage = `Usage: tfpl metadata <dataset> [--json]

Writes _metadata (every row group of every data file) and _common_metadata (the schema) for a Parquet
dataset written by Spark, DuckDB or pyarrow, plain or with Hive key=value folders, like Petastorm's
petastorm-generate-metadata: a folder, or s3://bucket/prefix. The SDK then opens it with one read, and
over HTTP without a file list. Data files are not touched; every file must have the same Parquet schema.

Options:
  --json                  print the result as JSON
${S3_FLAGS_USAGE}
  -h, --help              show this help`;

const command: Command = {
  name: 'metadata',
  summary: 'write _metadata and _common_metadata for a Parquet dataset written by another engine',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, ...S3_FLAGS });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one dataset folder or s3:// URL; received ${positionals.length}`);
    const dir = positionals[0]!;
    const s3 = s3OptionsFromFlags(values);
    const r = await writeSummaryFiles(dir, s3 ? { s3 } : {});
    if (values.json) io.stdout.write(`${toJson({ dataset: dir, ...r })}\n`);
    else io.stdout.write(`Wrote ${dir}/_metadata and ${dir}/_common_metadata: ${formatInt(r.numRows)} rows in ${r.rowGroups} row groups of ${r.files.length} file(s).\n`);
    return EXIT_OK;
  },
};

export default command;
