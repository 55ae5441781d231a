import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, MqttSettings } from '../../platform/mqtt-client.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';

// the receiving thread exists once built: npm test builds first, so the test takes the built module
const { MqttPump, pumpAvailable } = (await import(new URL('../../dist/platform/mqtt-pump.js', import.meta.url).href)) as typeof import('../../platform/mqtt-pump.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MQTT receiving thread', () => {
  let broker: Broker;
  let pub: mqtt.MqttClient;
  const settings = (): MqttSettings => ({ url: broker.url, clientId: 'pump-test', protocolVersion: 4, rejectUnauthorized: true, keepaliveSec: 30, reconnectMinMs: 200, reconnectMaxMs: 1000, clean: false });

  beforeAll(async () => {
    broker = await startMosquitto(['max_queued_messages 0', 'max_inflight_messages 0']);
    pub = mqtt.connect(broker.url, { protocolVersion: 4 });
    await new Promise<void>((r) => pub.once('connect', () => r()));
  });
  afterAll(async () => {
    await pub?.endAsync();
    await broker?.stop();
  });

  it('pump: messages come in order; the thread stops reading once maxOutstanding wait for their commit, and reads on after it; unreleased ones come again', async () => {
    expect(pumpAvailable()).toBe(true);
    const got: IncomingMessage[] = [];
    const pump = new MqttPump({ settings: settings(), log: pino({ level: 'silent' }), maxOutstanding: 50 });
    pump.onMessage((m) => got.push(m));
    pump.subscribe('pump/t');
    pump.start();
    expect(await pump.whenConnected(10_000)).toBe(true);
    for (let i = 1; i <= 500; i++) await pub.publishAsync('pump/t', String(i), { qos: 1 });
    await sleep(1000);
    // held at the bound: nothing is acknowledged, so the thread reads no further (one batch past it at most)
    expect(got.length).toBeGreaterThanOrEqual(50);
    expect(got.length).toBeLessThan(100);
    expect(got.map((m) => Number(m.payload.toString()))).toEqual(got.map((_, i) => i + 1));
    // stored: released, and the rest flows, in order
    for (let k = 0; k < 50 && got.length < 500; k++) {
      pump.takeAcks()();
      await sleep(100);
    }
    expect(got.map((m) => Number(m.payload.toString()))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    pump.takeAcks()();
    await sleep(200);
    // the last ones are handed over but not released: after a restart of the consumer the broker sends them again
    for (let i = 501; i <= 510; i++) await pub.publishAsync('pump/t', String(i), { qos: 1 });
    for (let k = 0; k < 50 && got.length < 510; k++) await sleep(100);
    expect(got.length).toBe(510);
    await pump.stop();
    const again: string[] = [];
    const next = new MqttPump({ settings: settings(), log: pino({ level: 'silent' }) });
    next.onMessage((m) => again.push(m.payload.toString()));
    next.subscribe('pump/t');
    next.start();
    for (let k = 0; k < 100 && again.length < 10; k++) await sleep(100);
    expect(again).toEqual(Array.from({ length: 10 }, (_, i) => String(501 + i)));
    next.takeAcks()();
    await sleep(200);
    await next.stop();
  }, 60_000);

  it('pump: with decode set, the thread hands over typed messages and rejections with their reason, in order', async () => {
    const seen: Array<{ topic: string; bytes: number; ok: boolean; kind?: string; reason?: string; text?: string }> = [];
    const pump = new MqttPump({ settings: { ...settings(), clientId: 'pump-decode' }, log: pino({ level: 'silent' }), decode: { root: 'x/v1', accept: ['events', 'rates'], bounded: ['events'], maxBytes: 1024 } });
    // bytes handed on unread (the rates) come as a Buffer, as on one thread
    pump.onDecoded((topic, bytes, r) => seen.push({ topic, bytes, ok: r.ok, ...(r.ok ? { kind: r.value.kind } : { reason: r.reason }), ...(r.ok && r.value.kind === 'rates' && Buffer.isBuffer(r.value.message) ? { text: r.value.message.toString('utf8') } : {}) }));
    pump.subscribe('x/v1/#');
    pump.start();
    expect(await pump.whenConnected(10_000)).toBe(true);
    const event = JSON.stringify({ type: 'agent_stopped', session: 's1', seq: 1, ts: new Date().toISOString() });
    await pub.publishAsync('x/v1/agents/gw-1/events', event, { qos: 1 });
    await pub.publishAsync('x/v1/agents/gw-1/events', '{not json', { qos: 1 });
    await pub.publishAsync('x/v1/agents/gw-1/events', 'x'.repeat(2000), { qos: 1 });
    await pub.publishAsync('x/v1/rates/all', 'not ours to read', { qos: 1 });
    await pub.publishAsync('x/v1/agents/gw-1/summary', '{}', { qos: 1 });
    for (let k = 0; k < 50 && seen.length < 5; k++) await sleep(100);
    expect(seen).toEqual([
      { topic: 'x/v1/agents/gw-1/events', bytes: event.length, ok: true, kind: 'events' },
      { topic: 'x/v1/agents/gw-1/events', bytes: 9, ok: false, reason: 'not_json' },
      { topic: 'x/v1/agents/gw-1/events', bytes: 2000, ok: false, reason: 'too_large' },
      { topic: 'x/v1/rates/all', bytes: 16, ok: true, kind: 'rates', text: 'not ours to read' },
      { topic: 'x/v1/agents/gw-1/summary', bytes: 2, ok: false, reason: 'not_accepted' },
    ]);
    pump.takeAcks()();
    await pump.stop();
  }, 30_000);

  it('pump: a receiving thread that dies is replaced; what it held unacknowledged comes again', async () => {
    const got: string[] = [];
    const pump = new MqttPump({ settings: { ...settings(), clientId: 'pump-respawn' }, log: pino({ level: 'silent' }) });
    pump.onMessage((m) => got.push(m.payload.toString()));
    pump.subscribe('pump/r');
    pump.start();
    expect(await pump.whenConnected(10_000)).toBe(true);
    await pub.publishAsync('pump/r', 'a', { qos: 1 });
    for (let k = 0; k < 30 && got.length < 1; k++) await sleep(100);
    expect(got).toEqual(['a']);
    // the thread ends without a stop (a crash): 'a' was handed over but never stored, so never acknowledged
    await (pump as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await sleep(2500);
    await pub.publishAsync('pump/r', 'b', { qos: 1 });
    for (let k = 0; k < 50 && got.length < 3; k++) await sleep(100);
    expect(got).toEqual(['a', 'a', 'b']);
    pump.takeAcks()();
    await sleep(200);
    await pump.stop();
  }, 30_000);

  it('subscriptions: with retained when-new (MQTT 5) a persistent session that reconnects gets what was published meanwhile, not every retained message again; always gets them again', async () => {
    const { MqttConnection } = await import('../../platform/mqtt-client.js');
    const v5 = (clientId: string): MqttSettings => ({ ...settings(), clientId, protocolVersion: 5 });
    for (let i = 0; i < 20; i++) await pub.publishAsync(`rh/status/${i}`, `s${i}`, { qos: 1, retain: true });
    const run = async (clientId: string, retained: 'always' | 'when-new') => {
      const got: string[] = [];
      const conn = new MqttConnection({ settings: v5(clientId), log: pino({ level: 'silent' }) });
      conn.onMessage((m) => got.push(m.payload.toString()));
      conn.subscribe('rh/status/+', { retained });
      conn.start();
      return { got, conn };
    };
    for (const [id, retained, expectAgain] of [['rh-new', 'when-new', 0], ['rh-always', 'always', 20]] as const) {
      const first = await run(id, retained);
      for (let k = 0; k < 50 && first.got.length < 20; k++) await sleep(100);
      expect(first.got.length, `${retained}: the retained messages with the new subscription`).toBe(20);
      await first.conn.stop(undefined, 2000);
      await pub.publishAsync('rh/status/3', 'changed', { qos: 1, retain: true });
      const second = await run(id, retained);
      for (let k = 0; k < 30 && second.got.length < 1 + expectAgain; k++) await sleep(100);
      await sleep(500);
      expect(second.got.filter((p) => p === 'changed').length, `${retained}: what changed meanwhile`).toBeGreaterThanOrEqual(1);
      expect(second.got.length, `${retained}: ${second.got.join(' ')}`).toBe(1 + expectAgain);
      await second.conn.stop(undefined, 2000);
      await pub.publishAsync('rh/status/3', 's3', { qos: 1, retain: true });
    }
  }, 30_000);
});
