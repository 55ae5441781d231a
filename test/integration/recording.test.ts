import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cameraStatusMessage, topics } from '../../protocols/index.js';
import { ratesResponse } from '../../protocols/http-api.js';
import { startOnvifSimulator, type OnvifSimulator } from '../../cli/demo/onvif-sim.js';
import { startRtspServer, type RtspServer } from '../../cli/demo/rtsp-server.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { aggregatorConfig, startAggregator, type AggregatorProcess } from '../support/aggregator-process.js';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { MqttWatch } from '../support/mqtt-watch.js';
import { waitFor } from '../support/wait.js';

// Recording integrity (issue 15 §4) over the real ONVIF Profile G exchange
// (GetServices, FindRecordings, GetRecordingSearchResults, EndSearch) with
// the simulator, through a real agent, mosquitto and aggregator.
const t = topics();
const H = 3600_000;
const AGENT = 'gw-rec';

describe('recording integrity', () => {
  let broker: Broker;
  let rtsp: RtspServer;
  let sim: OnvifSimulator;
  let agent: AgentProcess;
  let agg: AggregatorProcess;
  let watch: MqttWatch;
  const T = Date.now();

  beforeAll(async () => {
    broker = await startMosquitto();
    rtsp = await startRtspServer({ mounts: { '/nvr': 'scene', '/plain': 'scene' } });
    sim = await startOnvifSimulator({
      devices: [
        // recorded until 10 h ago, a 2 h gap, recording again since 8 h ago: 22 of the last 24 h, whenever it is asked
        { streams: [rtsp.url('/nvr')], serial: 'REC-1', recordings: [{ from: T - 30 * H, to: T - 10 * H }, { from: T - 8 * H, to: T + H }] },
        { streams: [rtsp.url('/plain')], serial: 'PLAIN-1' },
      ],
      discovery: {},
    });
    agg = await startAggregator(await aggregatorConfig({ mqtt: { url: broker.url } }));
    watch = await MqttWatch.connect(broker.url, [`${t.root}/agents/#`]);
    agent = startAgent({
      agentId: AGENT,
      region: '330106',
      mqtt: { url: broker.url },
      discovery: { multicast: false, cidrs: ['127.0.0.1/32'], port: sim.discoveryPort, windowMs: 500 },
      checks: { livenessSchedule: '* * * * * *', decode: false, picture: { enabled: false }, recording: { schedule: '*/2 * * * * *' } },
    });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await agg?.stop('SIGKILL');
    await watch?.close();
    await sim?.close();
    await rtsp?.close();
    await broker?.stop();
  });

  const recordings = () => {
    const latest = new Map<string, ReturnType<typeof cameraStatusMessage.parse>>();
    for (const m of watch.messages) if (m.topic.includes('/cameras/') && m.payload) latest.set(m.topic, cameraStatusMessage.parse(JSON.parse(m.payload)));
    return [...latest.values()].filter((s) => s.recording);
  };

  it('recording: the agent reads the recorded spans of the last 24 h over Profile G; a device without it says so, not 0%', async () => {
    const both = await watch.waitFor('both recording checks', () => (recordings().length === 2 ? recordings() : undefined), 40_000);
    const nvr = both.find((s) => s.device?.serial === 'REC-1')!;
    const plain = both.find((s) => s.device?.serial === 'PLAIN-1')!;
    expect(nvr.recording).toMatchObject({ supported: true, recordedSec: 22 * 3600, scheduledSec: 24 * 3600, detail: null });
    expect(plain.recording).toMatchObject({ supported: false, recordedSec: null, scheduledSec: null });
    expect(plain.recording!.detail).toMatch(/no recording search/);
    // the exchange really happened against the simulator
    expect(sim.devices[0]!.calls.get('FindRecordings')).toBeGreaterThanOrEqual(1);
    expect(sim.devices[0]!.calls.get('GetRecordingSearchResults')).toBeGreaterThanOrEqual(1);
    expect(sim.devices[0]!.calls.get('EndSearch')).toBeGreaterThanOrEqual(1);
    expect(sim.devices[1]!.calls.get('FindRecordings') ?? 0).toBe(0);
  }, 60_000);

  it('recording: the centre shows the recording-integrity rate per region and category, with the devices without Profile G apart', async () => {
    await waitFor(async () => (ratesResponse.parse(await agg.get('/api/rates')).regions.find((r) => r.region === 'all')!.categories['all']!.recording.cameras === 1), 20_000);
    const all = ratesResponse.parse(await agg.get('/api/rates?region=330106')).regions.find((r) => r.region === '330106')!.categories['all']!;
    expect(all.recording).toEqual({ cameras: 1, unsupported: 1, recordedSec: 22 * 3600, scheduledSec: 24 * 3600, rate: 22 / 24, percent: 91.67 });
    const text = await (await fetch(`${agg.api}/metrics`)).text();
    expect(text).toMatch(/^xueliang_recording_ratio\{region="330106",category="all"\} 0\.916/m);
  }, 30_000);

  it('recording: the report of the day adds up the checks made in it', async () => {
    const rep = await agg.get<{ rows: Array<{ region: string; category: string; recordingCameras: number; recordingUnsupported: number; recordedSec: number; scheduledSec: number; recordingRate: number | null }> }>(
      `/api/report?region=330106&from=${encodeURIComponent(new Date(T - 60_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`,
    );
    const row = rep.rows.find((r) => r.region === '330106' && r.category === 'all')!;
    expect(row).toMatchObject({ recordingCameras: 1, recordingUnsupported: 1 });
    // several checks ran (every 2 s here): each covered its own last 24 h, 22 of them recorded
    expect(row.scheduledSec % (24 * 3600)).toBe(0);
    expect(row.recordedSec / row.scheduledSec).toBeCloseTo(22 / 24, 10);
    expect(row.recordingRate).toBeCloseTo(22 / 24, 10);
  }, 30_000);
});
