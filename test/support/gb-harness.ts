import pino from 'pino';
import { topics } from '../../protocols/index.js';
import { Gb28181Service } from '../../aggregator/gb28181/service.js';
import type { GbUpstreamSettings } from '../../config/gb28181.js';
import { memoryFleet } from './fleet.js';
import { UpperPlatform } from './gb-upper-platform.js';

export const T1 = { t1Ms: 50, t2Ms: 400 };
const t = topics();
const iso = (ms: number) => new Date(ms).toISOString();

export const PLATFORM_ID = '33010600002000000001';
export const SERVER_ID = '34020000002000000001';
export const PASSWORD = 'gb-s3cret-pass';

/** A camera id of region 330106 (a unit 01 under it for odd n) and type 132 (IP camera). */
export const gbCamera = (n: number) => `330106${n % 2 === 1 ? '01' : '00'}001320${String(n).padStart(6, '0')}`;

/**
 * The centre's fleet model (fed through the real ingest pipeline), the GB/T
 * 28181 service on it on loopback, and an upper platform that it registers
 * with: one piece of the aggregator, wired as app.ts wires it.
 */
export async function gbHarness(opts: { upstream?: Partial<GbUpstreamSettings>; platform?: ConstructorParameters<typeof UpperPlatform>[0]; sipPort?: number } = {}) {
  const platform = new UpperPlatform({ password: PASSWORD, keepaliveTimeoutMs: 3000, catalogFirstMs: 5000, catalogGapMs: 5000, timers: T1, ...opts.platform });
  await platform.start();
  const f = memoryFleet();
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });
  const upstream: GbUpstreamSettings = {
    serverId: SERVER_ID,
    domain: '3402000000',
    host: '127.0.0.1',
    port: platform.sipPort,
    transport: 'udp',
    localId: PLATFORM_ID,
    passwordEnv: 'XL_GB_TEST_PASSWORD',
    expires: 3600,
    keepaliveSeconds: 1,
    keepaliveMisses: 3,
    charset: 'GB2312',
    catalogChunk: 1,
    regions: [],
    notifyMaxBytes: 24_000,
    ...opts.upstream,
  };
  const service = new Gb28181Service({
    settings: { sip: { host: '127.0.0.1', port: opts.sipPort ?? 0 }, deviceName: '西湖区雪亮平台', upstream: [upstream] },
    state: f.fleet,
    log,
    now: Date.now,
    timeZone: 'Asia/Shanghai',
    version: '9.9.9',
    env: { XL_GB_TEST_PASSWORD: PASSWORD },
    timers: T1,
    random: () => 0.5,
  });
  f.fleet.counters.onChange = (id) => service.changed(id);
  f.fleet.events.on('cameraSaved', (id) => service.changed(id));

  // a message the test meant to apply that the pipeline refused is the test's mistake: say so at once
  const send = (topic: string, payload: unknown) => {
    const before = JSON.stringify(f.fleet.stats.rejected);
    f.send(topic, payload);
    if (JSON.stringify(f.fleet.stats.rejected) !== before) throw new Error(`the test's message was refused: ${JSON.stringify(f.fleet.stats.rejected)} ${JSON.stringify(payload).slice(0, 300)}`);
  };
  const birth = (agentId: string, region = '330106') => send(t.agentState(agentId), { state: 'online', session: `s-${agentId}`, agentVersion: '1.0.0', startedAt: iso(Date.now() - 60_000), site: null, region });
  const gone = (agentId: string) => send(t.agentState(agentId), { state: 'offline', session: `s-${agentId}`, at: iso(Date.now()) });
  const status = (agentId: string, cameraId: string, extra: Record<string, unknown> = {}) =>
    send(t.cameraStatus(agentId, cameraId), {
      cameraId, gbId: null, name: `摄像机${cameraId.slice(-4)}`, state: 'online', since: iso(Date.now() - 30_000), checkedAt: iso(Date.now()), rung: null, reason: null, detail: null, consecutiveFailures: 0,
      source: 'rtsp', address: '127.0.0.1:554', streamUri: null, stream: null, device: { manufacturer: 'Hikvision', model: 'DS-2CD2T47', firmware: null, serial: null, hardwareId: null }, clockDriftMs: null, pointId: null, category: 'key_public_area', faults: [], rungs: [], recording: null, ...extra,
    });
  return {
    platform,
    fleet: f.fleet,
    service,
    logLines,
    birth,
    gone,
    status,
    async stop() {
      await service.stop();
      await platform.stop();
    },
  };
}
