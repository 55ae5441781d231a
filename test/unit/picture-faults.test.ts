import { describe, expect, it } from 'vitest';
import { pictureThresholds } from '../../config/picture.js';
import type { PictureMetrics } from '../../agent/adapters/picture.js';
import { parseFrameMetadata, summarise } from '../../agent/adapters/picture.js';
import { faultsOf, inNightWindow, judgePicture } from '../../agent/features/picture-faults.js';

const t = pictureThresholds.parse({});
const healthy: PictureMetrics = { frames: 20, yavg: 121, ydif: 3.7, contrast: 167, uavg: 129.6, vavg: 127.9, satavg: 110, pblack: 0, blur: 5.1, entropy: 0.83, ssim: 0.95 };
const faults = (m: Partial<PictureMetrics>, night = false, blurBaseline: number | null = 5) => faultsOf(judgePicture({ ...healthy, ...m }, t, { blurBaseline, night })).map((f) => f.fault);

describe('picture faults', () => {
  it('picture faults: a healthy picture has none', () => expect(faults({})).toEqual([]));
  it('picture faults: darkness relaxes at night', () => {
    expect(faults({ yavg: 20 })).toEqual(['too_dark']);
    expect(faults({ yavg: 20 }, true)).toEqual([]);
  });
  it('picture faults: a dark picture is not also occluded; a lit one with black pixels is', () => {
    expect(faults({ yavg: 28, pblack: 64 })).toEqual(['too_dark']);
    expect(faults({ yavg: 52, pblack: 71 })).toEqual(['occlusion']);
  });
  it('picture faults: no blur verdict before the baseline is learnt', () => {
    expect(faults({ blur: 18 }, false, null)).toEqual([]);
    expect(faults({ blur: 18 }, false, 5)).toEqual(['blur']);
  });
  it('picture faults: a blank picture is one fault only', () => {
    expect(faults({ yavg: 16, pblack: 100, contrast: 0, ydif: 0, blur: null, satavg: 0, uavg: 128, vavg: 128 })).toEqual(['black_screen']);
    expect(faults({ yavg: 41, pblack: 0, contrast: 0, ydif: 0, blur: null, uavg: 240, vavg: 110 })).toEqual(['blue_screen']);
  });
  it('picture faults: the night window may wrap midnight', () => {
    const at = (h: number) => new Date(2026, 10, 27, h, 30).getTime();
    expect([at(20), at(2), at(12)].map((x) => inNightWindow(x, '19:00', '06:00'))).toEqual([true, true, false]);
    expect([at(20), at(12)].map((x) => inNightWindow(x, '10:00', '14:00'))).toEqual([false, true]);
  });
  it('picture faults: frame metadata is parsed from ffmpeg\'s print format', () => {
    const text = 'frame:0    pts:0       pts_time:0\nlavfi.signalstats.YAVG=100\nlavfi.signalstats.YHIGH=200\nlavfi.signalstats.YLOW=20\nlavfi.blur=-nan\nframe:1    pts:1    pts_time:0.2\nlavfi.signalstats.YAVG=110\nlavfi.signalstats.YDIF=2\nlavfi.signalstats.YHIGH=210\nlavfi.signalstats.YLOW=20\n';
    const m = summarise(parseFrameMetadata(text));
    expect(m).toMatchObject({ frames: 2, yavg: 105, ydif: 2, contrast: 185, blur: null });
  });
});
