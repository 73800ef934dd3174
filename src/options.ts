import { z } from 'zod';
import { ConfigError, describeValue } from './errors.js';

/** A zod integer rule whose message reads "must be an integer >= min". */
export function intAtLeast(min: number): z.ZodNumber {
  const error = `must be an integer >= ${min}`;
  return z.number({ error }).int({ error }).min(min, { error });
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  bigint: 'a bigint',
  array: 'an array',
  object: 'an object',
  function: 'a function',
  date: 'a Date',
};

/** Option keys whose values are secrets, wherever they sit (e.g. `s3.credentials.secretAccessKey`). */
const SECRET_KEY = /credential|secret|token|password/i;

/**
 * Zod's default messages ("Invalid input: expected number, received string") reworded as the rule the option
 * breaks, with the valid values where there is a list. A message set on the schema itself wins over these.
 */
function ruleOf(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string') return Number(issue.minimum) === 1 ? 'must not be empty' : `must have at least ${issue.minimum} characters`;
      return `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      return `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      return 'does not have any of the accepted forms';
    default:
      return undefined;
  }
}

/** The valid keys of an object schema (for "unknown option" messages), or [] when it is not one. */
function keysOf(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const key of path) {
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    s = shape?.[key as string];
    while (s && typeof s === 'object' && 'unwrap' in s && typeof (s as { unwrap: unknown }).unwrap === 'function') s = (s as { unwrap(): unknown }).unwrap();
  }
  const shape = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * The one parse of every options family: validates `input` with its zod schema (types, defaults) and turns the
 * first problem into a `ConfigError` that names the function, the option, the rule with the valid values,
 * and the value received, before any I/O. Fields listed in `secret`, and any field under a key that names a
 * secret (credentials, a secret key, a token, a password), are never echoed.
 *
 * @example
 * const o = parseOptions('makeTfDataset', makeTfDatasetSchema, options);
 * // ConfigError: makeTfDataset: windowSize must be an integer >= 1; received 0
 * // ConfigError: makeTfDataset: normalize must be one of "zscore", "minmax", "none"; received "z"
 * // ConfigError: makeTfDataset: unknown option "windowsize"; valid options: features, targets, windowSize, ...
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, input: unknown, secret: readonly string[] = []): z.output<S> {
  const result = schema.safeParse(input, { error: ruleOf });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const valid = keysOf(schema, issue.path);
    const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
    throw new ConfigError(`${fn}: unknown option ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${where}; valid options: ${valid.join(', ')}`);
  }
  let value: unknown = input;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const where = issue.path.length ? issue.path.join('.') : 'options';
  const shown = secret.includes(issue.path.join('.')) || issue.path.some((k) => SECRET_KEY.test(String(k))) ? '(hidden)' : describeValue(value);
  throw new ConfigError(`${fn}: ${where} ${issue.message}; received ${shown}`);
}
