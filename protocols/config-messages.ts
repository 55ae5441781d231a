import { z } from 'zod';
import { topicSegment } from './ids.js';

const isoTime = z.iso.datetime({ offset: true });

/**
 * `{root}/agents/{agentId}/config/desired` and `{root}/groups/{group}/config/desired`,
 * retained: a JSON merge patch (RFC 7386) over the agent's config file, or a whole config.
 */
export const desiredConfigMessage = z
  .object({
    version: z.number().int().positive(),
    transaction: z.string().max(128).optional(),
    /** merge patch: keys set replace, `null` deletes, objects merge; arrays replace whole */
    config: z.record(z.string(), z.unknown()),
    /** base64 Ed25519 signature over canonicalConfigBytes(target, version, config) */
    signature: z.string().optional(),
  })
  .strict();
export type DesiredConfigMessage = z.infer<typeof desiredConfigMessage>;

/** `{root}/agents/{agentId}/config/reported`, retained. Never carries a secret. */
export const reportedConfigMessage = z.object({
  /** the push this report answers (for a group push, the group's version) */
  version: z.number().int().nonnegative(),
  /** `agent` or `group:<name>` */
  source: z.string(),
  transaction: z.string().optional(),
  status: z.enum(['applied', 'rejected', 'rolled_back']),
  /** sha256 of the effective config now in force (secrets included in the hash, never in the message) */
  hash: z.string(),
  appliedAt: isoTime,
  /** versions in force per source */
  versions: z.record(z.string(), z.number().int().nonnegative()),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  restartRequired: z.array(z.string()).optional(),
});
export type ReportedConfigMessage = z.infer<typeof reportedConfigMessage>;

export const groupName = topicSegment;

/** Canonical JSON (keys sorted at every level): what a signature covers. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The bytes an admin signs: the target (agent:<id> or group:<name>), the version and the patch. */
export function canonicalConfigBytes(target: string, version: number, config: unknown): Buffer {
  return Buffer.from(canonicalJson({ target, version, config }), 'utf8');
}
