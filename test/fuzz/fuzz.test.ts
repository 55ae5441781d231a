import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseDeviceInformation, parseMediaUri, parseMediaXaddr, parseProfiles, parseSystemDateAndTime } from '../../agent/adapters/onvif/onvif-device.js';
import { parseSoapBody } from '../../agent/adapters/onvif/soap-client.js';
import { parseProbeMatches } from '../../agent/adapters/onvif/ws-discovery.js';
import { SqliteStore } from '../../aggregator/adapters/sqlite-store.js';
import { createPipeline } from '../../aggregator/ingest/pipeline.js';
import { AggregatorState } from '../../aggregator/features/state.js';
import { agentConfigSchema } from '../../config/agent.js';
import { ConfigError, parseConfigText, validateConfig } from '../../config/load.js';
import { topics } from '../../protocols/index.js';
import { mutate, rng } from './mutate.js';

const N = 10_000;
const fixtures = fileURLToPath(new URL('../fixtures/onvif-real/', import.meta.url));
const xmlSeeds = ['bosch-flexidome-5100i', '360vision-predator-hikvision'].flatMap((d) =>
  readdirSync(`${fixtures}${d}`)
    .filter((f) => f.endsWith('.xml') && !f.includes('.request.'))
    .map((f) => readFileSync(`${fixtures}${d}/${f}`, 'utf8')),
);

describe('fuzz', () => {
  it(`fuzz: ${N} mutated ONVIF and WS-Discovery replies never crash the parsers; each rejection has a reason`, async () => {
    const rand = rng(2026);
    let rejected = 0;
    let parsed = 0;
    const parsers = [parseDeviceInformation, parseProfiles, parseSystemDateAndTime, parseMediaXaddr, (b: unknown) => parseMediaUri(b, 'GetStreamUri')];
    for (let i = 0; i < N; i++) {
      const input = mutate(xmlSeeds[i % xmlSeeds.length]!, rand);
      try {
        const body = await parseSoapBody(input);
        for (const p of parsers) {
          try {
            p(body);
          } catch (e) {
            expect(e, `input #${i}`).toBeInstanceOf(Error);
            expect((e as Error).message.length).toBeGreaterThan(0);
          }
        }
        parsed += 1;
      } catch (e) {
        expect(e, `input #${i}`).toMatchObject({ code: 'ONVIF_BAD_XML' });
        rejected += 1;
      }
      try {
        await parseProbeMatches(input);
      } catch (e) {
        expect((e as Error).message.length, `input #${i}`).toBeGreaterThan(0);
      }
    }
    expect(parsed + rejected).toBe(N);
    expect(rejected).toBeGreaterThan(N / 10); // the mutations do break things
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  }, 120_000);

  it(`fuzz: ${N} mutated MQTT payloads are each applied or rejected with a reason, and the state stays sound`, async () => {
    const rand = rng(7);
    const t = topics();
    const store = new SqliteStore({ file: ':memory:', log: pino({ level: 'silent' }) });
    await store.open();
    const state = new AggregatorState({ changes: store, log: pino({ level: 'silent' }), now: Date.now });
    const ingest = createPipeline({ fleet: state, log: pino({ level: 'silent' }), rates: { observe: () => undefined, markDirty: () => undefined }, ownTier: undefined, topicRoot: t.root, maxPayloadBytes: 64 * 1024 });
    const now = new Date().toISOString();
    const seeds: Array<[string, string]> = [
      [t.agentState('gw-1'), JSON.stringify({ state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: now, site: null, region: '330106' })],
      [t.events('gw-1'), JSON.stringify({ type: 'state', session: 's1', seq: 1, ts: now, cameraId: 'c1', from: 'unknown', to: 'online', rung: null, reason: null })],
      [t.cameraStatus('gw-1', 'c1'), JSON.stringify({ cameraId: 'c1', name: null, state: 'online', since: now, checkedAt: now, rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [] })],
      [t.summary('gw-1'), JSON.stringify({ session: 's1', ts: now, windowMs: 86400000, counts: { online: 1, degraded: 0, offline: 0, unknown: 0 }, cameras: [] })],
    ];
    for (let i = 0; i < N; i++) {
      const [topic, payload] = seeds[i % seeds.length]!;
      ingest({ topic, payload: Buffer.from(mutate(payload, rand)), responseTopic: undefined, correlationData: undefined });
    }
    const s = state.stats;
    const counted = Object.values(s.accepted).reduce((a, b) => a + b, 0) + Object.values(s.rejected).reduce((a, b) => a + b, 0) + s.duplicates;
    expect(counted).toBe(N);
    expect(Object.keys(s.rejected)).toEqual(expect.arrayContaining(['not_json', 'schema']));
    // whatever got in is consistent: every camera has a fact in the counters (and some did get in)
    expect(state.cameras.size).toBeGreaterThan(0);
    for (const id of state.cameras.keys()) expect(state.counters.get(id)).toBeDefined();
    await store.close();
  }, 120_000);

  it(`fuzz: ${N} mutated config files are each valid or refused with path: message issues`, () => {
    const rand = rng(11);
    const seed = readFileSync(fileURLToPath(new URL('../../config/agent.example.yaml', import.meta.url)), 'utf8');
    let valid = 0;
    let refused = 0;
    for (let i = 0; i < N; i++) {
      const text = mutate(seed, rand);
      try {
        validateConfig(agentConfigSchema, parseConfigText(text, 'f'), 'f');
        valid += 1;
      } catch (e) {
        expect(e, `input #${i}`).toBeInstanceOf(ConfigError);
        const issues = (e as ConfigError).issues;
        expect(issues.length).toBeGreaterThan(0);
        for (const issue of issues) expect(issue.path.length > 0 && issue.message.length > 0).toBe(true);
        refused += 1;
      }
    }
    expect(valid + refused).toBe(N);
    expect(refused).toBeGreaterThan(N / 4);
  }, 120_000);
});
