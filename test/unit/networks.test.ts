import { describe, expect, it } from 'vitest';
import { causeOf, downNetworks, MIN_HOSTS, networkOf, parseNetworks } from '../../agent/features/networks.js';
import { hostOf, SiteNetworks } from '../../agent/features/site-networks.js';
import net from 'node:net';
import pino from 'pino';
import { agentConfigSchema } from '../../config/agent.js';

const hosts = (...spec: Array<[string, boolean]>) => spec.map(([host, tcpFailed]) => ({ host, tcpFailed }));

describe('site networks and causes', () => {
  it('networks: a host is in the first configured range holding it, else its /24; a host name has none', () => {
    const nets = parseNetworks([{ name: 'east-switch', cidr: '10.20.1.0/25' }, { name: 'all-ten', cidr: '10.0.0.0/8' }]);
    expect(networkOf('10.20.1.5', nets)).toBe('east-switch');
    expect(networkOf('10.20.1.200', nets)).toBe('all-ten');
    expect(networkOf('192.168.3.7', nets)).toBe('192.168.3.0/24');
    expect(networkOf('camera.local', nets)).toBeUndefined();
    expect(() => parseNetworks([{ name: 'x', cidr: '10.0.0.0/4' }])).toThrow(/\/8 to \/32/);
  });

  it(`networks: down when every one of at least ${MIN_HOSTS} hosts failed its tcp rung; a host is counted once however many channels it carries`, () => {
    expect(downNetworks(hosts(['10.1.1.2', true], ['10.1.1.3', true], ['10.1.1.4', true]), [], new Map())).toEqual(new Set(['10.1.1.0/24']));
    // one host answering keeps it up
    expect(downNetworks(hosts(['10.1.1.2', true], ['10.1.1.3', true], ['10.1.1.4', false]), [], new Map())).toEqual(new Set());
    // an NVR's sixteen channels are one host: its power failing is no network's
    const nvr = Array.from({ length: 16 }, () => ['10.1.1.9', true] as [string, boolean]);
    expect(downNetworks(hosts(...nvr, ['10.1.1.2', true]), [], new Map())).toEqual(new Set());
    // a host with one channel answering answered
    expect(downNetworks(hosts(['10.1.1.2', true], ['10.1.1.3', true], ['10.1.1.4', true], ['10.1.1.4', false]), [], new Map())).toEqual(new Set());
  });

  it('networks: a probe that does not answer takes its network down whatever its size; one that answers keeps it up', () => {
    const nets = parseNetworks([{ name: 'yard', cidr: '10.9.9.0/24' }]);
    expect(downNetworks(hosts(['10.9.9.2', true]), nets, new Map([['yard', false]]))).toEqual(new Set(['yard']));
    expect(downNetworks(hosts(['10.9.9.2', true], ['10.9.9.3', true], ['10.9.9.4', true]), nets, new Map([['yard', true]]))).toEqual(new Set());
  });

  it("causes: the network's first, then the device's for a channel at the device rungs, else the camera's; none when the check passed", () => {
    expect(causeOf(null, true, true)).toBeNull();
    expect(causeOf('tcp', false, true)).toBe('network');
    expect(causeOf('tcp', true, false)).toBe('device');
    expect(causeOf('onvif', true, false)).toBe('device');
    expect(causeOf('rtsp', true, false)).toBe('camera');
    expect(causeOf('tcp', false, false)).toBe('camera');
    // a camera that answered at its address is reachable: its failure is its own (or its NVR's), whatever the network
    expect(causeOf('rtsp', false, true)).toBe('camera');
    expect(causeOf('onvif', true, true)).toBe('device');
  });

  it("networks: a camera's host from its ONVIF service or its RTSP URL (credentials never part of it)", () => {
    const t = { id: 'c', name: null, endpoint: undefined, credentialName: undefined, pointId: null, category: null, origin: 'config' as const };
    expect(hostOf({ ...t, xaddr: 'http://10.2.3.4:8080/onvif/device_service', rtspUrl: undefined })).toBe('10.2.3.4');
    expect(hostOf({ ...t, xaddr: undefined, rtspUrl: 'rtsp://admin:pw@10.2.3.5/ch1' })).toBe('10.2.3.5');
  });

  it('networks: the config checks ranges and probes', () => {
    const base = { agentId: 'gw', mqtt: { url: 'mqtt://127.0.0.1' } };
    expect(agentConfigSchema.safeParse({ ...base, networks: [{ name: 'east', cidr: '10.20.1.0/24', probe: '10.20.1.1:80' }] }).success).toBe(true);
    expect(agentConfigSchema.safeParse({ ...base, networks: [{ name: 'east', cidr: '10.20.1.0' }] }).success).toBe(false);
    expect(agentConfigSchema.safeParse({ ...base, networks: [{ name: 'east', cidr: '10.20.1.0/24', probe: '10.20.1.1' }] }).success).toBe(false);
  });

  it("networks: a configured network's probe is a TCP connection at the round's start: answered, the network is up however its cameras fare; refused, it is down", async () => {
    const server = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const nets = new SiteNetworks({ settings: () => [{ name: 'yard-switch', cidr: '127.0.0.0/24', probe: `127.0.0.1:${port}` }], log: pino({ level: 'silent' }) });
    const camera = { id: 'c', name: null, xaddr: undefined, endpoint: undefined, rtspUrl: 'rtsp://127.0.0.9/a', credentialName: undefined, pointId: null, category: null, origin: 'config' as const };
    await nets.probe();
    expect(nets.evaluate(hosts(['127.0.0.9', true]))).toEqual({ wentDown: [], cameBack: [] });
    expect(nets.isDown(camera)).toBe(false);
    await new Promise((r) => server.close(r));
    await nets.probe();
    expect(nets.evaluate(hosts(['127.0.0.9', true]))).toEqual({ wentDown: ['yard-switch'], cameBack: [] });
    expect(nets.isDown(camera)).toBe(true);
    expect(nets.keyOf(camera)).toBe('yard-switch');
  });
});
