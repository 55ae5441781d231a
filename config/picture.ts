import { z } from 'zod';
import { cronExpression } from './cron.js';

// [schema, default, description] of every threshold (docs/domain.md §4)
const THRESHOLDS = {
  darkBelow: [z.number().min(0).max(255), 35, 'mean luma below this is too dark'],
  darkBelowAtNight: [z.number().min(0).max(255), 12, 'the same during the night window'],
  brightAbove: [z.number().min(0).max(255), 220, 'mean luma above this is too bright'],
  lowContrastBelow: [z.number().min(0).max(255), 40, 'YHIGH − YLOW below this is low contrast'],
  frozenBelow: [z.number().min(0), 0.3, 'mean luma change between the analysed keyframes (one GOP apart) below this is a frozen picture: the keyframes of one frozen picture differ by their quantisation (about 0.15), a live scene by its sensor noise and motion'],
  blurFactor: [z.number().min(1), 2, "blur above this many times the camera's own baseline"],
  colourCastDistance: [z.number().min(0), 20, 'distance of mean (U,V) from grey (128,128) above this, with saturation, is a colour cast'],
  colourCastMinSaturation: [z.number().min(0), 20, 'mean saturation a colour cast needs (a grey picture has none)'],
  occludedBlackPercent: [z.number().min(0).max(100), 60, 'mean share of black pixels above this in a lit scene is occlusion'],
  sceneSsimBelow: [z.number().min(0).max(1), 0.8, 'similarity to the reference frame below this: the camera moved or the scene changed'],
} as const;
type Key = keyof typeof THRESHOLDS;

/** Thresholds of the picture check, with their defaults: the global set. */
export const pictureThresholds = z
  .object(Object.fromEntries(Object.entries(THRESHOLDS).map(([k, [schema, def, d]]) => [k, schema.default(def).describe(d)])) as { [K in Key]: z.ZodDefault<z.ZodNumber> })
  .strict();
export type PictureThresholds = z.infer<typeof pictureThresholds>;

/** Per-camera overrides: no defaults, so what a camera does not set comes from the global set. */
export const pictureThresholdOverrides = z
  .object(Object.fromEntries(Object.entries(THRESHOLDS).map(([k, [schema, , d]]) => [k, schema.optional().describe(`${d} (default: the global value)`)])) as { [K in Key]: z.ZodOptional<z.ZodNumber> })
  .strict();

export const pictureSettings = z
  .object({
    enabled: z.boolean().default(true).describe('run the picture check at all'),
    schedule: cronExpression.default('0 */15 * * * *').describe('when to run it (every 15 minutes)'),
    seconds: z.number().min(1).max(60).default(10).describe('the longest stretch of stream read: at least twice the longest GOP of the site, for two keyframes (the check ends sooner, at `keyframes`)'),
    keyframes: z.number().int().min(2).max(30).default(2).describe('keyframes analysed, one GOP apart; the check ends when it has them (two: about 1.5 GOP of stream; each more adds a GOP)'),
    deadlineMs: z.number().int().min(1000).max(300_000).default(20_000).describe('ffmpeg is killed after this'),
    maxConcurrent: z.number().int().min(1).max(16).default(6).describe('ffmpeg processes of picture checks at once (each checks up to `group` cameras), within checks.maxFfmpeg'),
    group: z.number().int().min(1).max(16).default(6).describe('picture checks that share one ffmpeg process (its start-up costs more CPU than the check); a camera that fails is pinned and the rest run again without it'),
    confirmChecks: z.number().int().min(1).max(100).default(1).describe('a fault counts (and clears) only after this many checks in a row agree'),
    baselineChecks: z.number().int().min(1).max(20).default(3).describe('healthy checks that set a camera\'s blur baseline and reference frame'),
    nightFrom: z.string().regex(/^\d{2}:\d{2}$/).default('19:00').describe('start of the night window (local time), when darkness rules relax'),
    nightTo: z.string().regex(/^\d{2}:\d{2}$/).default('06:00').describe('end of the night window (local time)'),
    thresholds: pictureThresholds.prefault({}).describe('fault thresholds for every camera'),
  })
  .strict();
export type PictureSettings = z.infer<typeof pictureSettings>;
