import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pictureSettings } from '../../config/picture.js';
import PQueue from 'p-queue';
import { PictureWatch } from '../../agent/features/picture-watch.js';
import { CheckBatcher } from '../../agent/features/check-batch.js';
import { analysePictures, type PictureInput, type PictureResult } from '../../agent/adapters/picture.js';
import { grabKeyframes } from '../../agent/adapters/keyframe-grab.js';
import { KeyframeReader } from '../../agent/features/keyframe-reader.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { CLI } from '../support/agent-process.js';
import { makeClips } from '../support/fault-clips.js';

// the fault each stream shows; [] = must raise no alarm
const MATRIX: Array<[stream: string, expected: string[]]> = [
  ['healthy', []],
  ['static_noisy', []],
  ['black', ['black_screen']],
  ['blue', ['blue_screen']],
  ['grey', ['signal_loss']],
  ['frozen', ['frozen']],
  ['dark', ['too_dark']],
  ['bright', ['too_bright']],
  ['cast', ['colour_cast']],
  ['covered', ['occlusion']],
  ['low_contrast', ['low_contrast']],
];

describe('picture check on real streams', () => {
  let rtsp: RtspServer;
  let watch: PictureWatch;
  const falseAlarms: string[] = [];
  const misses: string[] = [];

  beforeAll(async () => {
    const clips = makeClips();
    rtsp = await startRtspServer({ mounts: Object.fromEntries(Object.entries(clips).map(([n, f]) => [`/${n}`, `file:${f}`])) });
    const settings = pictureSettings.parse({ seconds: 3, baselineChecks: 2, nightFrom: '00:00', nightTo: '00:00' });
    watch = new PictureWatch({ dir: mkdtempSync(path.join(os.tmpdir(), 'xl-pic-')), settings: () => settings, thresholdsOf: () => settings.thresholds, log: pino({ level: 'silent' }), now: () => Date.parse('2026-11-27T12:00:00') });
  }, 60_000);

  afterAll(async () => {
    await rtsp?.close();
    console.log(`picture matrix: ${MATRIX.length + 2} streams, false alarms ${falseAlarms.length} [${falseAlarms.join(', ')}], misses ${misses.length} [${misses.join(', ')}]`);
  });

  const judge = (stream: string, got: string[], expected: string[]) => {
    for (const g of got) if (!expected.includes(g)) falseAlarms.push(`${stream}:${g}`);
    for (const e of expected) if (!got.includes(e)) misses.push(`${stream}:${e}`);
  };

  it.each(MATRIX)('picture: %s shows exactly %j', async (stream, expected) => {
    const r = await watch.check(`cam-${stream}`, rtsp.url(`/${stream}`), []);
    // the analysis finished; the rung fails as degraded exactly when faults count
    expect(r.rung, r.rung.detail ?? '').toMatchObject(expected.length > 0 ? { ok: false, reason: 'degraded' } : { ok: true, reason: null });
    const got = r.faults.map((f) => f.fault).sort();
    judge(stream, got, expected);
    expect(got).toEqual([...expected].sort());
    for (const f of r.faults) expect(f.value).not.toBeNull();
  }, 30_000);

  it('picture: probe --picture prints each metric with its verdict and saves the frame', () => {
    const frame = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-frame-')), 'frame.jpg');
    const r = spawnSync(process.execPath, [CLI, 'probe', '--picture', '--json', '--save-frame', frame, rtsp.url('/black')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { verdict: string; faults: Array<{ fault: string }>; picture: { verdicts: Array<{ rule: string; fault: boolean }> } };
    expect(report.verdict).toBe('degraded');
    expect(report.faults.map((f) => f.fault)).toEqual(['black_screen']);
    expect(report.picture.verdicts).toHaveLength(11);
    expect(statSync(frame).size).toBeGreaterThan(100);
  }, 30_000);

  it('picture: blur is judged against the camera\'s own baseline, learnt from its healthy checks', async () => {
    for (let i = 0; i < 2; i++) expect((await watch.check('cam-b', rtsp.url('/healthy'), [])).faults).toEqual([]);
    const r = await watch.check('cam-b', rtsp.url('/blur'), []);
    const got = r.faults.map((f) => f.fault);
    judge('blur', got, ['blur']);
    expect(got).toEqual(['blur']);
    expect(r.faults[0]!.value!).toBeGreaterThan(r.faults[0]!.threshold!);
  }, 60_000);

  it('picture: a camera turned away is judged against the reference frame of its healthy check', async () => {
    expect((await watch.check('cam-s', rtsp.url('/healthy'), [])).faults).toEqual([]);
    const same = await watch.check('cam-s', rtsp.url('/healthy'), []);
    expect(same.metrics!.ssim!).toBeGreaterThan(0.85);
    const r = await watch.check('cam-s', rtsp.url('/shifted'), []);
    const got = r.faults.map((f) => f.fault);
    judge('shifted', got, ['scene_changed']);
    expect(got).toEqual(['scene_changed']);
  }, 60_000);

  for (const viaReader of [false, true]) {
  it(`picture: cameras checked together in one ffmpeg are judged as alone; a camera that fails is pinned, the rest judged${viaReader ? ' — keyframes read by the agent\'s own RTSP session, as the agent does' : ' — ffmpeg reading the streams'}`, async () => {
    const settings = pictureSettings.parse({ seconds: 3, baselineChecks: 2, nightFrom: '00:00', nightTo: '00:00' });
    const runs: number[] = [];
    const batcher = new CheckBatcher<PictureInput, PictureResult>({
      queue: new PQueue({ concurrency: 1 }),
      groupSize: () => 16,
      gatherMs: 300,
      run: (inputs, deadlineMs) => {
        runs.push(inputs.length);
        return analysePictures(inputs, settings, deadlineMs);
      },
      failed: (detail) => ({ ok: false, ms: 0, reason: 'no_video', detail }),
    });
    const batched = (input: PictureInput, deadlineMs: number, started: () => void) => batcher.check(input, deadlineMs, started);
    const reader = new KeyframeReader({ slots: new PQueue({ concurrency: 64 }), grab: grabKeyframes, picture: () => settings, enabled: () => true });
    const grouped = new PictureWatch({ dir: mkdtempSync(path.join(os.tmpdir(), 'xl-pic-group-')), settings: () => settings, thresholdsOf: () => settings.thresholds, log: pino({ level: 'silent' }), now: () => Date.parse('2026-11-27T12:00:00'), analyse: viaReader ? reader.pictures(batched) : batched });
    const streams = [...MATRIX, ['nope', []] as [string, string[]]];
    // twice: the first round captures each camera's reference frame, the second compares against it
    for (const round of [1, 2]) {
      runs.length = 0;
      const outcomes = await Promise.all(streams.map(([stream]) => grouped.check(`cam-${stream}`, rtsp.url(`/${stream}`), [])));
      // one group for all (inside it, the run that stops at the camera it cannot open is run again without it);
      // the reader finds the missing one before any ffmpeg
      // (the reader hands each camera's keyframes over when they come, mid-GOP: groups form as they arrive, every camera in one)
      if (viaReader) expect(runs.reduce((x, y) => x + y, 0)).toBe(streams.length - 1);
      else expect(runs).toEqual([streams.length]);
      streams.forEach(([stream, expected], i) => {
        const r = outcomes[i]!;
        if (stream === 'nope') {
          expect(r.rung).toMatchObject({ ok: false, reason: 'no_video' });
          expect(r.rung.detail).toMatch(viaReader ? /RTSP: DESCRIBE answered 404/ : /ffmpeg: .*404|Not Found|Server returned/i);
          return;
        }
        const got = r.faults.map((f) => f.fault).sort();
        judge(`${stream} (grouped, round ${round})`, got, expected);
        expect(got, stream).toEqual([...expected].sort());
        expect(r.metrics!.frames, stream).toBeGreaterThanOrEqual(1);
        if (round === 2 && stream === 'healthy') expect(r.metrics!.ssim!).toBeGreaterThan(0.85);
      });
    }
  }, 90_000);
  }
});
