import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChildren } from '../../agent/adapters/child-reaper.js';
import { decodeKeyframe, decodeKeyframes } from '../../agent/adapters/keyframe-decode.js';
import { wsDiscover, type DiscoveryProblem } from '../../agent/adapters/onvif/ws-discovery.js';
import { rtspDescribe } from '../../agent/adapters/rtsp-client.js';
import { newProbeState, runLiveness } from '../../agent/features/ladder.js';
import { startOnvifSimulator, type OnvifSimulator, type SimMisbehaviour } from '../../cli/demo/onvif-sim.js';

/** A TCP server whose connections get `onConn`; tracks sockets so the test can close them. */
async function tcpServer(onConn: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    // read (and ignore) what the client sends, so this end notices when the client leaves:
    // a peer that never reads would keep its own socket open and be counted as our leak
    s.resume();
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

const ctx = { credentials: [{ name: 'a', username: 'admin', password: 'hostile-secret' }], livenessDeadlineMs: 1500, decodeDeadlineMs: 3000 };

describe('hostile peers', () => {
  describe('hostile peers: ONVIF devices that misbehave', () => {
    let sim: OnvifSimulator;
    const modes: SimMisbehaviour[] = ['garbage', 'truncated', 'huge', 'hang', 'close'];
    beforeAll(async () => {
      sim = await startOnvifSimulator({ devices: modes.map((m) => ({ streams: ['rtsp://127.0.0.1:1/x'], misbehave: m })) });
    });
    afterAll(() => sim.close());

    it.each(modes.map((m, i) => [m, i] as const))('hostile peers: a device answering %s fails the onvif rung by the deadline with a clear reason', async (mode, i) => {
      const st = newProbeState({ id: `h${i}`, name: null, xaddr: sim.devices[i]!.xaddr, endpoint: undefined, rtspUrl: undefined, credentialName: undefined, pointId: null, category: null, origin: 'config' });
      const started = Date.now();
      const rungs = await runLiveness(st, ctx);
      expect(Date.now() - started).toBeLessThan(ctx.livenessDeadlineMs + 500);
      const failed = rungs.find((r) => !r.ok)!;
      const expected: Record<SimMisbehaviour, RegExp> = {
        garbage: /malformed XML/,
        truncated: /malformed XML/,
        huge: /larger than 1048576 bytes/,
        hang: /no complete SOAP reply within the deadline/,
        close: /ECONNRESET|socket hang up|reply broken off/,
        none: /./,
      };
      expect(failed.detail).toMatch(expected[mode]);
      // TCP connected in every mode, a reset after accept included: the ONVIF service is what failed
      expect(failed.rung).toBe('onvif');
      expect(rungs[0]).toMatchObject({ rung: 'tcp', ok: true });
    });
  });

  describe('hostile peers: RTSP servers', () => {
    it('hostile peers: a server that accepts and never answers times out at the deadline', async () => {
      const srv = await tcpServer(() => {});
      const started = Date.now();
      const r = await rtspDescribe({ host: '127.0.0.1', port: srv.port, url: `rtsp://127.0.0.1:${srv.port}/x`, deadlineMs: 800 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(790);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      await srv.close();
    });

    it('hostile peers: a server that answers garbage is an rtsp_error, not a crash', async () => {
      const srv = await tcpServer((s) => s.write('HTTP/1.1 200 OK\r\n\r\n<html>'));
      const r = await rtspDescribe({ host: '127.0.0.1', port: srv.port, url: `rtsp://127.0.0.1:${srv.port}/x`, deadlineMs: 800 });
      expect(r).toMatchObject({ ok: false, reason: 'rtsp_error' });
      expect(r.ok ? '' : r.detail).toMatch(/not an RTSP/);
      await srv.close();
    });

    it('hostile peers: a server that trickles an endless header is cut off by size or deadline', async () => {
      const srv = await tcpServer((s) => {
        s.write('RTSP/1.0 200 OK\r\n');
        const t = setInterval(() => s.write(`X-Pad: ${'y'.repeat(1000)}\r\n`), 5);
        s.on('close', () => clearInterval(t));
      });
      const r = await rtspDescribe({ host: '127.0.0.1', port: srv.port, url: `rtsp://127.0.0.1:${srv.port}/x`, deadlineMs: 3000 });
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.detail).toMatch(/larger than|no RTSP answer/);
      await srv.close();
    });

    it('hostile peers: nothing listening is unreachable', async () => {
      const srv = await tcpServer(() => {});
      const port = srv.port;
      await srv.close();
      const r = await rtspDescribe({ host: '127.0.0.1', port, url: `rtsp://127.0.0.1:${port}/x`, deadlineMs: 800 });
      expect(r).toMatchObject({ ok: false, reason: 'unreachable' });
    });

    it('hostile peers: ffmpeg against a hung server is killed at the deadline and leaves no process, alone or in a group', async () => {
      const srv = await tcpServer(() => {});
      const before = countChildren('ffmpeg');
      const started = Date.now();
      const input = { url: `rtsp://admin:hostile-secret@127.0.0.1:${srv.port}/x`, secrets: ['hostile-secret'] };
      const [alone, group] = await Promise.all([Promise.all([1, 2].map(() => decodeKeyframe(input, 1200))), decodeKeyframes([input, input, input], 1200)]);
      const results = [...alone, ...group];
      expect(results).toHaveLength(5);
      expect(Date.now() - started).toBeLessThan(2500);
      for (const r of results) {
        expect(r.ok).toBe(false);
        expect(JSON.stringify(r)).not.toContain('hostile-secret');
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(countChildren('ffmpeg')).toBe(before);
      await srv.close();
    });

    it('hostile peers: ffmpeg fed one byte at a time (its own -timeout never fires) is still killed at our deadline', async () => {
      const srv = await tcpServer((s) => {
        const t = setInterval(() => s.write('R'), 100);
        s.on('close', () => clearInterval(t));
      });
      const before = countChildren('ffmpeg');
      const started = Date.now();
      const r = await decodeKeyframe({ url: `rtsp://127.0.0.1:${srv.port}/x`, secrets: [] }, 1500);
      expect(Date.now() - started).toBeLessThan(2200);
      expect(r).toMatchObject({ ok: false, reason: 'timeout' });
      await new Promise((res) => setTimeout(res, 300));
      expect(countChildren('ffmpeg')).toBe(before);
      await srv.close();
    });
  });

  describe('hostile peers: no leak across many rounds', () => {
    it('hostile peers: 40 rounds against hung, garbage, closing and trickling peers leave no socket, timer or child behind', async () => {
      const hung = await tcpServer(() => {});
      const garbage = await tcpServer((s) => s.end('garbage\r\n\r\n'));
      const closing = await tcpServer((s) => s.destroy());
      const trickle = await tcpServer((s) => {
        const t = setInterval(() => s.write('R'), 50);
        s.on('close', () => clearInterval(t));
      });
      const sim = await startOnvifSimulator({ devices: [{ streams: ['rtsp://127.0.0.1:1/x'], misbehave: 'hang' }, { streams: ['rtsp://127.0.0.1:1/x'], misbehave: 'garbage' }] });
      const targets = [
        ...[hung, garbage, closing, trickle].map((srv, i) => ({ id: `r${i}`, rtspUrl: `rtsp://u:p@127.0.0.1:${srv.port}/x`, xaddr: undefined })),
        ...sim.devices.map((d, i) => ({ id: `o${i}`, rtspUrl: undefined, xaddr: d.xaddr })),
      ];
      const fds = () => readdirSync('/proc/self/fd').length;
      const handles = () => (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
      const round = () =>
        Promise.all(
          targets.map((tg) =>
            runLiveness(newProbeState({ ...tg, name: null, endpoint: undefined, credentialName: undefined, pointId: null, category: null, origin: 'config' }), { ...ctx, livenessDeadlineMs: 400 }),
          ),
        );
      await round(); // warm-up: lazily created things exist from here on
      await new Promise((r) => setTimeout(r, 200));
      const before = { fds: fds(), handles: handles(), children: countChildren('') };
      for (let i = 0; i < 40; i++) await round();
      await new Promise((r) => setTimeout(r, 500));
      expect({ fds: fds(), handles: handles(), children: countChildren('') }).toEqual(before);
      await sim.close();
      for (const s of [hung, garbage, closing, trickle]) await s.close();
    }, 60_000);
  });

  describe('hostile peers: WS-Discovery replies', () => {
    it('hostile peers: bad datagrams are reported and skipped; the good reply still counts', async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      const good = (uuid: string) =>
        `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${uuid}</a:Address></a:EndpointReference><d:XAddrs>http://127.0.0.1:1/onvif/device_service</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
      const bad = [
        'garbage \u0000\u0001',
        good('urn:uuid:cut').slice(0, 150),
        `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&b;</s:Body></s:Envelope>`,
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><Other/></s:Body></s:Envelope>',
        `<x>${'<y>'.repeat(5000)}`,
      ];
      let answered = 0;
      sock.on('message', (_m, rinfo) => {
        answered += 1;
        if (answered > 1) return; // two probe types per target: answer once
        for (const b of bad) sock.send(Buffer.from(b), rinfo.port, rinfo.address);
        sock.send(Buffer.from(good('urn:uuid:good-one')), rinfo.port, rinfo.address);
      });
      const problems: DiscoveryProblem[] = [];
      const found = await wsDiscover({ multicast: false, unicast: ['127.0.0.1'], port: sock.address().port, windowMs: 600, onProblem: (p) => problems.push(p) });
      sock.close();
      expect(found.map((d) => d.endpoint)).toEqual(['urn:uuid:good-one']);
      expect(problems).toHaveLength(bad.length);
      expect(problems.every((p) => /ignored a bad discovery reply/.test(p.message))).toBe(true);
    });
  });
});
