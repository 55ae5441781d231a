import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { FRAME_LIMITS } from '../../protocols/index.js';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { RungResult } from '../../protocols/index.js';
import type { PictureSettings, PictureThresholds } from '../../config/picture.js';
import { analysePicture, type PictureInput, type PictureMetrics, type PictureResult } from '../adapters/picture.js';
import { faultsOf, inNightWindow, judgePicture, pictureRung, type PictureFault, type Verdict } from './picture-faults.js';

/** What the agent keeps per camera between picture checks (on disk, so a restart keeps it). */
const memorySchema = z.object({
  /** blur of healthy checks, until the baseline is set */
  blurSamples: z.array(z.number()),
  blurBaseline: z.number().nullable(),
  hasReference: z.boolean(),
  /** consecutive checks that saw (positive) or did not see (negative) each fault */
  streaks: z.record(z.string(), z.number()),
  /** faults that count, after confirmChecks checks agreed */
  confirmed: z.array(z.object({ fault: z.string(), value: z.number().nullable(), threshold: z.number().nullable() })),
});
type Memory = Omit<z.infer<typeof memorySchema>, 'confirmed'> & { confirmed: PictureFault[] };

export interface PictureOutcome {
  rung: RungResult;
  faults: PictureFault[];
  verdicts: Verdict[];
  metrics: PictureMetrics | null;
  /** the analysed frame as a small JPEG (when evidence is on for the camera and the check decoded one) */
  evidence?: Buffer | undefined;
  /** this check captured the camera's reference frame (its evidence is that frame) */
  referenceCaptured?: boolean | undefined;
}

const safe = (id: string) => id.replace(/[^A-Za-z0-9_.:-]/g, '_');

/**
 * The picture rung for every camera: runs the analysis, judges it against the
 * camera's thresholds and its own learnt baseline and reference frame, and
 * confirms faults over `confirmChecks` checks before they count (and before
 * they clear).
 */
export class PictureWatch {
  private readonly memories = new Map<string, Memory>();

  constructor(
    private readonly deps: {
      dir: string;
      settings: () => PictureSettings;
      thresholdsOf: (cameraId: string) => PictureThresholds;
      log: Logger;
      now: () => number;
      /** runs the analysis (the agent: in a group of cameras sharing one ffmpeg); `started` when its ffmpeg starts. Default: an ffmpeg of its own */
      analyse?: (input: PictureInput, deadlineMs: number, started: () => void) => Promise<PictureResult>;
      /** whether the analysed frame is kept as evidence for this camera (evidence.frames) */
      evidence?: ((cameraId: string) => boolean) | undefined;
    },
  ) {
    mkdirSync(deps.dir, { recursive: true });
  }

  private file(id: string, ext: string) {
    return path.join(this.deps.dir, `${safe(id)}.${ext}`);
  }

  private memory(id: string): Memory {
    let m = this.memories.get(id);
    if (!m) {
      let stored: unknown;
      try {
        stored = JSON.parse(readFileSync(this.file(id, 'json'), 'utf8'));
      } catch {
        stored = undefined; // none yet, or unreadable
      }
      const r = memorySchema.safeParse(stored);
      if (!r.success && stored !== undefined) this.deps.log.warn({ camera: id }, 'picture memory on disk not understood: learning the baseline again');
      m = r.success ? (r.data as Memory) : { blurSamples: [], blurBaseline: null, hasReference: false, streaks: {}, confirmed: [] };
      this.memories.set(id, m);
    }
    return m;
  }

  private save(id: string, m: Memory): void {
    const f = this.file(id, 'json');
    writeFileSync(`${f}.tmp`, JSON.stringify(m));
    renameSync(`${f}.tmp`, f);
  }

  /** Forgets a camera's baseline and reference (it was replaced or re-aimed on purpose). */
  forget(id: string): void {
    this.memories.delete(id);
    for (const ext of ['json', 'png']) rmSync(this.file(id, ext), { force: true });
  }

  async check(cameraId: string, url: string, secrets: string[], started: () => void = () => undefined, stream: { allowBasic?: boolean } = {}): Promise<PictureOutcome> {
    const s = this.deps.settings();
    const mem = this.memory(cameraId);
    const refFile = this.file(cameraId, 'png');
    const candidate = `${refFile}.new.png`;
    // a reference frame removed from disk is captured again rather than failing every check
    if (mem.hasReference && !existsSync(refFile)) mem.hasReference = false;
    const evidenceFile = this.deps.evidence?.(cameraId) ? this.file(cameraId, 'evidence.jpg') : undefined;
    const input: PictureInput = { url, secrets, allowBasic: stream.allowBasic, referencePng: mem.hasReference ? refFile : undefined, captureReferenceTo: mem.hasReference ? undefined : candidate, evidenceJpeg: evidenceFile };
    const r = this.deps.analyse
      ? await this.deps.analyse(input, s.deadlineMs, started)
      : await (started(), analysePicture({ ...input, seconds: s.seconds, keyframes: s.keyframes, deadlineMs: s.deadlineMs }));
    const evidence = evidenceFile ? this.takeEvidence(cameraId, evidenceFile) : undefined;
    if (!r.ok) {
      rmSync(candidate, { force: true });
      return { rung: { rung: 'picture', ok: false, ms: Math.round(r.ms), reason: r.reason === 'timeout' || r.reason === 'busy' ? r.reason : 'no_video', detail: r.detail, at: new Date().toISOString() }, faults: mem.confirmed, verdicts: [], metrics: null };
    }
    const verdicts = judgePicture(r.metrics, this.deps.thresholdsOf(cameraId), { blurBaseline: mem.blurBaseline, night: inNightWindow(this.deps.now(), s.nightFrom, s.nightTo) });
    const seen = faultsOf(verdicts);
    // learn from healthy checks only: the baseline of a blurred camera would hide its blur
    let referenceCaptured = false;
    if (seen.length === 0) {
      if (!mem.hasReference) {
        try {
          renameSync(candidate, refFile);
          mem.hasReference = true;
          referenceCaptured = true;
        } catch {
          // no frame was written: try again next time
        }
      }
      if (mem.blurBaseline === null && r.metrics.blur !== null) {
        mem.blurSamples.push(r.metrics.blur);
        if (mem.blurSamples.length >= s.baselineChecks) {
          const sorted = [...mem.blurSamples].sort((a, b) => a - b);
          mem.blurBaseline = sorted[Math.floor(sorted.length / 2)]!;
          this.deps.log.info({ camera: cameraId, blurBaseline: mem.blurBaseline }, 'picture baseline learnt');
        }
      }
    }
    rmSync(candidate, { force: true });
    mem.confirmed = confirm(mem, seen, s.confirmChecks);
    this.save(cameraId, mem);
    return { rung: pictureRung(r.ms, mem.confirmed), faults: mem.confirmed, verdicts, metrics: r.metrics, evidence, referenceCaptured };
  }

  /** The evidence frame ffmpeg wrote, read and removed; none when it wrote none or more than the contract allows. */
  private takeEvidence(cameraId: string, file: string): Buffer | undefined {
    try {
      if (statSync(file).size > FRAME_LIMITS.bytes) {
        this.deps.log.warn({ camera: cameraId, bytes: statSync(file).size, limit: FRAME_LIMITS.bytes }, 'evidence frame larger than the contract allows: not sent');
        return undefined;
      }
      return readFileSync(file);
    } catch {
      return undefined; // no frame reached the encoder
    } finally {
      rmSync(file, { force: true });
    }
  }
}

/** A fault counts after `n` checks in a row saw it, and stops counting after `n` in a row did not. */
function confirm(mem: Memory, seen: PictureFault[], n: number): PictureFault[] {
  const names = new Set([...Object.keys(mem.streaks), ...seen.map((f) => f.fault)]);
  for (const name of names) {
    const now = seen.some((f) => f.fault === name);
    const s = mem.streaks[name] ?? 0;
    mem.streaks[name] = now ? Math.max(1, s + 1) : Math.min(-1, s - 1);
  }
  const out: PictureFault[] = [];
  for (const name of names) {
    const streak = mem.streaks[name]!;
    const was = mem.confirmed.find((f) => f.fault === name);
    const current = seen.find((f) => f.fault === name);
    if (current && (was || streak >= n)) out.push(current);
    else if (!current && was && streak > -n) out.push(was);
    if (streak <= -n && !current) delete mem.streaks[name];
  }
  return out;
}
