import { z } from 'zod';
import { ConfigError, describeValue } from '../errors.js';

/** A zod integer rule whose message reads "must be an integer >= min". */
export function intAtLeast(min: number): z.ZodNumber {
  const error = `must be an integer >= ${min}`;
  return z.number({ error }).int({ error }).min(min, { error });
}

/**
 * Parses options with a zod schema and turns the first issue into a ConfigError that names the function,
 * the option and the value received: `makeTfDataset: windowSize must be an integer >= 1; received 0`.
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new ConfigError(`${fn}: unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}${issue.path.length ? ` in ${issue.path.join('.')}` : ''}; check the spelling against the documented options`);
  }
  let value: unknown = input;
  for (const key of issue.path) value = value == null ? undefined : (value as Record<PropertyKey, unknown>)[key as PropertyKey];
  const where = issue.path.length ? issue.path.join('.') : 'options';
  throw new ConfigError(`${fn}: ${where} ${issue.message}; received ${describeValue(value)}`);
}
