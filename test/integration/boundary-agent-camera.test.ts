import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProbeState, runDecode, runLiveness, type LadderContext } from '../../agent/features/ladder.js';
import type { CameraTarget } from '../../agent/features/camera-target.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent } from '../support/agent-process.js';
import { startMosquitto } from '../support/mosquitto.js';

/*
 * Trust boundary: agent ↔ camera.
 * What it promises: a camera's password goes only to the server that asks
 * for it, by Digest (Basic, which hands it over in clear, only to a camera
 * whose config says so, and only its one login); it never appears on a
 * command line another local user can read; what a camera answers, however
 * broken, is reported at the rung that failed.
 * How it is tried: hostile TCP servers on loopback, the GStreamer RTSP
 * server behind a recording proxy, and /proc read while ffmpeg runs.
 */
const SETS = [
  { name: 'a', username: 'admin', password: 'first-Secret-1' },
  { name: 'b', username: 'admin', password: 'second-Secret-2' },
  { name: 'c', username: 'viewer', password: 'third-Secret-3' },
];
const ctx: LadderContext = { credentials: SETS, livenessDeadlineMs: 3000, decodeDeadlineMs: 10_000 };
const target = (over: Partial<CameraTarget>): CameraTarget => ({ id: 'cam', name: null, xaddr: undefined, endpoint: undefined, rtspUrl: undefined, credentialName: undefined, pointId: null, category: null, origin: 'config', ...over });

/** A TCP server on loopback that records every byte clients send and answers with `reply`. */
async function recordingServer(reply: (request: string, socket: net.Socket) => void): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  let received = '';
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d) => {
      received += d.toString('latin1');
      buf += d.toString('latin1');
      let end = buf.indexOf('\r\n\r\n');
      while (end >= 0) {
        reply(buf.slice(0, end), s);
        buf = buf.slice(end + 4);
        end = buf.indexOf('\r\n\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received: () => received, close: () => new Promise((r) => server.close(() => r())) };
}

/** A TCP proxy on loopback that records what the client sends to `upstream`. */
async function recordingProxy(upstream: number): Promise<{ port: number; received: () => string; close: () => Promise<void> }> {
  let received = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => {
      received += d.toString('latin1');
      up.write(d);
    });
    up.pipe(client);
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const cseq = (req: string) => /CSeq: (\d+)/i.exec(req)?.[1] ?? '1';
const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';

describe('boundary agent ↔ camera', () => {
  it('agent ↔ camera: a server asking for Basic gets no password from any credential set', async () => {
    const srv = await recordingServer((req, s) => s.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq(req)}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`));
    try {
      const st = newProbeState(target({ rtspUrl: `rtsp://127.0.0.1:${srv.port}/live` }));
      const rungs = await runLiveness(st, ctx);
      const rtsp = rungs.find((r) => r.rung === 'rtsp')!;
      expect(rtsp).toMatchObject({ ok: false, reason: 'auth_failed' });
      expect(rtsp.detail).toMatch(/Basic/);
      expect(srv.received()).not.toMatch(/Authorization/i);
      for (const c of SETS) expect(srv.received()).not.toContain(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
    } finally {
      await srv.close();
    }
  });

  it('agent ↔ camera: with allowBasicAuth and its login in the URL, Basic is answered once, with that login only', async () => {
    const srv = await recordingServer((req, s) => {
      if (/Authorization: Basic /i.test(req)) s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq(req)}\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
      else s.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq(req)}\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n`);
    });
    try {
      const st = newProbeState(target({ rtspUrl: `rtsp://cam-user:pinned-Pw-9@127.0.0.1:${srv.port}/live`, allowBasicAuth: true }));
      const rungs = await runLiveness(st, ctx);
      expect(rungs.find((r) => r.rung === 'rtsp')).toMatchObject({ ok: true });
      const auths = srv.received().match(/Authorization: Basic (\S+)/gi) ?? [];
      expect(auths).toEqual([`Authorization: Basic ${Buffer.from('cam-user:pinned-Pw-9').toString('base64')}`]);
    } finally {
      await srv.close();
    }
  });

  describe('agent ↔ camera: ffmpeg', () => {
    let open: RtspServer;
    let locked: RtspServer;
    beforeAll(async () => {
      open = await startRtspServer({ mounts: { '/a': 'scene' } });
      locked = await startRtspServer({ mounts: { '/a': 'scene' }, auth: { username: 'viewer', password: 'third-Secret-3' } });
    }, 30_000);
    afterAll(async () => {
      await open?.close();
      await locked?.close();
    });

    it('agent ↔ camera: a server that never asks for credentials is never sent any, by the RTSP rung or by ffmpeg', async () => {
      const proxy = await recordingProxy(open.port);
      try {
        const st = newProbeState(target({ rtspUrl: `rtsp://127.0.0.1:${proxy.port}/a` }));
        expect((await runLiveness(st, ctx)).every((r) => r.ok)).toBe(true);
        expect(st.rtspLogin).toBeNull();
        expect(await runDecode(st, ctx)).toMatchObject({ ok: true });
        expect(proxy.received()).toMatch(/DESCRIBE/);
        expect(proxy.received()).not.toMatch(/Authorization/i);
      } finally {
        await proxy.close();
      }
    }, 30_000);

    it('agent ↔ camera: the password ffmpeg needs is on no command line while it runs', async () => {
      const st = newProbeState(target({ rtspUrl: locked.url('/a') }));
      expect((await runLiveness(st, ctx)).every((r) => r.ok)).toBe(true);
      expect(st.rtspLogin?.name).toBe('c');
      const seen: string[] = [];
      let ffmpegSeen = false;
      const watch = setInterval(() => {
        for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
            // the simulated camera is given its password on its command line; the agent's side is ffmpeg
            if (!cmd.split('\0')[0]!.endsWith('ffmpeg')) continue;
            ffmpegSeen = true;
            for (const c of SETS) if (cmd.includes(c.password) || cmd.includes(encodeURIComponent(c.password))) seen.push(cmd.replace(/\0/g, ' '));
          } catch {
            // gone
          }
        }
      }, 20);
      try {
        expect(await runDecode(st, ctx)).toMatchObject({ ok: true });
      } finally {
        clearInterval(watch);
      }
      expect(ffmpegSeen).toBe(true);
      expect(seen).toEqual([]);
    }, 30_000);
  });

  it('agent ↔ camera: a connection accepted and then reset, or a reply that overflows its headers, fails the onvif rung, not tcp', async () => {
    const reset = net.createServer((s) => s.resetAndDestroy());
    const overflow = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`));
    });
    for (const srv of [reset, overflow]) await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      for (const srv of [reset, overflow]) {
        const st = newProbeState(target({ id: 'onvif-cam', xaddr: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/onvif/device_service` }));
        const rungs = await runLiveness(st, ctx);
        expect(rungs[0]).toMatchObject({ rung: 'tcp', ok: true });
        expect(rungs[1]).toMatchObject({ rung: 'onvif', ok: false, reason: 'onvif_error' });
      }
    } finally {
      for (const srv of [reset, overflow]) await new Promise((r) => srv.close(r));
    }
  });

  it('agent ↔ camera: a camera that hangs ffmpeg outlives no agent: after a SIGKILL the next start kills what was left behind, and node-cron\'s warnings stay JSON', async () => {
    // answers the liveness DESCRIBE, then never answers ffmpeg's SETUP
    const hung = await recordingServer((req, s) => {
      const method = req.split(' ')[0];
      if (method === 'OPTIONS') s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq(req)}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n`);
      else if (method === 'DESCRIBE') s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq(req)}\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
    });
    // accepts and never says a word: its liveness check lasts the whole deadline
    const silent = net.createServer((sock) => sock.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const broker = await startMosquitto();
    const stateDir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/xl-orphan-`);
    const config = {
      agentId: 'gw-orphan',
      stateDir,
      mqtt: { url: broker.url },
      // a discovery every second whose probe window lasts longer: node-cron blocks the overlap and says so (the
      // checks no longer overlap: each round is spread over its period and returns at once). Unicast to loopback,
      // where nothing answers.
      discovery: { enabled: true, multicast: false, cidrs: ['127.0.0.1/32'], port: 9, windowMs: 1500, schedule: '* * * * * *' },
      cameras: [
        { id: 'cam-hung', rtsp: `rtsp://127.0.0.1:${hung.port}/live` },
        { id: 'cam-silent', rtsp: `rtsp://127.0.0.1:${(silent.address() as net.AddressInfo).port}/live` },
      ],
      // ffmpeg reads the stream itself (as for streams the agent's reader does not take): the ffmpeg to be orphaned
      checks: { livenessSchedule: '* * * * * *', decodeSchedule: '0 0 1 1 *', decodeDeadlineMs: 300_000, livenessDeadlineMs: 2000, streamReader: 'ffmpeg', picture: { enabled: false } },
    };
    // the decode runs of one agent process: their marker names its pid (other test files run agents meanwhile)
    const probes = (agentPid: number) => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`xueliang-probe-${agentPid}-`);
      } catch {
        return false;
      }
    });
    const until = async (what: string, fn: () => boolean, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > end) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // agents started here are killed whatever happens: a failed assertion must not leave one running
    const started: Array<ReturnType<typeof startAgent>> = [];
    try {
      const first = startAgent(config);
      started.push(first);
      const firstPid = first.child.pid!;
      await until('ffmpeg hanging on the camera', () => probes(firstPid).length === 1);
      await until('node-cron blocked an overlap', () => first.lines.some((l) => l.includes('overlap')), 15_000);
      expect(await first.stop('SIGKILL')).toBeNull();
      // left behind: no other agent on this machine may reap it (another installation)
      const orphan = probes(firstPid);
      expect(orphan).toHaveLength(1); // left behind, running outside every limit
      const second = startAgent(config);
      started.push(second);
      // its own I/O timeout is 240 s away: only a reap ends it this soon, and only an agent of the same installation
      // (state directory) reaps it, not the agents other test files start meanwhile: the second agent's log names it
      await until('the orphan is killed', () => !probes(firstPid).includes(orphan[0]!), 15_000);
      await until('the second agent says it reaped the orphan', () => second.lines.some((l) => l.includes('left behind by an agent that died')), 15_000);
      const reaped = JSON.parse(second.lines.find((l) => l.includes('left behind by an agent that died'))!) as { runs: Array<{ pid: number; agentPid: number }> };
      expect(reaped.runs).toContainEqual({ pid: Number(orphan[0]), agentPid: firstPid });
      for (const l of first.lines) {
        expect(l).not.toContain('\u001b[');
        expect(() => JSON.parse(l)).not.toThrow();
      }
      await second.stop('SIGKILL');
      for (const pid of [...probes(firstPid), ...probes(second.child.pid!)]) process.kill(Number(pid), 'SIGKILL');
    } finally {
      for (const a of started) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
      await hung.close();
      silent.close();
      await broker.stop();
    }
  }, 60_000);
});
