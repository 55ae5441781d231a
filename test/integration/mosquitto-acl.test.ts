import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/project-root.js';
import { topics } from '../../protocols/index.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';

// The shipped ACL example, in a real mosquitto: each gateway writes only its own topics and reads only its own config.
describe('mosquitto ACL example', () => {
  let broker: Broker;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-acl-'));
  const passwd = path.join(dir, 'passwd');

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    for (const [u, p] of [['gw-1', 'pw-gw-1'], ['gw-2', 'pw-gw-2'], ['admin', 'pw-admin'], ['aggregator', 'pw-agg']]) {
      execFileSync('mosquitto_passwd', [...(u === 'gw-1' ? ['-c'] : []), '-b', passwd, u!, p!]);
    }
    chmodSync(passwd, 0o644); // mosquitto reads it as its own user
    const acl = path.join(projectRoot(), 'config', 'mosquitto', 'acl.conf');
    expect(readFileSync(acl, 'utf8')).toContain('pattern write xueliang/v1/agents/%u/events');
    broker = await startMosquitto(['allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`].map((l) => l), {});
  }, 30_000);

  afterAll(() => broker?.stop());

  const connect = async (username: string, password: string) => {
    const c = mqtt.connect(broker.url, { username, password, protocolVersion: 4, reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    return c;
  };

  it('mosquitto acl: a gateway publishes its own status, not another gateway\'s', async () => {
    const admin = await connect('admin', 'pw-admin');
    const seen: string[] = [];
    admin.on('message', (topic) => seen.push(topic));
    await admin.subscribeAsync('xueliang/v1/#', { qos: 1 });
    const gw1 = await connect('gw-1', 'pw-gw-1');
    await gw1.publishAsync('xueliang/v1/agents/gw-1/events', '{}', { qos: 1 });
    // denied publishes get no acknowledgement from mosquitto 2.0: send them at QoS 0
    await gw1.publishAsync('xueliang/v1/agents/gw-2/events', '{}', { qos: 0 });
    await gw1.publishAsync('xueliang/v1/agents/gw-2/config/desired', '{}', { qos: 0 });
    await gw1.publishAsync('xueliang/v1/rates/all', '{}', { qos: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual(['xueliang/v1/agents/gw-1/events']);
    await gw1.endAsync();
    await admin.endAsync();
  });

  it('mosquitto acl: a gateway reads its own desired config, not another gateway\'s', async () => {
    const gw1 = await connect('gw-1', 'pw-gw-1');
    const got: string[] = [];
    gw1.on('message', (topic) => got.push(topic));
    await gw1.subscribeAsync(['xueliang/v1/agents/gw-1/config/desired', 'xueliang/v1/agents/gw-2/config/desired'], { qos: 1 });
    const admin = await connect('admin', 'pw-admin');
    await admin.publishAsync('xueliang/v1/agents/gw-2/config/desired', '{"version":1,"config":{}}', { qos: 1 });
    await admin.publishAsync('xueliang/v1/agents/gw-1/config/desired', '{"version":1,"config":{}}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual(['xueliang/v1/agents/gw-1/config/desired']);
    await gw1.endAsync();
    await admin.endAsync();
  });

  it('mosquitto acl: a gateway may write every topic an agent publishes (round included); the aggregator may ask a gateway for its statuses, nothing else of it', async () => {
    const t = topics();
    const admin = await connect('admin', 'pw-admin');
    const seen: string[] = [];
    admin.on('message', (topic) => seen.push(topic));
    await admin.subscribeAsync('xueliang/v1/#', { qos: 1 });
    const gw1 = await connect('gw-1', 'pw-gw-1');
    const own = [t.agentState('gw-1'), t.cameraStatus('gw-1', 'c1'), t.cameraFrame('gw-1', 'c1'), t.events('gw-1'), t.summary('gw-1'), t.round('gw-1'), t.response('gw-1', 'status'), t.configReported('gw-1')];
    for (const topic of own) await gw1.publishAsync(topic, '{}', { qos: 1 });
    const agg = await connect('aggregator', 'pw-agg');
    await agg.publishAsync(t.request('gw-1', 'status'), '{}', { qos: 1 });
    await agg.publishAsync(t.request('gw-1', 'discover'), '{}', { qos: 0 });
    await agg.publishAsync(t.configDesired('gw-1'), '{}', { qos: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual([...own, t.request('gw-1', 'status')]);
    for (const c of [gw1, agg, admin]) await c.endAsync();
  });

  it('mosquitto acl: a wrong password is refused', async () => {
    await expect(connect('gw-1', 'nope')).rejects.toThrow(/Not authorized|Bad User Name or Password|Connection refused/i);
  });
});
