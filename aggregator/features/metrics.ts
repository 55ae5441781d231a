import { loopDelay } from '../../platform/loop-delay.js';
import { CATEGORY_KEYS, rateSet } from '../rates/model.js';
import type { AggregatorState } from './state.js';
import { recordingRates } from './queries.js';
import type { Gb28181Status } from '../gb28181/service.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const DAY = 86_400_000;

/** Prometheus text exposition: rates with their counts per region and category (the online rate over the last 24 h), cameras by state, agents, ingest. */
export function prometheusText(
  state: AggregatorState,
  now: number,
  gb?: Gb28181Status,
  /** the 24 h walks, done already (in slices, by the HTTP handler); without: walked here at once */
  walked: { online: ReturnType<AggregatorState['onlineRates']>; recording: ReturnType<typeof recordingRates> } = { online: state.onlineRates(now - DAY, now, '24h'), recording: recordingRates(state) },
): string {
  const lines: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const table = state.ratesTable();
  const rows = [...table.entries()];
  const rate = (name: string, help: string, pick: (s: ReturnType<typeof rateSet>) => { rate: number | null }) => {
    family(name, 'gauge', help);
    for (const [region, row] of rows)
      for (const k of CATEGORY_KEYS) {
        const r = pick(rateSet(row[k])).rate;
        if (r !== null) lines.push(`${name}{region="${esc(region)}",category="${k}"} ${r}`);
      }
  };
  rate('xueliang_coverage_ratio', 'points with their required installed cameras / points in the plan', (s) => s.coverage);
  rate('xueliang_networking_ratio', 'networked (online or degraded) installed cameras / installed cameras', (s) => s.networking);
  rate('xueliang_intact_ratio', 'online cameras without picture faults / installed cameras', (s) => s.intact);
  rate('xueliang_register_ratio', 'installed cameras with a complete record (建档率: point fields and device manufacturer, model, serial) / installed cameras', (s) => s.register);
  const { online, recording } = walked;
  family('xueliang_online_ratio', 'gauge', 'time online (or degraded) / time observed, over the last 24 h (unknown time counts as not online)');
  for (const [region, row] of online)
    for (const k of CATEGORY_KEYS) {
      const o = row[k];
      if (o?.rate !== null && o?.rate !== undefined) lines.push(`xueliang_online_ratio{region="${esc(region)}",category="${k}",window="24h"} ${o.rate}`);
    }
  family('xueliang_online_seconds', 'gauge', 'camera-seconds behind the online ratio over the last 24 h: online, unknown (gateway gone) and observed');
  for (const [region, row] of online)
    for (const k of CATEGORY_KEYS) {
      const o = row[k];
      if (!o) continue;
      for (const [kind, ms] of [['online', o.onlineMs], ['unknown', o.unknownMs], ['observed', o.observedMs]] as const) lines.push(`xueliang_online_seconds{region="${esc(region)}",category="${k}",window="24h",kind="${kind}"} ${ms / 1000}`);
    }
  family('xueliang_recording_ratio', 'gauge', 'recorded / scheduled seconds of the last 24 h, cameras with ONVIF Profile G, from their last daily check');
  for (const [region, row] of recording)
    for (const k of CATEGORY_KEYS) {
      const r = row[k];
      if (r && r.scheduledSec > 0) lines.push(`xueliang_recording_ratio{region="${esc(region)}",category="${k}"} ${Math.min(1, r.recordedSec / r.scheduledSec)}`);
    }
  family('xueliang_points', 'gauge', 'points in the plan, and how many are covered');
  for (const [region, row] of rows)
    for (const k of CATEGORY_KEYS) {
      lines.push(`xueliang_points{region="${esc(region)}",category="${k}",covered="true"} ${row[k].coveredPoints}`);
      lines.push(`xueliang_points{region="${esc(region)}",category="${k}",covered="false"} ${row[k].points - row[k].coveredPoints}`);
    }
  family('xueliang_cameras', 'gauge', 'installed cameras by effective state');
  for (const [region, row] of rows)
    for (const k of CATEGORY_KEYS) for (const st of ['online', 'degraded', 'offline', 'unknown'] as const) lines.push(`xueliang_cameras{region="${esc(region)}",category="${k}",state="${st}"} ${row[k][st]}`);
  family('xueliang_not_networked_cameras', 'gauge', 'installed cameras not networked, by cause: camera (the camera or its stream), device (its NVR or encoder), network (its site network), gateway (its gateway is gone: unknown); they add up to installed - networked');
  for (const [region, row] of rows)
    for (const k of CATEGORY_KEYS) {
      const c = row[k];
      for (const [cause, n] of [['camera', c.offlineCamera], ['device', c.offlineDevice], ['network', c.offlineNetwork], ['gateway', c.unknown]] as const) lines.push(`xueliang_not_networked_cameras{region="${esc(region)}",category="${k}",cause="${cause}"} ${n}`);
    }
  family('xueliang_agents', 'gauge', 'agents by state');
  const agents = [...state.agents.values()];
  lines.push(`xueliang_agents{state="online"} ${agents.filter((a) => a.online).length}`, `xueliang_agents{state="offline"} ${agents.filter((a) => !a.online).length}`);
  family('xueliang_messages_ingested_total', 'counter', 'valid messages applied, by kind');
  for (const [k, v] of Object.entries(state.stats.accepted)) lines.push(`xueliang_messages_ingested_total{kind="${esc(k)}"} ${v}`);
  family('xueliang_messages_rejected_total', 'counter', 'messages rejected, by reason');
  for (const [k, v] of Object.entries(state.stats.rejected)) lines.push(`xueliang_messages_rejected_total{reason="${esc(k)}"} ${v}`);
  family('xueliang_ownership_refused_total', 'counter', 'messages in which a gateway spoke for a camera another gateway owns, refused, by topic');
  for (const [topic, n] of state.refusedTopics) lines.push(`xueliang_ownership_refused_total{topic="${esc(topic)}"} ${n}`);
  family('xueliang_events_duplicate_total', 'counter', 'events received again (same agent, session, seq) and ignored');
  lines.push(`xueliang_events_duplicate_total ${state.stats.duplicates}`);
  family('xueliang_event_gaps', 'gauge', 'event seq numbers never received, per agent: the numbers for that agent and span are incomplete');
  const missing = new Map<string, number>();
  for (const g of state.gaps()) missing.set(g.agentId, (missing.get(g.agentId) ?? 0) + g.toSeq - g.fromSeq + 1);
  for (const [a, n] of missing) lines.push(`xueliang_event_gaps{agent="${esc(a)}"} ${n}`);
  family('xueliang_event_loop_delay_seconds', 'gauge', 'how late the event loop ran over the last one to two minutes (every answer waits behind it), by quantile; 1 is the maximum');
  const delay = loopDelay(now);
  for (const [q, ms] of [['0.5', delay.p50], ['0.99', delay.p99], ['1', delay.max]] as const) lines.push(`xueliang_event_loop_delay_seconds{quantile="${q}"} ${ms / 1000}`);
  if (gb) gbLines(gb, family, lines);
  return `${lines.join('\n')}\n`;
}

/** GB/T 28181 upward: registration per upper platform, what it was told, what we refused. */
function gbLines(gb: Gb28181Status, family: (name: string, type: 'gauge' | 'counter', help: string) => void, lines: string[]): void {
  family('xueliang_gb28181_registered', 'gauge', '1 while registered with the upper platform, else 0');
  for (const u of gb.upstreams) lines.push(`xueliang_gb28181_registered{upstream="${esc(u.serverId)}",state="${u.state}"} ${u.state === 'registered' ? 1 : 0}`);
  family('xueliang_gb28181_notifies_total', 'counter', 'catalog NOTIFYs answered by the upper platform');
  for (const u of gb.upstreams) lines.push(`xueliang_gb28181_notifies_total{upstream="${esc(u.serverId)}"} ${u.notifiesSent}`);
  family('xueliang_gb28181_keepalives_missed', 'gauge', 'keepalives unanswered in a row');
  for (const u of gb.upstreams) lines.push(`xueliang_gb28181_keepalives_missed{upstream="${esc(u.serverId)}"} ${u.keepalivesMissed}`);
  family('xueliang_gb28181_cameras', 'gauge', 'cameras reported upward, and those without a valid GB/T 28181 id (not reported)');
  lines.push(`xueliang_gb28181_cameras{reported="true"} ${gb.reportedCameras}`, `xueliang_gb28181_cameras{reported="false"} ${gb.unreportedCameras}`);
  family('xueliang_gb28181_refused_total', 'counter', 'SIP input refused or ignored, by kind');
  for (const [k, v] of Object.entries(gb.faults)) lines.push(`xueliang_gb28181_refused_total{kind="${esc(k)}"} ${v}`);
}
