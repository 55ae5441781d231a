import PQueue from 'p-queue';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraMonitor, type MonitorDeps } from '../../agent/features/monitor.js';
import type { Transition } from '../../agent/features/camera-health.js';
import { encodeClip, startClipServer, type ClipServer } from '../../scripts/sim/rtsp-clip-server.js';

// A gateway under load: the ffmpeg queue is full for minutes. A camera whose decode waits in that queue must
// still get its liveness checks, or a dead camera is found only when its decode's turn comes.
/** A monitor over one RTSP camera with an ffmpeg queue of `slots`, and the state changes it made. */
function monitorOf(rtspUrl: string, slots: number, extra: Partial<MonitorDeps> = {}) {
  const transitions: Transition[] = [];
  const ffmpeg = new PQueue({ concurrency: slots });
  const monitor = new CameraMonitor({
    log: pino({ level: 'silent' }),
    now: Date.now,
    sockets: new PQueue({ concurrency: 4 }),
    ffmpeg,
    ladder: () => ({ credentials: [], livenessDeadlineMs: 3000, decodeDeadlineMs: 15_000 }),
    offlineAfter: () => 3,
    decodeEnabled: () => true,
    clockDriftWarnMs: () => 60_000,
    sink: { status: () => undefined, faultsChanged: () => undefined, transition: (_r, t) => transitions.push(t), removed: () => undefined, round: () => undefined },
    ...extra,
  });
  monitor.upsert({ id: 'cam', name: null, xaddr: undefined, endpoint: undefined, rtspUrl, credentialName: undefined, pointId: null, category: null, origin: 'config' });
  return { monitor, ffmpeg, transitions };
}

describe('monitor: one kind of check does not hold back another', () => {
  let server: ClipServer;

  beforeAll(async () => {
    server = await startClipServer(encodeClip({ width: 320, height: 180, fps: 10, gopSeconds: 1, seconds: 2 }), 2);
  }, 60_000);
  afterAll(async () => server?.close());

  it('monitor: a camera whose decode waits in a full ffmpeg queue still turns offline on its liveness checks', async () => {
    const { monitor, ffmpeg, transitions } = monitorOf(server.url(0), 1);
    await monitor.checkLiveness();
    expect(transitions.map((t) => t.to)).toEqual(['online']);

    // another camera's work holds the only ffmpeg slot; this camera's decode waits behind it
    let release!: () => void;
    const blocker = ffmpeg.add(() => new Promise<void>((r) => (release = r)));
    const decode = monitor.checkDecode();
    await new Promise((r) => setTimeout(r, 100));
    expect(monitor.stats.snapshot().decode.queued).toBe(1);

    server.down.add(0);
    for (let i = 0; i < 3; i += 1) await monitor.checkLiveness();
    expect(transitions.map((t) => t.to)).toEqual(['online', 'offline']);
    expect(transitions[1]).toMatchObject({ rung: 'rtsp' });
    // the decode that was queued finds the stream gone and changes nothing more
    release();
    await blocker;
    await decode;
    expect(transitions.map((t) => t.to)).toEqual(['online', 'offline']);
  }, 60_000);

  it('monitor: a camera whose first decode waits behind a full queue still gets its liveness checks, and its verdict waits for that decode', async () => {
    server.down.delete(1);
    const { monitor, ffmpeg, transitions } = monitorOf(server.url(1), 1);
    let release!: () => void;
    const blocker = ffmpeg.add(() => new Promise<void>((r) => (release = r)));
    // sockets pass; the decode it calls for waits: no verdict yet (online needs a decoded stream)
    const first = monitor.checkLiveness();
    await new Promise((r) => setTimeout(r, 300));
    expect(monitor.stats.snapshot().decode.queued).toBe(1);
    expect(transitions).toEqual([]);
    server.down.add(1);
    for (let i = 0; i < 3; i += 1) await monitor.checkLiveness();
    expect(transitions.map((t) => t.to)).toEqual(['offline']);
    release();
    await blocker;
    await first;
    expect(transitions.map((t) => t.to)).toEqual(['offline']);
  }, 60_000);

  it('monitor: a picture check that decoded the main stream stands for the decode round; one of another stream does not', async () => {
    server.down.delete(0);
    const url = server.url(0);
    let pictureStream = url;
    const { monitor } = monitorOf(url, 2, {
      picture: async () => ({
        rung: { rung: 'picture', ok: true, ms: 900, reason: null, detail: null, at: new Date().toISOString(), streamUri: pictureStream },
        faults: [],
        verdicts: [],
        metrics: { frames: 2, yavg: 120, ydif: 3, contrast: 150, uavg: 128, vavg: 128, satavg: 10, pblack: 0, blur: 5, entropy: 0.8, ssim: null },
      }),
    });
    await monitor.checkLiveness(); // sockets, then the first decode
    const decodes = () => monitor.stats.snapshot().decode.done;
    expect(decodes()).toBe(1);
    await monitor.checkPicture();
    await monitor.checkDecode(undefined, 60_000);
    expect(decodes()).toBe(1);
    expect(monitor.cameras.get('cam')!.probe.decode).toMatchObject({ ok: true, ms: 900, streamUri: url });
    // a picture of the sub-stream says nothing of the main one; an unconditional decode round always decodes
    pictureStream = `${url}-sub`;
    await new Promise((r) => setTimeout(r, 30));
    await monitor.checkPicture();
    const before = monitor.cameras.get('cam')!.probe.decode!.at;
    await monitor.checkDecode(undefined, 10);
    expect(decodes()).toBe(2);
    expect(monitor.cameras.get('cam')!.probe.decode!.at).not.toBe(before);
    await monitor.checkDecode();
    expect(decodes()).toBe(3);
  }, 60_000);
});
