import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../protocols/index.js';
import { CLI, startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';

/*
 * Enrolled gateways at the broker (issue 24 §5): `xueliang gateway enrol`
 * makes a gateway's own login and role through Debian's mosquitto with its
 * dynamic-security plugin; the gateway writes its own topics only, reads its
 * own requests only; `gateway revoke` cuts it off at once.
 */
const t = topics();
const ADMIN = { username: 'broker-admin', password: randomBytes(18).toString('base64url') };

function gateway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'gateway', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XUELIANG_MQTT_USERNAME: ADMIN.username, XUELIANG_MQTT_PASSWORD: ADMIN.password, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

type Enrolled = { agentId: string; region: string; mqtt: { url: string; username: string; password: string; topicRoot: string } };

/** An MQTT 5 client with a gateway's login; rejects when the broker refuses it. */
function connectAs(url: string, username: string, password: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 5, username, password, reconnectPeriod: 0, clientId: `test-${username}-${randomBytes(3).toString('hex')}` });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => {
      client.end(true);
      reject(e);
    });
  });
}

describe('gateways enrolled at the broker (mosquitto dynamic security)', () => {
  let broker: Broker;
  let watch: MqttWatch;
  let xihu: Enrolled;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    broker = await startMosquitto([], { dynsec: ADMIN });
    watch = await MqttWatch.connect(broker.url.replace('mqtt://', `mqtt://${ADMIN.username}:${ADMIN.password}@`), [`${t.root}/#`]);
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await watch?.close();
    await broker?.stop();
  });

  it('enrolment: prints the agent its broker login once; a second enrolment of the same gateway is refused and says what to do', async () => {
    const r = await gateway(['enrol', 'gw-xihu-001', '--region', '330106', '--broker', broker.url]);
    expect(r.code, r.stderr).toBe(0);
    xihu = parse(r.stdout) as Enrolled;
    expect(xihu).toMatchObject({ agentId: 'gw-xihu-001', region: '330106', mqtt: { url: broker.url, username: 'gw-xihu-001', topicRoot: t.root } });
    expect(xihu.mqtt.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(r.stderr).not.toContain(xihu.mqtt.password);
    expect(r.stdout + r.stderr).not.toContain(ADMIN.password);
    const again = await gateway(['enrol', 'gw-xihu-001', '--region', '330106', '--broker', broker.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--again');
    expect((await gateway(['enrol', 'gw-gongshu-001', '--region', '330105', '--broker', broker.url])).code).toBe(0);
    const bad = await gateway(['enrol', 'gw-x', '--region', '33', '--broker', broker.url]);
    expect(bad.code).toBe(2);
    const wrongAdmin = await gateway(['enrol', 'gw-y', '--region', '330106', '--broker', broker.url], { XUELIANG_MQTT_PASSWORD: 'not-the-admin-password' });
    expect(wrongAdmin.code).toBe(1);
    expect(wrongAdmin.stderr).toMatch(/cannot reach the broker/);
    expect(wrongAdmin.stderr).not.toContain('not-the-admin-password');
  }, 60_000);

  it('enrolment: a real agent with the printed section comes online on its own topics', async () => {
    agent = startAgent({ ...xihu, cameras: [], discovery: { enabled: false, multicast: false }, logLevel: 'info' });
    await watch.waitFor('the agent online', () => watch.latest<{ state: string }>(t.agentState('gw-xihu-001'))?.state === 'online', 20_000);
    expect(agent.lines.join('\n')).not.toContain(xihu.mqtt.password);
    await agent.stop();
    agent = undefined;
  }, 40_000);

  it('enrolment: the gateway writes only its own topics and reads only its own requests', async () => {
    const gw = await connectAs(broker.url, 'gw-xihu-001', xihu.mqtt.password);
    try {
      const received: string[] = [];
      gw.on('message', (topic) => received.push(topic));
      expect((await gw.subscribeAsync(t.request('gw-xihu-001', '+'), { qos: 1 })).map((g) => g.qos)).toEqual([1]);
      // another gateway's requests, or everything: SUBACK 0x87 (not authorized)
      await expect(gw.subscribeAsync(t.request('gw-gongshu-001', '+'), { qos: 1 })).rejects.toThrow(/Not authorized/);
      await expect(gw.subscribeAsync(`${t.root}/#`, { qos: 1 })).rejects.toThrow(/Not authorized/);
      await gw.publishAsync(t.summary('gw-xihu-001'), '{"own":true}', { qos: 1 });
      await watch.waitFor('its own summary', () => watch.on(t.summary('gw-xihu-001')).length === 1, 5000);
      // another gateway's topic, or the rates: the broker refuses it (MQTT 5 PUBACK 0x87) and nobody receives it
      // (one refusal a connection: with mosquitto 2.0 and mqtt.js the connection does not outlive a refused PUBACK)
      for (const topic of [t.summary('gw-gongshu-001'), `${t.root}/rates/330106`]) {
        const c = await connectAs(broker.url, 'gw-xihu-001', xihu.mqtt.password);
        await expect(c.publishAsync(topic, '{"forged":true}', { qos: 1 })).rejects.toThrow(/Not authorized/);
        c.end(true);
      }
      // requests: its own arrive, another's do not
      await watch.client.publishAsync(t.request('gw-gongshu-001', 'check'), '{}', { qos: 1 });
      await watch.client.publishAsync(t.request('gw-xihu-001', 'check'), '{}', { qos: 1 });
      await watch.waitFor('its own request', () => received.includes(t.request('gw-xihu-001', 'check')), 5000);
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toEqual([t.request('gw-xihu-001', 'check')]);
      expect(watch.on(t.summary('gw-gongshu-001'))).toEqual([]);
      expect(watch.on(`${t.root}/rates/330106`)).toEqual([]);
      // a wrong password gets no connection
      await expect(connectAs(broker.url, 'gw-xihu-001', 'not-its-password')).rejects.toThrow();
    } finally {
      await gw.endAsync(true);
    }
  });

  it('revocation: a revoked gateway is cut off at once and cannot come back; enrolled again it can, with a new password only', async () => {
    const gw = await connectAs(broker.url, 'gw-xihu-001', xihu.mqtt.password);
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    const r = await gateway(['revoke', 'gw-xihu-001', '--broker', broker.url]);
    expect(r.code, r.stderr).toBe(0);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still connected 5 s after the revocation')), 5000))]);
    gw.end(true);
    await expect(connectAs(broker.url, 'gw-xihu-001', xihu.mqtt.password)).rejects.toThrow();
    const again = await gateway(['enrol', 'gw-xihu-001', '--region', '330106', '--broker', broker.url, '--again']);
    expect(again.code, again.stderr).toBe(0);
    const fresh = parse(again.stdout) as Enrolled;
    expect(fresh.mqtt.password).not.toBe(xihu.mqtt.password);
    await expect(connectAs(broker.url, 'gw-xihu-001', xihu.mqtt.password)).rejects.toThrow();
    const back = await connectAs(broker.url, 'gw-xihu-001', fresh.mqtt.password);
    await back.endAsync(true);
  }, 30_000);
});
