import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab } from '../support/netns.js';
import { CLI } from '../support/agent-process.js';

interface Row {
  endpoint: string;
  address: string;
  via: string;
  manufacturer: string | null;
  model: string | null;
  scopeName: string | null;
  scopeHardware: string | null;
  serial: string | null;
  streams: string[];
  suggestedId: string;
  channels: Array<{ channel: number; source: string; suggestedId: string; streams: string[] }>;
  error: string | null;
}

// WS-Discovery over real UDP multicast, only inside namespaces this test makes.
describe('ws-discovery over multicast', () => {
  const lab = new NetnsLab();

  afterAll(() => lab.cleanup());

  describe('ws-discovery: a gateway with two NICs', () => {
    let gw: string;
    const uuids: string[] = [];

    beforeAll(async () => {
      gw = lab.ns('gw');
      const camA = lab.ns('ca');
      const camB = lab.ns('cb');
      lab.link(gw, 'lan1', '10.231.1.1', camA, 'eth0', '10.231.1.2');
      lab.link(gw, 'lan2', '10.231.2.1', camB, 'eth0', '10.231.2.2');
      const a = await lab.simulator(camA, {
        host: '10.231.1.2',
        devices: [{ streams: ['rtsp://10.231.1.2/main'], username: 'admin', password: 'pw-a', manufacturer: 'NIC-A-Cam', serial: 'A1' }],
        discovery: { port: 3702, multicastInterface: '10.231.1.2' },
      });
      // two devices behind one address answering in ONE reply: node-onvif drops such replies
      const b = await lab.simulator(camB, {
        host: '10.231.2.2',
        devices: [
          { streams: ['rtsp://10.231.2.2/main'], username: 'admin', password: 'pw-a', manufacturer: 'NIC-B-Cam', serial: 'B1' },
          { streams: ['rtsp://10.231.2.2/two'], username: 'admin', password: 'pw-a', manufacturer: 'NIC-B-Cam', serial: 'B2' },
          // a two-channel encoder: one device, two cameras
          { streams: [], channels: [{ streams: ['rtsp://10.231.2.2/enc1'] }, { streams: ['rtsp://10.231.2.2/enc2', 'rtsp://10.231.2.2/enc2sub'] }], username: 'admin', password: 'pw-a', manufacturer: 'NIC-B-Enc', serial: 'E1' },
        ],
        discovery: { port: 3702, multicastInterface: '10.231.2.2', multiMatch: true },
      });
      uuids.push(...a.devices.map((d) => d.uuid), ...b.devices.map((d) => d.uuid));
    }, 60_000);

    it('ws-discovery: probes every multicast interface and reads every ProbeMatch of a reply', async () => {
      const r = await lab.run(gw, process.execPath, [CLI, 'discover', '--json', '--window', '1500', '--user', 'admin', '--password', 'pw-a']);
      expect(r.code, r.stderr).toBe(0);
      const { cameras } = JSON.parse(r.stdout) as { cameras: Row[] };
      expect(cameras.map((c) => c.endpoint).sort()).toEqual([...uuids].sort());
      expect(cameras.map((c) => [c.via, c.serial]).sort()).toEqual([
        ['lan1', 'A1'],
        ['lan2', 'B1'],
        ['lan2', 'B2'],
        ['lan2', 'E1'],
      ]);
      expect(cameras.every((c) => c.error === null && c.streams.length === 1)).toBe(true);
      const enc = cameras.find((c) => c.serial === 'E1')!;
      expect(enc.channels).toEqual([
        { channel: 1, source: 'VideoSource_1', suggestedId: `${enc.suggestedId}-ch1`, streams: ['rtsp://10.231.2.2/enc1'] },
        { channel: 2, source: 'VideoSource_2', suggestedId: `${enc.suggestedId}-ch2`, streams: ['rtsp://10.231.2.2/enc2', 'rtsp://10.231.2.2/enc2sub'] },
      ]);
      expect(cameras.filter((c) => c.serial !== 'E1').every((c) => c.channels.length === 0)).toBe(true);
      expect(r.stdout).not.toContain('pw-a');
    }, 30_000);

    it('ws-discovery: the table for people lists each camera with its stream', async () => {
      const r = await lab.run(gw, process.execPath, [CLI, 'discover', '--window', '1000', '--user', 'admin', '--password', 'pw-a']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/ADDRESS\s+MANUFACTURER\s+MODEL\s+SERIAL\s+SUGGESTED ID\s+STREAMS/);
      expect(r.stdout).toContain('10.231.1.2');
      expect(r.stdout).toContain('rtsp://10.231.2.2/two');
      // the encoder's channels under it, with the source tokens the agent config's `channels:` names
      expect(r.stdout).toMatch(/channel 2\s+VideoSource_2\s+\S+-ch2\s+rtsp:\/\/10\.231\.2\.2\/enc2 /);
      expect(r.stdout).toContain('4 device(s), 5 camera(s)');
    }, 30_000);

    it('ws-discovery: wrong credentials still list the camera, with the reason', async () => {
      const r = await lab.run(gw, process.execPath, [CLI, 'discover', '--json', '--window', '1000', '--user', 'admin', '--password', 'wrong-pw']);
      const { cameras } = JSON.parse(r.stdout) as { cameras: Row[] };
      expect(cameras).toHaveLength(4);
      expect(cameras.every((c) => /credentials rejected/.test(c.error ?? ''))).toBe(true);
      expect(r.stdout).not.toContain('wrong-pw');
      // without a login, the device information is unknown: scope words are not passed off as manufacturer and model
      for (const c of cameras) {
        expect(c).toMatchObject({ manufacturer: null, model: null });
        expect(c.scopeName).toBeTruthy();
        expect(c.scopeHardware).toBeTruthy();
      }
      const table = await lab.run(gw, process.execPath, [CLI, 'discover', '--window', '1000', '--user', 'admin', '--password', 'wrong-pw']);
      expect(table.stdout).toMatch(/\? \(scope: [^)]+\)/);
    }, 30_000);
  });

  describe('ws-discovery: multicast on a namespace loopback', () => {
    it('ws-discovery: finds a camera on the loopback interface when named', async () => {
      const ns = lab.ns('lo');
      lab.loopbackMulticast(ns);
      const sim = await lab.simulator(ns, { devices: [{ streams: ['rtsp://127.0.0.1:8554/x'], manufacturer: 'Loop-Cam' }], discovery: { port: 3702, multicastInterface: '127.0.0.1' } });
      const r = await lab.run(ns, process.execPath, [CLI, 'discover', '--json', '--interface', 'lo', '--window', '1000']);
      const { cameras } = JSON.parse(r.stdout) as { cameras: Row[] };
      expect(cameras.map((c) => [c.endpoint, c.via, c.manufacturer])).toEqual([[sim.devices[0]!.uuid, 'lo', 'Loop-Cam']]);
    }, 30_000);
  });
});
