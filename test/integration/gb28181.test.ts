import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { childText, writeManscdp, type XmlElement } from '../../aggregator/adapters/sip/manscdp.js';
import type { SipResponse } from '../../aggregator/adapters/sip/message.js';
import { until } from '../support/wait.js';
import { gbCamera, gbHarness, PASSWORD, PLATFORM_ID } from '../support/gb-harness.js';

type Harness = Awaited<ReturnType<typeof gbHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const registered = (x: Harness) => until('registered', () => x.platform.online(PLATFORM_ID) && x.service.status().upstreams[0]!.state === 'registered', 10_000);

/** 2,000 cameras on four gateways of 330106 and its unit 33010601; every 10th offline, every 25th degraded. */
function fleetOf(x: Harness, n = 2000) {
  for (let g = 0; g < 4; g++) x.birth(`gw-${g}`);
  for (let i = 1; i <= n; i++) {
    const id = gbCamera(i);
    const state = i % 10 === 0 ? { state: 'offline', rung: 'tcp', reason: 'unreachable', consecutiveFailures: 3 } : i % 25 === 0 ? { state: 'degraded', faults: [{ fault: 'black', value: 2, threshold: 16 }] } : {};
    x.status(`gw-${i % 4}`, id, state);
  }
}

describe('gb28181: registration', () => {
  it('gb28181: registers with Digest (X-GB-Ver 3.0), keeps alive every keepaliveSeconds and refreshes before expires', async () => {
    h = await gbHarness({ upstream: { expires: 3 } });
    await h.service.start();
    await registered(h);
    const first = h.platform.registers.filter((r) => r.deviceId === PLATFORM_ID);
    expect(first.map((r) => r.outcome)).toEqual([401, 200]);
    expect(first[1]).toMatchObject({ gbVer: '3.0', expires: '3' });
    // a refresh 80% into the 3 s: challenged and answered again, never a gap
    await until('a refresh', () => h!.platform.registers.filter((r) => r.outcome === 200).length >= 2, 6000);
    await until('keepalives', () => h!.platform.keepalives.length >= 3, 6000);
    const gaps = h.platform.keepalives.slice(1).map((k, i) => k.at - h!.platform.keepalives[i]!.at);
    for (const g of gaps) expect(g).toBeGreaterThan(600);
    const st = h.service.status().upstreams[0]!;
    expect(st).toMatchObject({ state: 'registered', lastError: null, keepalivesMissed: 0 });
    expect(st.registeredSince).not.toBeNull();
    expect(h.logLines.join('\n')).not.toContain(PASSWORD);
  });

  it('gb28181: a platform of the 2016 revision that refuses X-GB-Ver: we register without it', async () => {
    h = await gbHarness({ platform: { password: PASSWORD, timers: { t1Ms: 50, t2Ms: 400 }, refuseGbVer: true, keepaliveTimeoutMs: 3000 } });
    await h.service.start();
    await registered(h);
    expect(h.platform.registers.map((r) => [r.outcome, r.gbVer ?? null])).toEqual([
      [400, '3.0'],
      [401, null],
      [200, null],
    ]);
  });

  it('gb28181: a wrong password is a clear error and a growing backoff; once right, we register', async () => {
    h = await gbHarness({ platform: { password: 'not-ours' } as never });
    h.platform.password = 'not-ours';
    await h.service.start();
    await until('refused', () => h!.service.status().upstreams[0]!.state === 'failed', 5000);
    const st = h.service.status().upstreams[0]!;
    expect(st.lastError).toMatch(/refused our (credentials|registration)/);
    await until('three attempts', () => h!.platform.registers.filter((r) => r.outcome === 403).length >= 3, 10_000);
    const refused = h.platform.registers.filter((r) => r.outcome === 403).map((r) => r.at);
    // 0.75 s, then 1.5 s (half the cap plus the jitter's half)
    expect(refused[2]! - refused[1]!).toBeGreaterThan(refused[1]! - refused[0]! + 300);
    h.platform.password = PASSWORD;
    await registered(h);
    expect(h.logLines.some((l) => l.includes('refused our id or password'))).toBe(true);
    expect(h.logLines.join('\n')).not.toContain(PASSWORD);
  });

  it('gb28181: the upper platform restarts (forgets us): the next keepalive is answered 404 and we register again', async () => {
    h = await gbHarness();
    await h.service.start();
    await registered(h);
    const port = h.platform.sipPort;
    await h.platform.stop();
    await h.platform.start(port);
    expect(h.platform.online(PLATFORM_ID)).toBe(false);
    await registered(h);
    expect(h.platform.notFound).toBeGreaterThanOrEqual(1);
    expect(h.service.status().upstreams[0]!.registrations).toBe(2);
  });

  it('gb28181: a platform that stops answering: keepalives miss, we register again and back off until it answers', async () => {
    h = await gbHarness({ upstream: { keepaliveMisses: 2 } });
    await h.service.start();
    await registered(h);
    h.platform.silent = true;
    await until('lost', () => h!.service.status().upstreams[0]!.state === 'registering', 15_000);
    expect(h.service.status().upstreams[0]!.lastError).toMatch(/keepalive|REGISTER|answer/);
    h.platform.silent = false;
    await registered(h);
  });
});

describe('gb28181: catalog', () => {
  for (const [transport, chunk] of [['udp', 1], ['udp', 8], ['tcp', 1], ['tcp', 8]] as const) {
    it(`gb28181: a catalog of 2,000 cameras (${transport}, ${chunk} a message) arrives whole, with the region tree and the right statuses`, async () => {
      h = await gbHarness({ upstream: { transport, catalogChunk: chunk } });
      fleetOf(h);
      await h.service.start();
      await registered(h);
      const items = await h.platform.queryCatalog(PLATFORM_ID);
      const regions = items.filter((i) => i.deviceId.length <= 8);
      const cams = items.filter((i) => i.deviceId.length === 20);
      expect(regions.map((r) => r.deviceId).sort()).toEqual(['33', '3301', '330106', '33010601']);
      expect(regions.find((r) => r.deviceId === '330106')!.fields).toMatchObject({ Name: '西湖区', ParentID: '3301' });
      expect(regions.find((r) => r.deviceId === '33')!.fields['ParentID']).toBe(PLATFORM_ID);
      expect(cams).toHaveLength(2000);
      for (let i = 1; i <= 2000; i++) {
        const it = cams.find((c) => c.deviceId === gbCamera(i));
        expect(it, gbCamera(i)).toBeDefined();
        expect(it!.fields['Status']).toBe(i % 10 === 0 ? 'OFF' : 'ON');
      }
      const one = cams.find((c) => c.deviceId === gbCamera(1))!.fields;
      expect(one).toMatchObject({ Name: '摄像机0001', Manufacturer: 'Hikvision', Model: 'DS-2CD2T47', CivilCode: '33010601', ParentID: '33010601', Parental: '0' });
      expect(cams.find((c) => c.deviceId === gbCamera(2))!.fields['ParentID']).toBe('330106');
    }, 60_000);
  }

  it('gb28181: over a lossy UDP link (every 5th message lost) registration and a catalog of 300 still arrive whole: the requests are sent again (RFC 3261 timers)', async () => {
    h = await gbHarness({ platform: { password: PASSWORD, timers: { t1Ms: 50, t2Ms: 400 }, dropEvery: 5, catalogFirstMs: 5000, catalogGapMs: 5000, keepaliveTimeoutMs: 5000 } });
    fleetOf(h, 300);
    await h.service.start();
    await registered(h);
    const items = await h.platform.queryCatalog(PLATFORM_ID);
    expect(items.filter((i) => i.deviceId.length === 20)).toHaveLength(300);
    expect(h.platform.dropped).toBeGreaterThan(50);
  }, 60_000);

  it('gb28181: only the configured regions are reported; cameras without a valid id are counted, not reported', async () => {
    h = await gbHarness({ upstream: { regions: ['33010601'] } });
    fleetOf(h, 40);
    h.status('gw-0', 'cam-without-gb-id');
    await h.service.start();
    await registered(h);
    const items = await h.platform.queryCatalog(PLATFORM_ID);
    expect(items.filter((i) => i.deviceId.length === 20)).toHaveLength(20);
    expect(items.filter((i) => i.deviceId.length <= 8).map((i) => i.deviceId)).toEqual(['33010601']);
    expect(h.service.status()).toMatchObject({ reportedCameras: 40, unreportedCameras: 1 });
  });

  it('gb28181: DeviceStatus and DeviceInfo of the platform and of a camera; an unknown id is 404', async () => {
    h = await gbHarness();
    fleetOf(h, 20);
    await h.service.start();
    await registered(h);
    const st = (await h.platform.query(PLATFORM_ID, 'DeviceStatus')) as XmlElement;
    expect({ online: childText(st, 'Online'), status: childText(st, 'Status'), result: childText(st, 'Result') }).toEqual({ online: 'ONLINE', status: 'OK', result: 'OK' });
    expect(childText(st, 'DeviceTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const info = (await h.platform.query(PLATFORM_ID, 'DeviceInfo')) as XmlElement;
    expect({ name: childText(info, 'DeviceName'), maker: childText(info, 'Manufacturer'), fw: childText(info, 'Firmware'), ch: childText(info, 'Channel') }).toEqual({ name: '西湖区雪亮平台', maker: 'xueliang', fw: '9.9.9', ch: '20' });
    const cam = (await h.platform.query(PLATFORM_ID, 'DeviceStatus', gbCamera(10))) as XmlElement;
    expect(childText(cam, 'Online')).toBe('OFFLINE');
    const none = (await h.platform.query(PLATFORM_ID, 'DeviceStatus', '33010600001329999999')) as SipResponse;
    expect(none.status).toBe(404);
  });
});

describe('gb28181: subscription', () => {
  it('gb28181: a camera offline at the centre reaches the subscriber within a second (VLOST for no video, OFF otherwise, ON back, DEFECT, ADD, DEL, UPDATE)', async () => {
    h = await gbHarness();
    fleetOf(h, 20);
    await h.service.start();
    await registered(h);
    const sub = await h.platform.subscribeCatalog(PLATFORM_ID, 3600);
    expect(sub.res.status).toBe(200);
    expect(sub.res.headers.get('expires')).toBe('3600');
    const expect1 = async (what: string, deviceId: string, event: string, act: () => void) => {
      const from = h!.platform.notifies.length;
      const at = Date.now();
      act();
      await until(what, () => h!.platform.notifies.slice(from).some((n) => n.items.some((i) => i.deviceId === deviceId && i.event === event)), 3000);
      const n = h!.platform.notifies.slice(from).find((x) => x.items.some((i) => i.deviceId === deviceId && i.event === event))!;
      expect(n.at - at, what).toBeLessThan(1000);
      return n.items.find((i) => i.deviceId === deviceId && i.event === event)!;
    };
    const c1 = gbCamera(1);
    expect((await expect1('VLOST', c1, 'VLOST', () => h!.status('gw-1', c1, { state: 'offline', rung: 'decode', reason: 'no_video', consecutiveFailures: 3 }))).status).toBe('OFF');
    expect((await expect1('ON', c1, 'ON', () => h!.status('gw-1', c1))).status).toBe('ON');
    await expect1('OFF', c1, 'OFF', () => h!.status('gw-1', c1, { state: 'offline', rung: 'tcp', reason: 'unreachable', consecutiveFailures: 3 }));
    await expect1('DEFECT', c1, 'DEFECT', () => h!.status('gw-1', c1, { state: 'degraded', faults: [{ fault: 'frozen', value: null, threshold: null }] }));
    const added = await expect1('ADD', gbCamera(99), 'ADD', () => h!.status('gw-3', gbCamera(99), { name: '新装 西湖' }));
    expect(added.fields).toMatchObject({ Name: '新装 西湖', Status: 'ON' });
    const updated = await expect1('UPDATE', c1, 'UPDATE', () => h!.status('gw-1', c1, { state: 'degraded', faults: [{ fault: 'frozen', value: null, threshold: null }], name: '文三路 东' }));
    expect(updated.fields['Name']).toBe('文三路 东');
    await expect1('DEL', gbCamera(99), 'DEL', () => h!.fleet.releaseCamera(gbCamera(99)));
  });

  it('gb28181: a gateway going down turns its cameras OFF in a handful of NOTIFYs; Expires 0 ends the subscription', async () => {
    h = await gbHarness();
    fleetOf(h);
    await h.service.start();
    await registered(h);
    const sub = await h.platform.subscribeCatalog(PLATFORM_ID, 600);
    const from = h.platform.notifies.length;
    h.gone('gw-1');
    await until('500 OFF', () => h!.platform.notifies.slice(from).flatMap((n) => n.items).filter((i) => i.event === 'OFF').length >= 500, 5000);
    const notes = h.platform.notifies.slice(from);
    const off = notes.flatMap((n) => n.items).filter((i) => i.event === 'OFF');
    // gw-1 has cameras 1, 5, 9, …: 500, all online or degraded until now
    expect(new Set(off.map((i) => i.deviceId)).size).toBe(500);
    expect(notes.length).toBeLessThanOrEqual(5);
    for (const n of notes) expect(n.bytes).toBeLessThanOrEqual(24_000);
    const end = await h.platform.subscribeCatalog(PLATFORM_ID, 0, sub.dialog);
    expect(end.res.status).toBe(200);
    const after = h.platform.notifies.length;
    h.gone('gw-2');
    await new Promise((r) => setTimeout(r, 800));
    expect(h.platform.notifies.length).toBe(after);
  });
});

describe('gb28181: bad input', () => {
  it('gb28181: a SIP port another program holds: each platform says why, and the service does not throw', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    const port = holder.address().port;
    try {
      h = await gbHarness({ sipPort: port });
      await h.service.start();
      const st = h.service.status();
      expect(st.upstreams[0]).toMatchObject({ state: 'failed', lastError: `our SIP port 127.0.0.1:${port} cannot be opened (EADDRINUSE)` });
    } finally {
      holder.close();
    }
  });

  it('gb28181: garbage, oversized datagrams, strangers, unknown methods and CmdTypes, a SUBSCRIBE flood and INVITE are refused and counted; the catalog still answers', async () => {
    h = await gbHarness();
    fleetOf(h, 10);
    await h.service.start();
    await registered(h);
    const port = h.service.status().port;
    const udp = dgram.createSocket('udp4');
    const send = (b: Buffer, host = '127.0.0.1') => new Promise<void>((r) => udp.send(b, port, host, () => r()));
    await send(Buffer.from('this is not SIP\r\n\r\n'));
    await send(Buffer.from('MESSAGE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\n\r\n'));
    await send(Buffer.alloc(65_000, 0x41));
    // a stranger on another loopback address: not read at all
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.2', () => r()));
    await new Promise<void>((r) => stranger.send(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\n\r\n'), port, '127.0.0.1', () => r()));
    stranger.close();
    udp.close();
    const p = h.platform;
    expect((await p.raw(PLATFORM_ID, 'PUBLISH', undefined)).status).toBe(405);
    expect((await p.raw(PLATFORM_ID, 'INVITE', Buffer.from('v=0\r\n'), [['Content-Type', 'application/sdp']])).status).toBe(488);
    expect((await p.raw(PLATFORM_ID, 'MESSAGE', writeManscdp('Control', [['CmdType', 'DeviceControl'], ['SN', 1], ['DeviceID', PLATFORM_ID]], 'GB2312'))).status).toBe(400);
    expect((await p.raw(PLATFORM_ID, 'MESSAGE', Buffer.from('<Query><CmdType>Catalog</CmdType><SN>abc</SN><DeviceID>1</DeviceID></Query>'))).status).toBe(400);
    expect((await p.raw(PLATFORM_ID, 'MESSAGE', Buffer.from('<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x "y">]><Query/>'))).status).toBe(400);
    expect((await p.raw(PLATFORM_ID, 'SUBSCRIBE', undefined, [['Event', 'Alarm'], ['Expires', '60']])).status).toBe(489);
    const subs = [];
    for (let i = 0; i < 6; i++) subs.push((await p.subscribeCatalog(PLATFORM_ID, 600)).res.status);
    expect(subs).toEqual([200, 200, 200, 200, 503, 503]);
    const faults = h.service.status().faults;
    expect(faults).toMatchObject({ malformed: 2, oversized: 1, not_allowed: 1, unknown_method: 1, invite_refused: 1, unknown_cmdtype: 1, bad_body: 2, subscribe_refused: 3 });
    const items = await p.queryCatalog(PLATFORM_ID);
    expect(items.filter((i) => i.deviceId.length === 20)).toHaveLength(10);
    // each catalog walks the fleet: one more within 2 s is refused, not answered
    await expect(p.queryCatalog(PLATFORM_ID)).rejects.toThrow(/503/);
    expect(h.service.status().faults.rate_limited).toBe(1);
  });

  it('gb28181: a request from the platform host under another id is 403 and counted', async () => {
    h = await gbHarness();
    await h.service.start();
    await registered(h);
    const other = new (await import('../support/gb-upper-platform.js')).UpperPlatform({ serverId: '34020000002000000099', password: PASSWORD, timers: { t1Ms: 50, t2Ms: 400 } });
    await other.start();
    // it pretends to know us: it sends to our port what the real one would
    other.devices.set(PLATFORM_ID, { id: PLATFORM_ID, peer: { transport: 'udp', address: '127.0.0.1', port: h.service.status().port }, expiresAt: Date.now() + 60_000, lastKeepalive: Date.now(), registeredAt: Date.now() });
    await expect(other.queryCatalog(PLATFORM_ID)).rejects.toThrow(/403/);
    await other.stop();
    expect(h.service.status().faults.unknown_sender).toBe(1);
  });
});
