import type { z } from 'zod';
import { describeValue } from '../errors.js';

/** First problem of a failed zod parse of a response body, as "field x.y is missing" / "... must be ...; received ...". */
export function describeResponseIssue(error: z.ZodError, body: unknown): string {
  const issue = error.issues[0]!;
  let value: unknown = body;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const path = issue.path.map(String).join('.') || '(body)';
  if (value === undefined) return `field ${path} is missing`;
  return `field ${path} ${issue.message}; received ${describeValue(value)}`;
}
