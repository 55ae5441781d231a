import { createHash } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import { z } from 'zod';
import { canonicalJson } from '../../protocols/index.js';
import { agentConfigSchema, type AgentConfig } from '../../config/agent.js';
import { zodIssues, type ConfigIssue } from '../../config/load.js';
import { mergePatch } from '../../config/merge-patch.js';

/** One pushed layer: a merge patch with the version it came with. */
export interface Layer {
  version: number;
  patch: Record<string, unknown>;
  transaction?: string | undefined;
}

const layer = z.object({ version: z.number().int().positive(), patch: z.record(z.string(), z.unknown()), transaction: z.string().optional() });
const persisted = z.object({ agent: layer.optional(), groups: z.record(z.string(), layer) });
type Layers = z.infer<typeof persisted>;

export type Source = { kind: 'agent' } | { kind: 'group'; name: string };
export const sourceName = (s: Source) => (s.kind === 'agent' ? 'agent' : `group:${s.name}`);

/**
 * The agent's config as layers: the file, then each group's pushed patch in
 * the order of `groups`, then the agent's own pushed patch (the strongest).
 * The last layers that validated are kept on disk (temp file, fsync,
 * rename), so a restart comes back with what was last applied.
 */
export class ConfigStore {
  private layers: Layers = { groups: {} };
  /**
   * Pushed layers that could not be used at start: a file that does not
   * parse (kept aside for inspection), or layers that no longer validate over
   * the config file. Logged, and reported on config/reported.
   */
  discarded: { reason: string; errors: ConfigIssue[] } | undefined;

  constructor(
    /** the config file as parsed (and with the environment applied), before validation */
    private readonly fileRaw: unknown,
    private readonly file: string,
  ) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing pushed yet
      this.discarded = { reason: `pushed config layers unreadable: ${(err as Error).message}`, errors: [] };
      return;
    }
    let problem: string;
    try {
      const r = persisted.safeParse(JSON.parse(text));
      if (r.success) {
        this.layers = r.data;
        return;
      }
      problem = z.prettifyError(r.error).split('\n').slice(0, 3).join('; ');
    } catch (err) {
      problem = `not JSON (${(err as Error).message})`;
    }
    const aside = `${file}.bad-${Date.now()}`;
    try {
      renameSync(file, aside);
    } catch {
      // it stays where it is; the next commit replaces it
    }
    this.discarded = { reason: `pushed config layers on disk are damaged (${problem}): running on the config file; the damaged file is kept as ${aside}`, errors: [] };
  }

  get hasPushed(): boolean {
    return this.layers.agent !== undefined || Object.keys(this.layers.groups).length > 0;
  }

  versions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [g, l] of Object.entries(this.layers.groups)) out[`group:${g}`] = l.version;
    if (this.layers.agent) out['agent'] = this.layers.agent.version;
    return out;
  }

  versionOf(source: Source): number {
    return (source.kind === 'agent' ? this.layers.agent : this.layers.groups[source.name])?.version ?? 0;
  }

  private build(layers: Layers): { ok: true; config: AgentConfig } | { ok: false; errors: ConfigIssue[] } {
    let raw = this.fileRaw;
    // the group order comes from the file with the agent's own patch: groups cannot reorder themselves
    const groupsRaw = (mergePatch(this.fileRaw, layers.agent?.patch ?? {}) as { groups?: unknown }).groups;
    const order = Array.isArray(groupsRaw) ? groupsRaw.filter((g): g is string => typeof g === 'string') : [];
    for (const g of order) if (layers.groups[g]) raw = mergePatch(raw, layers.groups[g].patch);
    if (layers.agent) raw = mergePatch(raw, layers.agent.patch);
    const r = agentConfigSchema.safeParse(raw);
    return r.success ? { ok: true, config: r.data } : { ok: false, errors: zodIssues(r.error) };
  }

  /** The config in force now. */
  effective(): { ok: true; config: AgentConfig } | { ok: false; errors: ConfigIssue[] } {
    return this.build(this.layers);
  }

  /** What the config would be with this push; nothing changes until commit(). */
  propose(source: Source, l: Layer): { ok: true; config: AgentConfig; layers: Layers } | { ok: false; errors: ConfigIssue[] } {
    const current = this.versionOf(source);
    if (l.version <= current) {
      return { ok: false, errors: [{ path: 'version', message: `version ${l.version} is not newer than the applied ${current} (stale or replayed push)` }] };
    }
    const layers: Layers = { agent: this.layers.agent, groups: { ...this.layers.groups } };
    if (source.kind === 'agent') layers.agent = l;
    else layers.groups[source.name] = l;
    const r = this.build(layers);
    return r.ok ? { ...r, layers } : r;
  }

  /** Makes proposed layers the ones in force and durable. */
  commit(layers: Layers): void {
    this.layers = layers;
    writeFileAtomic(this.file, JSON.stringify(layers));
  }

  /** Forgets pushed layers (when they no longer validate against a changed file). */
  reset(): void {
    this.commit({ groups: {} });
  }
}

/** A hash of a config for reports: tells two gateways' configs apart without showing them. */
export function configHash(config: AgentConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}
