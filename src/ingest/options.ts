import type { z } from 'zod';
import { ConfigError, describeValue } from '../errors.js';

/**
 * Validates an options object with a zod schema and turns the first problems into one `ConfigError` that names
 * the function, the option, the rule (with the valid values) and the value received. Fields listed in `secret`
 * are never echoed.
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, value: unknown, secret: readonly string[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') return `unknown option ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    let received: unknown = value;
    for (const key of issue.path) received = received && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    const shown = secret.includes(path) ? '(hidden)' : describeValue(received);
    return `${path || 'options'} ${issue.message}; received ${shown}`;
  });
  throw new ConfigError(`${fn}: ${problems.join('; ')}`);
}
