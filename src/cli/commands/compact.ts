import { compactStore } from '../../index.js';
import { type Command, EXIT_FAILURE, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { formatInt, toJson } from '../format.js';
import { S3_FLAGS, S3_FLAGS_USAGE, s3OptionsFromFlags } from '../store-flags.js';

const usage = `Usage: tfpl compact <store> [options]

Rewrites the small parts of a store written by this SDK (parts whose row groups all hold fewer than
--row-group-size rows, such as tfpl ingest --store's one part per tick) into parts of full row groups,
sorted as the store declares; other parts are left alone, values and row counts never change. Safe while
readers and writers run: appends committed meanwhile are kept, and the replaced parts stay for --retention
seconds so that readers of an older commit can finish (a later write or compaction removes them).

Options:
  --row-group-size <n>       rows per row group of the rewritten parts (default 65536)
  --max-rows-per-file <n>    rows per rewritten part (default 1048576)
  --retention <sec>          keep replaced parts this long for readers of older commits (default 600; 0: remove at once)
  --json                     print the result as JSON
${S3_FLAGS_USAGE}
  -h, --help                 show this help`;

const plural = (n: number, word: string) => `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;

const command: Command = {
  name: 'compact',
  summary: 'rewrite the small parts of a store into full row groups, safely while it is read and written',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      'row-group-size': { type: 'string' },
      'max-rows-per-file': { type: 'string' },
      retention: { type: 'string' },
      json: { type: 'boolean' },
      ...S3_FLAGS,
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store folder or s3:// URL; received ${positionals.length}`);
    const store = positionals[0]!;
    let retentionMs: number | undefined;
    if (values.retention !== undefined) {
      const seconds = Number(values.retention);
      if (!Number.isFinite(seconds) || seconds < 0 || values.retention.trim() === '') throw new UsageError(`--retention must be a number of seconds >= 0; received ${JSON.stringify(values.retention)}`);
      retentionMs = Math.round(seconds * 1000);
    }
    const s3 = s3OptionsFromFlags(values);
    const r = await compactStore(store, {
      rowGroupSize: intFlag('row-group-size', values['row-group-size']),
      maxRowsPerFile: intFlag('max-rows-per-file', values['max-rows-per-file']),
      retentionMs,
      ...(s3 ? { s3 } : {}),
    });
    if (values.json) {
      io.stdout.write(`${toJson({ store, ...r })}\n`);
      return r.outcome === 'conflict' ? EXIT_FAILURE : EXIT_OK;
    }
    const earlier = r.removed.filter((f) => !r.replaced.includes(f));
    const removed = earlier.length > 0 ? `; removed ${plural(earlier.length, 'part')} replaced earlier, their retention over` : '';
    if (r.outcome === 'conflict') {
      io.stderr.write(`tfpl compact: ${store} was not compacted: ${r.reason}; nothing was committed: run it again\n`);
      return EXIT_FAILURE;
    }
    if (r.outcome === 'unchanged') {
      io.stdout.write(`Nothing to compact in ${store}: ${r.reason}${removed}.\n`);
      return EXIT_OK;
    }
    const kept = r.removed.length > earlier.length ? ', removed' : `, kept ${(retentionMs ?? 600_000) / 1000} s for readers of older commits`;
    io.stdout.write(
      `Compacted ${store}: ${plural(r.before.parts, 'part')} (${plural(r.before.rowGroups, 'row group')}) → ${plural(r.after.parts, 'part')} (${plural(r.after.rowGroups, 'row group')}); ` +
        `${formatInt(r.rowsRewritten)} rows rewritten from ${plural(r.replaced.length, 'small part')}${kept}${removed}.\n`,
    );
    return EXIT_OK;
  },
};

export default command;
