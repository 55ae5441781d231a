import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { topicSegment } from '../../protocols/index.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import type { CameraTarget } from './camera-target.js';

const knownCamera = z.object({
  id: topicSegment,
  xaddr: z.string().min(1).max(2048),
  endpoint: z.string().min(1).max(1024),
  /** when a discovery round last saw it (ms epoch) */
  lastSeen: z.number().int().nonnegative(),
});
type KnownCamera = z.infer<typeof knownCamera>;
const knownFile = z.object({ version: z.literal(1), cameras: z.array(knownCamera).max(100_000) });

/**
 * The cameras discovery found, kept in the state directory: an agent that
 * restarts goes on checking them (and turns a dead one offline) instead of
 * forgetting it until it answers a probe again. A camera no discovery has
 * seen for `forgetAfter` is forgotten explicitly by the caller.
 */
export class KnownCameras {
  private readonly cameras = new Map<string, KnownCamera>();

  constructor(private readonly deps: { file: string; log: Logger }) {}

  /** Reads the file; a missing one is an empty list, a bad one is logged and set aside. */
  load(): CameraTarget[] {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.deps.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.warn({ file: this.deps.file, err: { message: (err as Error).message } }, 'discovered cameras file unreadable: starting from what discovery finds now');
      return [];
    }
    const r = knownFile.safeParse(raw);
    if (!r.success) {
      this.deps.log.warn({ file: this.deps.file, problem: z.prettifyError(r.error).slice(0, 300) }, 'discovered cameras file not understood: starting from what discovery finds now');
      return [];
    }
    for (const c of r.data.cameras) this.cameras.set(c.id, c);
    return r.data.cameras.map(toTarget);
  }

  /** Records the discovered targets as they are now; those in `seen` were seen at `at`. */
  update(targets: Iterable<CameraTarget>, seen: ReadonlySet<string>, at: number): void {
    const next = new Map<string, KnownCamera>();
    for (const t of targets) {
      if (t.origin !== 'discovery' || !t.xaddr || !t.endpoint) continue;
      const lastSeen = seen.has(t.id) ? at : (this.cameras.get(t.id)?.lastSeen ?? at);
      next.set(t.id, { id: t.id, xaddr: t.xaddr, endpoint: t.endpoint, lastSeen });
    }
    this.cameras.clear();
    for (const [k, v] of next) this.cameras.set(k, v);
    this.save();
  }

  /** Ids of the cameras no discovery has seen since `before`. */
  unseenSince(before: number): string[] {
    return [...this.cameras.values()].filter((c) => c.lastSeen < before).map((c) => c.id);
  }

  forget(ids: Iterable<string>): void {
    let changed = false;
    for (const id of ids) changed = this.cameras.delete(id) || changed;
    if (changed) this.save();
  }

  get size(): number {
    return this.cameras.size;
  }

  private save(): void {
    try {
      writeFileAtomic(this.deps.file, JSON.stringify({ version: 1, cameras: [...this.cameras.values()] }));
    } catch (err) {
      this.deps.log.warn({ file: this.deps.file, err: { message: (err as Error).message } }, 'discovered cameras not written: a restart would forget them');
    }
  }
}

function toTarget(c: KnownCamera): CameraTarget {
  return { id: c.id, gbId: null, name: null, xaddr: c.xaddr, endpoint: c.endpoint, rtspUrl: undefined, credentialName: undefined, pointId: null, category: null, origin: 'discovery' };
}
