import type { PictureFaultName, RungResult } from '../../protocols/index.js';
import type { PictureThresholds } from '../../config/picture.js';
import type { PictureMetrics } from '../adapters/picture.js';

/** the fault names are the contract's (protocols/terms.ts), so that every one has its words */
export type { PictureFaultName };

export interface PictureFault {
  fault: PictureFaultName;
  value: number | null;
  threshold: number | null;
}

export interface Verdict {
  rule: PictureFaultName;
  value: number | null;
  threshold: number | null;
  fault: boolean;
  /** why the rule did not apply (covered by a stronger fault, no baseline, …) */
  skipped?: string;
}

/**
 * Judges one picture check against the thresholds (docs/domain.md §4). A flat
 * picture is one fault (black, blue or signal loss), not also frozen, dark and
 * low-contrast; darkness explains black pixels, so it is not also occlusion;
 * any fault explains a picture unlike the reference, so it is not also a moved camera.
 * Every rule's measured value and threshold is returned, for `probe --picture`.
 */
export function judgePicture(m: PictureMetrics, t: PictureThresholds, ctx: { blurBaseline: number | null; night: boolean }): Verdict[] {
  const out: Verdict[] = [];
  const rule = (r: PictureFaultName, value: number | null, threshold: number | null, fault: boolean, skipped?: string) =>
    out.push({ rule: r, value, threshold, fault, ...(skipped ? { skipped } : {}) });

  const flat = m.contrast < 3;
  const black = m.pblack >= 98 && m.yavg < 25;
  const blue = !black && m.contrast < 10 && m.uavg > 180 && m.vavg < 140;
  rule('black_screen', m.pblack, 98, black);
  rule('blue_screen', m.uavg, 180, blue);
  rule('signal_loss', m.contrast, 3, flat && !black && !blue);
  const covered = flat || black || blue ? 'the picture carries no image' : undefined;

  const darkLimit = ctx.night ? t.darkBelowAtNight : t.darkBelow;
  const dark = !covered && m.yavg < darkLimit;
  rule('too_dark', m.yavg, darkLimit, dark, covered);
  rule('too_bright', m.yavg, t.brightAbove, !covered && m.yavg > t.brightAbove, covered);
  rule('low_contrast', m.contrast, t.lowContrastBelow, !covered && m.contrast < t.lowContrastBelow, covered);
  rule('frozen', m.ydif, t.frozenBelow, !covered && m.frames >= 2 && m.ydif < t.frozenBelow, covered ?? (m.frames < 2 ? 'fewer than two frames' : undefined));
  const cast = Math.hypot(m.uavg - 128, m.vavg - 128);
  rule('colour_cast', Math.round(cast * 10) / 10, t.colourCastDistance, !covered && cast > t.colourCastDistance && m.satavg > t.colourCastMinSaturation, covered);
  rule('occlusion', m.pblack, t.occludedBlackPercent, !covered && !dark && m.pblack > t.occludedBlackPercent, covered ?? (dark ? 'the whole picture is dark' : undefined));
  const blurLimit = ctx.blurBaseline === null ? null : Math.round(ctx.blurBaseline * t.blurFactor * 100) / 100;
  rule('blur', m.blur, blurLimit, !covered && blurLimit !== null && m.blur !== null && m.blur > blurLimit, covered ?? (blurLimit === null ? 'no baseline learnt yet' : undefined));
  // any other fault (blur, darkness, a cast, …) also lowers the likeness to the reference: it explains it
  const explained = out.find((v) => v.fault);
  rule(
    'scene_changed',
    m.ssim,
    t.sceneSsimBelow,
    !covered && !explained && m.ssim !== null && m.ssim < t.sceneSsimBelow,
    covered ?? (explained ? `explained by ${explained.rule}` : m.ssim === null ? 'no reference frame yet' : undefined),
  );
  return out;
}

export const faultsOf = (verdicts: Verdict[]): PictureFault[] => verdicts.filter((v) => v.fault).map((v) => ({ fault: v.rule, value: v.value, threshold: v.threshold }));

/** Is `at` (ms) inside the local night window "HH:MM"–"HH:MM" (which may wrap midnight)? */
export function inNightWindow(at: number, from: string, to: string): boolean {
  const d = new Date(at);
  const minutes = d.getHours() * 60 + d.getMinutes();
  const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const a = toMin(from);
  const b = toMin(to);
  return a <= b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
}

/**
 * The picture rung of a finished analysis: it fails, as `degraded`, when
 * faults count, so the rung and the camera's verdict say the same thing.
 */
export function pictureRung(ms: number, faults: PictureFault[]): RungResult {
  const at = new Date().toISOString();
  if (faults.length === 0) return { rung: 'picture', ok: true, ms: Math.round(ms), reason: null, detail: null, at };
  return { rung: 'picture', ok: false, ms: Math.round(ms), reason: 'degraded', detail: `picture faults: ${faults.map((f) => f.fault).join(', ')}`, at };
}
