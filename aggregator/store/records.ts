import { z } from 'zod';
import { pointCategory, reportedConfigMessage } from '../../protocols/index.js';

/**
 * The records the centre keeps as JSON in a column (agents, losses, the
 * plan): one schema each, used to read them back at start, so a row changed
 * by hand or by an older version is refused with a reason, not trusted.
 */

export const agentConfigReport = z.object({
  version: z.number().int().nonnegative(),
  source: z.string(),
  status: reportedConfigMessage.shape.status,
  appliedAt: z.string(),
  errors: z.number().int().nonnegative(),
});
export type AgentConfigReport = z.infer<typeof agentConfigReport>;

export const agentRecord = z.object({
  agentId: z.string(),
  online: z.boolean(),
  session: z.string().nullable(),
  /** the agent's own start time (its clock), from its birth */
  startedAt: z.number().nullable(),
  /** centre time of the last state change */
  since: z.number(),
  site: z.string().nullable(),
  region: z.string().nullable(),
  agentVersion: z.string().nullable(),
  /**
   * The agent's session came back after the centre had marked it offline: once
   * every seq up to `upToSeq` has arrived, the span [from, to) is proven and
   * its cameras kept their states through it (docs/domain.md §1).
   */
  pendingProof: z.object({ session: z.string(), upToSeq: z.number(), from: z.number(), to: z.number() }).optional(),
  /** what the agent said of the last config push (its retained config/reported) */
  config: agentConfigReport.optional(),
});
export type AgentRecord = z.infer<typeof agentRecord>;

/** Events an agent itself dropped (outbox full), as it reported them. */
/** Events an agent told the centre it lost: its outbox overflowed (events_dropped), or a crash tore records (events_lost, with `cause`). */
export const lossRecord = z.object({
  agentId: z.string(),
  count: z.number(),
  cause: z.enum(['outbox_full', 'torn_record', 'unreadable_record']).optional(),
  from: z.unknown(),
  to: z.unknown(),
  events: z.array(z.unknown()).optional(),
  reportedAt: z.string(),
});
export type LossRecord = z.infer<typeof lossRecord>;

export const planPointRecord = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  category: pointCategory,
  gbId: z.string().optional(),
  required: z.number().int().positive(),
});
