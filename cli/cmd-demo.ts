import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { decode, decodePayload, ratesMessage, topics, type CameraStatusMessage, type TopicKind } from '../protocols/index.js';

const WATCHED: ReadonlySet<TopicKind> = new Set(['cameraStatus', 'events']);
import { agentConfigSchema } from '../config/agent.js';
import { aggregatorConfigSchema } from '../config/aggregator.js';
import { createLogger } from '../platform/logger.js';
import { commandSettings, MqttConnection } from '../platform/mqtt-client.js';
import { startEmbeddedBroker } from './demo/embedded-broker.js';
import { demoAccounts } from './demo/demo-accounts.js';
import { startOnvifSimulator } from './demo/onvif-sim.js';
import { startRtspServer } from './demo/rtsp-server.js';
import { missingSystemPackages } from './demo/system-deps.js';
import { EXIT, err, out, UsageError } from './output.js';
import { AgentApp } from '../agent/index.js';
import { AggregatorApp } from '../aggregator/index.js';

export const demoHelp = `xueliang demo [--duration SECONDS] [--mqtt-port N]

A self-contained demo on this machine only (loopback): an embedded MQTT broker,
a fleet of simulated ONVIF cameras streaming real H.264 over RTSP (some healthy,
some failing in different ways over time) and an agent that discovers and checks
them. Prints every camera state change and a summary line as they happen.
  --duration S    stop by itself after S seconds (default: run until Ctrl-C)
  --mqtt-port N   port of the embedded broker (default: a free one)
Watch the MQTT traffic with:  mosquitto_sub -h 127.0.0.1 -p PORT -t 'xueliang/#' -v`;

const PASSWORD = 'demo-Pa55';
const AGENT_ID = 'demo-gateway';

export async function runDemo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { duration: { type: 'string' }, 'mqtt-port': { type: 'string' } }, strict: true });
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0 && duration <= 86_400)) throw new UsageError('--duration takes 1..86400 seconds');
  const mqttPort = Number(values['mqtt-port'] ?? 0);
  if (!Number.isInteger(mqttPort) || mqttPort < 0 || mqttPort > 65535) throw new UsageError('--mqtt-port takes a TCP port');

  const missing = missingSystemPackages();
  if (missing.length > 0) {
    err(`The demo needs system packages that are not installed: ${missing.join(', ')}`);
    err(`Install them with:\n  sudo apt-get install -y ${missing.join(' ')}\nor run  bash scripts/setup.sh  which installs everything the demo and the tests need.`);
    return EXIT.missing;
  }

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const broker = await startEmbeddedBroker(mqttPort);
    cleanups.push(() => broker.close());
    const rtsp = await startRtspServer({
      // cam4 sends a still picture (a colour chart): online to a decoder, frozen to the picture check
      mounts: { '/cam1': 'scene', '/cam2': 'scene', '/cam3': 'scene', '/cam4': 'colors', '/cam5': 'scene', '/gate': 'scene', '/gs1': 'scene', '/gs2': 'scene', '/gs3': 'scene', '/gs4': 'scene' },
      auth: { username: 'admin', password: PASSWORD },
    });
    cleanups.push(() => rtsp.close());
    const sim = await startOnvifSimulator({
      devices: [
        { streams: [rtsp.url('/cam1')], username: 'admin', password: PASSWORD, httpDigest: true, manufacturer: 'Sim-Hik', model: 'DS-SIM-1', serial: 'SIM-0001' },
        { streams: [rtsp.url('/cam2')], username: 'admin', password: PASSWORD, manufacturer: 'Sim-Dahua', model: 'IPC-SIM-2', serial: 'SIM-0002' },
        { streams: [rtsp.url('/cam3')], username: 'admin', password: PASSWORD, manufacturer: 'Sim-Uniview', model: 'IPC-SIM-3', serial: 'SIM-0003', clockOffsetMs: 42_000 },
        { streams: [rtsp.url('/cam4')], username: 'admin', password: PASSWORD, manufacturer: 'Sim-Hik', model: 'DS-SIM-4', serial: 'SIM-0004' },
        // its password was changed on site and nobody told the config
        { streams: [rtsp.url('/cam5')], username: 'admin', password: 'changed-on-site', manufacturer: 'Sim-Tiandy', model: 'TC-SIM-5', serial: 'SIM-0005' },
        // firmware that accepts the connection and never answers
        { streams: [rtsp.url('/cam1')], misbehave: 'hang', manufacturer: 'Sim-Old', model: 'OLD-SIM-6', serial: 'SIM-0006' },
      ],
      discovery: {},
    });
    cleanups.push(() => sim.close());
    // Gongshu's pier: a two-input video encoder (one ONVIF device, two cameras behind it), configured, not discovered
    const encoder = await startOnvifSimulator({
      devices: [{ streams: [], channels: [{ streams: [rtsp.url('/gs3')] }, { streams: [rtsp.url('/gs4')] }], username: 'admin', password: PASSWORD, manufacturer: 'Sim-Hik', model: 'DS-6702HUHI-SIM', serial: 'SIM-ENC-01', discoverable: false }],
    });
    cleanups.push(() => encoder.close());

    const dir = mkdtempSync(path.join(os.tmpdir(), 'xueliang-demo-'));
    const logFile = path.join(dir, 'agent.log');
    // the point plan (点位) of the demo: six points in Xihu district (XH-006 has no camera yet) and three in
    // Gongshu district next door, watched by a second gateway, so the drill-down has two counties to compare
    const points: Array<[string, string, string, 'key_public_area' | 'key_industry_part']> = [
      ['XH-001', '文三路与学院路口', '330106', 'key_public_area'],
      ['XH-002', '黄龙体育中心南广场', '330106', 'key_public_area'],
      ['XH-003', '西溪路农商银行金库通道', '330106', 'key_industry_part'],
      ['XH-004', '学军中学西溪校区大门', '330106', 'key_industry_part'],
      ['XH-005', '翠苑街道综治中心大门', '330106', 'key_public_area'],
      ['XH-006', '古荡农贸市场东入口', '330106', 'key_public_area'],
      ['GS-001', '湖墅南路与环城北路口', '330105', 'key_public_area'],
      ['GS-002', '大关小区北门', '330105', 'key_public_area'],
      ['GS-003', '武林门客运码头候船厅', '330105', 'key_industry_part'],
    ];
    const plan = points.map(([id, name, region, category]) => ({ id, name, region, category, required: 1 }));
    // one account per role and a token for curl, as `xueliang user add` and `token create` make them on a server
    const logins = await demoAccounts(path.join(dir, 'aggregator.db'));
    const aggregator = new AggregatorApp({
      config: aggregatorConfigSchema.parse({ mqtt: { url: broker.url, protocolVersion: 4, clientId: 'xueliang-demo-aggregator' }, http: { host: '127.0.0.1', port: 0 }, database: path.join(dir, 'aggregator.db'), ratesIntervalMs: 2000 }),
      log: createLogger({ name: 'xueliang-aggregator', level: 'info', destination: pino.destination({ dest: path.join(dir, 'aggregator.log'), sync: false }) }),
    });
    await aggregator.start();
    await aggregator.state.setPlan(plan);
    cleanups.push(() => aggregator.stop());
    // four of the ONVIF cameras are in the config, bound to their points; the rest are found by discovery only
    const bound = sim.devices.slice(0, 4).map((d, i) => ({ gbId: `330106000013200000${String(i + 1).padStart(2, '0')}`, name: plan[i]!.name, onvif: d.xaddr, pointId: plan[i]!.id }));
    const config = agentConfigSchema.parse({
      agentId: AGENT_ID,
      site: '西湖区文三路监控站（模拟摄像机，127.0.0.1）',
      region: '330106',
      mqtt: { url: broker.url, protocolVersion: 4 },
      credentials: [{ name: 'site', username: 'admin', password: PASSWORD }],
      cameras: [...bound, { id: 'gate-rtsp', name: '翠苑街道综治中心大门（仅 RTSP）', rtsp: rtsp.url('/gate', { username: 'admin', password: PASSWORD }), pointId: 'XH-005' }],
      discovery: { multicast: false, cidrs: ['127.0.0.1/32'], port: sim.discoveryPort, windowMs: 800, schedule: '*/5 * * * *' },
      checks: {
        livenessSchedule: '*/5 * * * * *',
        decodeSchedule: '*/30 * * * * *',
        offlineAfter: 2,
        livenessDeadlineMs: 3000,
        decodeDeadlineMs: 10_000,
        maxFfmpeg: 2,
        picture: { schedule: '15 * * * * *', seconds: 2, nightFrom: '00:00', nightTo: '00:00' },
      },
      summaryIntervalSec: 10,
      stateDir: path.dirname(logFile),
      logLevel: 'info',
    });
    const log = createLogger({ name: 'xueliang-agent', level: 'info', destination: pino.destination({ dest: logFile, sync: false }) });
    const agent = new AgentApp({ config, log });
    // the Gongshu gateway: two RTSP cameras (a third point has none yet); socket rungs only, as a weak gateway runs
    const gongshuCameras = [
      { gbId: '33010500001320000001', name: '湖墅南路与环城北路口', rtsp: rtsp.url('/gs1', { username: 'admin', password: PASSWORD }), pointId: 'GS-001' },
      { gbId: '33010500001320000002', name: '大关小区北门', rtsp: rtsp.url('/gs2', { username: 'admin', password: PASSWORD }), pointId: 'GS-002' },
    ];
    // the encoder's channels: each a camera of its own, named and bound by the config
    const pierChannels = [
      { source: 'VideoSource_1', gbId: '33010500001320000003', name: '武林门客运码头候船厅', pointId: 'GS-003' },
      { source: 'VideoSource_2', gbId: '33010500001320000004', name: '武林门客运码头售票厅' },
    ];
    const pierEncoder = { id: 'gs-pier-encoder', name: '武林门码头视频编码器', onvif: encoder.devices[0]!.xaddr, category: 'key_industry_part' as const, channels: pierChannels };
    const gongshu = new AgentApp({
      config: agentConfigSchema.parse({
        agentId: `${AGENT_ID}-gongshu`,
        site: '拱墅区大关监控站（模拟摄像机，127.0.0.1）',
        region: '330105',
        mqtt: { url: broker.url, protocolVersion: 4 },
        credentials: [{ name: 'site', username: 'admin', password: PASSWORD }],
        cameras: [...gongshuCameras, pierEncoder],
        discovery: { enabled: false, multicast: false },
        checks: { livenessSchedule: '*/5 * * * * *', decode: false, offlineAfter: 2, livenessDeadlineMs: 3000, picture: { enabled: false } },
        summaryIntervalSec: 10,
        stateDir: path.dirname(logFile),
        logLevel: 'info',
      }),
      log: createLogger({ name: 'xueliang-agent-gongshu', level: 'info', destination: pino.destination({ dest: path.join(dir, 'agent-gongshu.log'), sync: false }) }),
    });

    out('xueliang demo — everything runs on 127.0.0.1 and stops with Ctrl-C');
    out(`  MQTT broker   ${broker.url}   (mosquitto_sub -h 127.0.0.1 -p ${broker.port} -t 'xueliang/#' -v)`);
    out(`  RTSP server   rtsp://127.0.0.1:${rtsp.port}/cam1 … /cam5, /gate, /gs1 … /gs4   (user admin)`);
    out(`  cameras       Xihu gateway: 6 simulated ONVIF cameras (4 in the config with their points, 2 found by WS-Discovery only) + 1 RTSP-only camera`);
    out(`                Gongshu gateway: 2 RTSP-only cameras + a 2-input video encoder (one ONVIF device, a camera per channel)`);
    out(`  console       ${aggregator.apiUrl}/   ← open this in a browser (zh-CN; English one click away)`);
    out(`  log in        ${logins.accounts.map((a) => `${a.name} / ${a.password}`).join('   ')}`);
    out(`                (系统管理员 admin of every region · 西湖区 operator · 安全管理员 security: users and tokens · 审计管理员 auditor: the audit trail)`);
    out(`  aggregator    ${aggregator.apiUrl}/api/rates   ${aggregator.apiUrl}/api/cameras/offline   ${aggregator.apiUrl}/metrics`);
    out(`                curl -H 'Authorization: Bearer ${logins.token}' ${aggregator.apiUrl}/api/rates`);
    out(`  point plan    6 points in Xihu district (西湖区 330106), one without a camera, and 3 in Gongshu (拱墅区 330105)`);
    out(`  logs          ${dir}/agent.log, agent-gongshu.log, aggregator.log`);
    out('  scripted      cam2 loses its stream after 25 s and gets it back 40 s later; cam4 shows a frozen picture;');
    out('                cam5 has a changed password; cam6 hangs\n');

    // the names the configs give: an event may arrive before the camera's first status (which carries the name)
    const configured = new Map<string, string>([...config.cameras, ...gongshuCameras, ...pierChannels].flatMap((c) => (c.name ? [[c.gbId ?? ('id' in c ? (c.id ?? '') : ''), c.name] as [string, string]] : [])));
    const watcher = await watch(broker.url, configured);
    cleanups.push(() => watcher.close());
    await agent.start();
    cleanups.push(() => agent.stop(5000));
    await gongshu.start();
    cleanups.push(() => gongshu.stop(5000));

    // scripted faults, bounded: each timer fires once per cycle and is cleared at exit
    const timers: NodeJS.Timeout[] = [];
    const cycle = () => {
      timers.push(setTimeout(() => void rtsp.remove('/cam2').then(() => out(`${clock()}  [demo] cam2's stream stopped`)), 25_000));
      timers.push(setTimeout(() => void rtsp.add('/cam2', 'scene').then(() => out(`${clock()}  [demo] cam2's stream is back`)), 65_000));
    };
    cycle();
    const cycler = setInterval(cycle, 90_000);
    cleanups.push(async () => {
      clearInterval(cycler);
      timers.forEach(clearTimeout);
    });

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (duration !== undefined) setTimeout(stop, duration * 1000).unref();
    });
    out(`\n${clock()}  stopping…`);
    await cleanup();
    out('demo stopped; every process it started has ended.');
    return EXIT.ok;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

const clock = () => new Date().toTimeString().slice(0, 8);

async function watch(url: string, configured: ReadonlyMap<string, string>) {
  const t = topics();
  const client = new MqttConnection({ settings: commandSettings(url, 'xueliang-demo-watch', 4), log: createLogger({ name: 'xueliang-demo-watch', level: 'silent' }) });
  const cams = new Map<string, CameraStatusMessage>();
  const label = (id: string) => {
    const s = cams.get(id);
    const who = s?.name ?? configured.get(id) ?? (s?.device ? `${s.device.manufacturer ?? ''} ${s.device.serial ?? ''}`.trim() : undefined);
    const short = id.length > 20 ? `${id.slice(0, 18)}…` : id;
    return who ? `${who} (${short})` : short;
  };
  const driftShown = new Set<string>();
  client.onMessage(({ topic, payload }) => {
    const r = decode(t.root, topic, payload, { accept: WATCHED });
    if (!r.ok || r.value.message === null) return;
    if (r.value.kind === 'cameraStatus') {
      const s = r.value.message;
      cams.set(s.cameraId, s);
      if (s.clockDriftMs !== null && Math.abs(s.clockDriftMs) > 5000 && !driftShown.has(s.cameraId)) {
        driftShown.add(s.cameraId);
        out(`${clock()}  ${label(s.cameraId).padEnd(38)} clock is ${(s.clockDriftMs / 1000).toFixed(0)} s off (over 5 s breaks logins and evidence timestamps)`);
      }
    } else if (r.value.kind === 'events') {
      const e = r.value.message;
      if (e.type === 'faults') {
        const what = [...e.appeared.map((f) => `+${f.fault}`), ...e.cleared.map((f) => `-${f}`)].join(' ');
        out(`${clock()}  ${label(e.cameraId).padEnd(38)} picture: ${what}`);
      }
      if (e.type === 'state') {
        const why = e.rung ? `   [${e.rung}: ${e.reason}${e.detail ? ` — ${e.detail}` : ''}]` : '';
        out(`${clock()}  ${label(e.cameraId).padEnd(38)} ${e.from} → ${e.to}${why}`);
      }
    }
  });
  // the aggregator's retained rates for the whole deployment
  client.onMessage(({ topic, payload }) => {
    if (topic !== t.rates('all') || payload.length === 0) return;
    const r = decodePayload(ratesMessage, payload);
    if (!r.ok) return;
    const a = r.message.categories.all;
    const f = (x: { numerator: number; denominator: number; rate: number | null }) => `${x.numerator}/${x.denominator}${x.rate === null ? '' : ` ${(x.rate * 100).toFixed(1)}%`}`;
    out(`${clock()}  ── rates: coverage ${f(a.coverage)} · networking ${f(a.networking)} · intact ${f(a.intact)} · cameras ${a.cameras.installed}: ${a.cameras.online} online, ${a.cameras.degraded} degraded, ${a.cameras.offline} offline, ${a.cameras.unknown} unknown`);
  });
  for (const f of [t.all.cameraStatuses, t.all.events, t.rates('all')]) client.subscribe(f);
  client.start();
  await client.whenConnected(10_000);
  return { close: () => client.stop(undefined, 1000) };
}
