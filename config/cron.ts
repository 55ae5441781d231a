import cron from 'node-cron';
import { z } from 'zod';

// node-cron expands ranges and steps into arrays: a step like */9007199254740993
// makes V8 abort the whole process (found by fuzzing). Every number in an
// expression is therefore held to two digits before node-cron sees it.
const FIELD = /^(\*|[0-9]{1,2}|[a-z]{3})(-([0-9]{1,2}|[a-z]{3}))?(\/[0-9]{1,2})?$/i;

/** True when every field is made of small numbers, names, `*`, ranges, steps and lists. */
export function cronShapeOk(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  return fields.every((f) => f.split(',').every((part) => FIELD.test(part)));
}

/** A node-cron expression (5 fields, or 6 with seconds first). */
export const cronExpression = z
  .string()
  .max(200)
  .refine((s) => cronShapeOk(s) && cron.validate(s), { message: 'not a valid cron expression (5 fields, or 6 with seconds first)' });
