import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';

type Rates = { regions: Array<{ region: string; categories: Record<string, { networking: { numerator: number; denominator: number } }> }> };

describe('agent and aggregator end to end', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let agent: AgentProcess;
  let agg: AggregatorProcess;

  beforeAll(async () => {
    broker = await startMosquitto();
    rtsp = await startRtspServer({ mounts: { '/east': 'scene', '/west': 'scene', '/north': 'scene', '/dark': 'black' } });
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url } }));
    agent = startAgent({
      agentId: 'gw-e2e',
      region: '330106',
      mqtt: { url: broker.url },
      cameras: [
        { gbId: '33010600001320000001', rtsp: rtsp.url('/east'), category: 'key_public_area' },
        { gbId: '33010600001320000002', rtsp: rtsp.url('/west'), category: 'key_public_area' },
        { gbId: '33010200001320000003', rtsp: rtsp.url('/north'), category: 'key_public_area' },
        // streams, but shows nothing: networked, not intact
        { gbId: '33010500001320000004', rtsp: rtsp.url('/dark'), category: 'key_public_area' },
      ],
      discovery: { enabled: false },
      checks: {
        livenessSchedule: '* * * * * *',
        decodeSchedule: '0 0 1 1 *',
        offlineAfter: 2,
        livenessDeadlineMs: 2000,
        picture: { schedule: '*/10 * * * * *', seconds: 2, nightFrom: '00:00', nightTo: '00:00' },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await agg?.stop('SIGKILL');
    await rtsp?.close();
    await broker?.stop();
  });

  const networking = async (region: string) => {
    const r = await agg.get<Rates>('/api/rates');
    return r.regions.find((x) => x.region === region)?.categories['key_public_area']?.networking;
  };
  const until = async (what: string, fn: () => Promise<boolean>) => {
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      if (await fn()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('e2e: a stream that stops lowers its county\'s networking rate by exactly one camera, and only that county\'s', async () => {
    await until('all networked', async () => (await networking('330100'))?.numerator === 4);
    expect(await networking('330106')).toMatchObject({ numerator: 2, denominator: 2, rate: 1 });
    await rtsp.remove('/west');
    await until('one camera down', async () => (await networking('330106'))?.numerator === 1);
    expect(await networking('330106')).toMatchObject({ numerator: 1, denominator: 2, rate: 0.5 });
    expect(await networking('330102')).toMatchObject({ numerator: 1, denominator: 1, rate: 1 });
    expect(await networking('330100')).toMatchObject({ numerator: 3, denominator: 4, rate: 3 / 4 });
    const offline = await agg.get<{ cameras: Array<{ cameraId: string; reason: string }> }>('/api/cameras/offline');
    expect(offline.cameras.map((c) => [c.cameraId, c.reason])).toEqual([['33010600001320000002', 'rtsp_error']]);
    await rtsp.add('/west', 'scene');
    await until('back', async () => (await networking('330106'))?.numerator === 2);
  }, 90_000);

  it('e2e: a camera that streams a black picture is degraded: networked but not intact, listed by its fault', async () => {
    const rates = async () => (await agg.get<{ regions: Array<{ region: string; categories: Record<string, { intact: { numerator: number; denominator: number }; networking: { numerator: number } }> }> }>('/api/rates')).regions.find((r) => r.region === '330105')!.categories['key_public_area']!;
    await until('black camera degraded', async () => (await agg.get<{ cameras: unknown[] }>('/api/cameras/degraded')).cameras.length === 1);
    const r = await rates();
    expect(r.networking.numerator).toBe(1);
    expect(r.intact).toMatchObject({ numerator: 0, denominator: 1 });
    const byFault = await agg.get<{ cameras: Array<{ cameraId: string; faults: Array<{ fault: string }> }> }>('/api/cameras?fault=black_screen');
    expect(byFault.cameras.map((c) => c.cameraId)).toEqual(['33010500001320000004']);
    // the healthy ones stay intact
    const all = (await agg.get<{ regions: Array<{ region: string; categories: Record<string, { intact: { numerator: number; denominator: number } }> }> }>('/api/rates')).regions.find((x) => x.region === 'all')!.categories['all']!;
    expect(all.intact).toMatchObject({ numerator: 3, denominator: 4 });
  }, 60_000);

  it('e2e: when the agent stops, its cameras become unknown at the centre, not offline', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
    await until('unknown', async () => (await agg.get<{ cameras: unknown[] }>('/api/cameras/unknown')).cameras.length === 4);
    expect(await networking('330100')).toMatchObject({ numerator: 0, denominator: 4, rate: 0 });
    expect((await agg.get<{ cameras: unknown[] }>('/api/cameras/offline')).cameras).toEqual([]);
  }, 30_000);
});
