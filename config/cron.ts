import cron from 'node-cron';
import { z } from 'zod';

/** A node-cron expression (5 fields, or 6 with seconds first). */
export const cronExpression = z
  .string()
  .refine((s) => cron.validate(s), { message: 'not a valid cron expression (5 fields, or 6 with seconds first)' });
