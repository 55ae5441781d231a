import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportedConfigMessage, responseMessage, topics } from '../../protocols/index.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';

/*
 * Trust boundary: admin (and anyone who can publish to an agent's topics) ↔ agent.
 * What it promises: requests and config pushes are checked before they cost
 * anything (size first, then JSON, then the schema, then the signature when a
 * key is set: see remote-config.test.ts for signed, forged, stale and invalid
 * pushes); what the agent keeps of earlier pushes is either whole or set
 * aside with a report, never silently dropped.
 */
const t = topics();

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

describe('boundary admin ↔ agent', () => {
  let broker: Broker;
  let watch: MqttWatch;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    broker = await startMosquitto(['message_size_limit 0']);
    watch = await MqttWatch.connect(broker.url, [`${t.root}/#`]);
  }, 30_000);

  afterAll(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    await watch?.close();
    await broker?.stop();
  });

  it.each([4, 5] as const)('admin ↔ agent: 10 MB on request/check and 6 MB on config/desired (MQTT %s) leave the agent small and answering', async (protocolVersion) => {
    const AGENT = `gw-big-${protocolVersion}`;
    const agent = startAgent({ agentId: AGENT, mqtt: { url: broker.url, protocolVersion }, discovery: { enabled: false }, checks: { picture: { enabled: false } } });
    agents.push(agent);
    await watch.waitFor('birth', () => watch.latest(t.agentState(AGENT)), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssKb(agent.child.pid!);
    await watch.client.publishAsync(t.request(AGENT, 'check'), Buffer.alloc(10 * 1024 * 1024, 0x7b), { qos: 1 });
    await watch.client.publishAsync(t.configDesired(AGENT), Buffer.alloc(6 * 1024 * 1024, 0x20), { qos: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    await watch.client.publishAsync(t.request(AGENT, 'check'), JSON.stringify({ transaction: `small-${protocolVersion}` }), { qos: 1 });
    const res = await watch.waitFor('answer to a normal request', () => watch.on(t.response(AGENT, 'check')).map((m) => responseMessage.parse(JSON.parse(m.payload))).find((r) => r.transaction === `small-${protocolVersion}`), 20_000);
    expect(res.ok).toBe(true);
    const grown = (rssKb(agent.child.pid!) - before) / 1024;
    expect(grown).toBeLessThan(40);
    expect(agent.child.exitCode).toBeNull();
    // MQTT 5 tells the broker our limit, so nothing large arrives; 3.1.1 cannot: the agent drops it unread and says so
    if (protocolVersion === 4) expect(agent.lines.filter((l) => l.includes('inbound MQTT message too large')).length).toBe(2);
  }, 60_000);

  it('admin ↔ agent: a damaged file of pushed layers is set aside, logged and reported; the agent runs on its config file', async () => {
    const AGENT = 'gw-damaged';
    const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-damaged-')), 'state');
    mkdirSync(path.join(stateDir, AGENT), { recursive: true });
    const layers = path.join(stateDir, AGENT, 'pushed-config.json');
    writeFileSync(layers, '{"groups": {}, "agent": {"version": 7, "patch": {"logLevel": "debu');
    const agent = startAgent({ agentId: AGENT, stateDir, mqtt: { url: broker.url }, discovery: { enabled: false }, checks: { picture: { enabled: false } } });
    agents.push(agent);
    const report = await watch.waitFor('config report', () => {
      const m = watch.latest(t.configReported(AGENT));
      return m ? reportedConfigMessage.parse(m) : undefined;
    }, 20_000);
    expect(report).toMatchObject({ status: 'rejected', source: 'stored', versions: {} });
    expect(report.errors?.[0]?.message).toMatch(/damaged .*kept as .*pushed-config\.json\.bad-\d+/);
    const aside = readdirSync(path.join(stateDir, AGENT)).filter((f) => f.startsWith('pushed-config.json.bad-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(stateDir, AGENT, aside[0]!), 'utf8')).toContain('"version": 7');
    expect(agent.lines.some((l) => l.includes('pushed config layers discarded'))).toBe(true);
    await watch.waitFor('birth', () => watch.latest(t.agentState(AGENT)), 20_000);
  }, 30_000);
});
