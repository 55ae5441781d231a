import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cameraStatusMessage, reportedConfigMessage, topics, type ReportedConfigMessage } from '../../protocols/index.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { CLI, startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';

const t = topics();
const AGENT = 'gw-rc';
const PUSHED_SECRET = 'pushed-Secret-77';

describe('remote configuration over MQTT', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let agent: AgentProcess;
  /** agents this file stopped and replaced: their logs are checked too */
  const retired: AgentProcess[] = [];
  let watch: MqttWatch;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-rc-'));
  const stateDir = path.join(dir, 'state');
  let baseConfig: Record<string, unknown>;

  const push = (patch: unknown, extra: string[] = [], target = ['--agent', AGENT]) => {
    const file = path.join(dir, `push-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, typeof patch === 'string' ? patch : stringify(patch));
    const r = spawnSync(process.execPath, [CLI, 'config', 'push', ...target, file, '--broker', broker.url, '--timeout', '20', '--json', ...extra], { encoding: 'utf8' });
    const body = r.stdout ? (JSON.parse(r.stdout) as { version: number; reports: Record<string, ReportedConfigMessage> }) : undefined;
    return { code: r.status, report: body?.reports[AGENT], version: body?.version, stderr: r.stderr };
  };
  const reported = () => watch.on(t.configReported(AGENT)).map((m) => reportedConfigMessage.parse(JSON.parse(m.payload)));
  const status = (id: string) => watch.latest<unknown>(t.cameraStatus(AGENT, id));

  beforeAll(async () => {
    broker = await startMosquitto();
    rtsp = await startRtspServer({ mounts: { '/a': 'scene', '/b': 'scene' } });
    expect(spawnSync(process.execPath, [CLI, 'config', 'keygen', '--out', dir]).status).toBe(0);
    const other = path.join(dir, 'other');
    spawnSync('mkdir', ['-p', other]);
    expect(spawnSync(process.execPath, [CLI, 'config', 'keygen', '--out', other]).status).toBe(0);
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
    baseConfig = {
      agentId: AGENT,
      groups: ['district-1'],
      mqtt: { url: broker.url },
      cameras: [{ id: 'cam-a', rtsp: rtsp.url('/a') }],
      discovery: { enabled: false },
      checks: { livenessSchedule: '*/2 * * * * *', decodeSchedule: '0 0 1 1 *', picture: { enabled: false }, offlineAfter: 2 },
      remoteConfig: { adminPublicKey: path.join(dir, 'admin-key.pub.pem') },
      stateDir,
    };
    agent = startAgent(baseConfig);
    await watch.waitFor('cam-a online', () => {
      const s = status('cam-a');
      return s ? cameraStatusMessage.parse(s).state === 'online' : false;
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await watch?.close();
    await rtsp?.close();
    await broker?.stop();
  });

  const signed = ['--sign', path.join(dir, 'admin-key.pem')];

  it('remote config: a signed push is applied live: a new camera appears and is checked', async () => {
    const r = push({ cameras: [{ id: 'cam-a', rtsp: rtsp.url('/a') }, { id: 'cam-b', rtsp: rtsp.url('/b') }], checks: { livenessSchedule: '* * * * * *' } }, signed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ status: 'applied', source: 'agent', version: r.version });
    await watch.waitFor('cam-b online', () => {
      const s = status('cam-b');
      return s ? cameraStatusMessage.parse(s).state === 'online' : false;
    });
  }, 60_000);

  it.each([
    ['wrong types', { checks: { offlineAfter: 'three' } }, /checks\.offlineAfter/],
    ['unknown keys', { bogus: 1 }, /Unrecognized key: "bogus"/],
    ['an invalid cron expression', { checks: { livenessSchedule: 'every second' } }, /checks\.livenessSchedule: not a valid cron expression/],
  ])('remote config: a push with %s is rejected with its path, and the old config keeps running', (_what, patch, reason) => {
    const r = push(patch, signed);
    expect(r.code).toBe(1);
    expect(r.report?.status).toBe('rejected');
    expect(r.report?.errors?.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(reason);
  }, 30_000);

  it('remote config: a stale version, a forged signature and an unsigned push are rejected', () => {
    const stale = push({ logLevel: 'debug' }, [...signed, '--version', '5']);
    expect(stale.report?.errors?.[0]?.message).toMatch(/not newer than the applied/);
    const forged = push({ logLevel: 'debug' }, ['--sign', path.join(dir, 'other', 'admin-key.pem')]);
    expect(forged.report).toMatchObject({ status: 'rejected', errors: [{ path: 'signature', message: 'signature does not verify with the admin key' }] });
    const unsigned = push({ logLevel: 'debug' });
    expect(unsigned.report?.errors?.[0]?.message).toMatch(/unsigned push/);
  }, 60_000);

  it('remote config: garbage on the config topic is rejected with a reason, not a crash', async () => {
    // (the CLI runs above block this process's event loop: earlier reports may only be read now)
    await watch.client.publishAsync(t.configDesired(AGENT), '{this is not json', { qos: 1 });
    const r = await watch.waitFor('report', () => reported().find((x) => x.status === 'rejected' && x.transaction === undefined));
    expect(r.errors).toEqual([{ path: '(payload)', message: 'not JSON' }]);
    expect(agent.child.exitCode).toBeNull();
  });

  it('remote config: a broker URL that does not work is rolled back within the deadline; the agent stays connected', async () => {
    const started = Date.now();
    const r = push({ mqtt: { url: 'mqtt://127.0.0.1:1' }, remoteConfig: { reconnectDeadlineMs: 3000 } }, signed);
    expect(r.report?.status).toBe('rolled_back');
    expect(Date.now() - started).toBeLessThan(15_000);
    // still reachable: the next push is applied
    // a push is the whole override over the file: it repeats the cameras of the earlier one
    const next = push({ cameras: [{ id: 'cam-a', rtsp: rtsp.url('/a') }, { id: 'cam-b', rtsp: rtsp.url('/b') }], credentials: [{ name: 'site', username: 'admin', password: PUSHED_SECRET }] }, signed);
    expect(next.report?.status).toBe('applied');
  }, 60_000);

  it('remote config: a group push reaches the agents of that group', () => {
    const r = push({ checks: { offlineAfter: 4 } }, signed, ['--group', 'district-1', '--timeout', '5']);
    expect(r.report).toMatchObject({ status: 'applied', source: 'group:district-1' });
    expect(r.report?.versions).toMatchObject({ 'group:district-1': r.version });
  }, 30_000);

  it('remote config: after a restart the pushed config is in force, not the file alone', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
    retired.push(agent);
    const before = watch.messages.length;
    agent = startAgent(baseConfig);
    await watch.waitFor('cam-b checked by the new process', () =>
      watch.messages.slice(before).some((m) => m.topic === t.cameraStatus(AGENT, 'cam-b') && m.payload && cameraStatusMessage.parse(JSON.parse(m.payload)).checkedAt !== null),
    );
  }, 60_000);

  it('remote config: no secret in any report or log line', async () => {
    // the admin's push itself carries it (to this agent's topic only: see the ACL); nothing the agent says does
    for (const m of watch.messages.filter((x) => x.topic !== t.configDesired(AGENT))) expect(m.payload, m.topic).not.toContain(PUSHED_SECRET);
    expect(reported().length).toBeGreaterThan(5);
    // the process that applied the pushes carrying the secret (stopped by the restart test) and the one running now
    expect(retired).toHaveLength(1);
    expect(retired[0]!.lines.some((l) => l.includes('config push applied'))).toBe(true);
    // the running agent's lines are read by this process's event loop, which the CLI runs above blocked: wait for its start line
    for (let k = 0; k < 100 && !agent.lines.some((l) => l.includes('agent started')); k++) await new Promise((r) => setTimeout(r, 100));
    expect(agent.lines.some((l) => l.includes('agent started'))).toBe(true);
    for (const a of [...retired, agent]) for (const l of a.lines) expect(l).not.toContain(PUSHED_SECRET);
  });
});
