import type { AgentSummaryMessage, CameraStatusMessage, StateChangeEvent } from '../../protocols/index.js';
import { parseRtspUrl } from '../adapters/rtsp-url.js';
import { uptimeWithin } from '../../protocols/index.js';
import type { Transition } from './camera-health.js';
import { addressOf } from './camera-target.js';
import { presentedFaults, presentedRungs } from './ladder.js';
import type { CameraRecord } from './monitor.js';

const iso = (t: number) => new Date(t).toISOString();

function publicStreamUri(rec: CameraRecord): string | null {
  const raw = rec.probe.target.rtspUrl ?? rec.probe.inspection?.streams[0]?.uri;
  if (!raw) return null;
  try {
    return parseRtspUrl(raw).url; // credentials removed
  } catch {
    return null;
  }
}

/** The retained status of a camera. Built only from fields that carry no secret. */
export function statusMessage(rec: CameraRecord): CameraStatusMessage {
  const t = rec.probe.target;
  const where = t.xaddr ?? t.rtspUrl ?? '';
  return {
    cameraId: t.id,
    gbId: t.gbId ?? null,
    name: t.name,
    state: rec.health.state,
    since: iso(rec.health.since),
    checkedAt: rec.checkedAt === null ? null : iso(rec.checkedAt),
    rung: rec.health.rung,
    reason: rec.health.reason,
    detail: rec.health.detail,
    consecutiveFailures: rec.health.consecutiveFailures,
    source: t.xaddr ? 'onvif' : 'rtsp',
    address: addressOf(where),
    streamUri: publicStreamUri(rec),
    stream: rec.probe.stream,
    device: rec.probe.inspection?.device ?? null,
    clockDriftMs: rec.probe.clockDriftMs,
    pointId: t.pointId,
    category: t.category,
    faults: presentedFaults(rec.probe),
    rungs: presentedRungs(rec.probe),
    recording: rec.probe.recording ?? null,
    cause: rec.cause,
    ...(rec.network ? { network: rec.network } : {}),
    ...channelOf(rec),
  };
}

/** deviceId and channel of an NVR's channel; nothing for a camera of its own. */
function channelOf(rec: CameraRecord): { deviceId?: string; channel?: number } {
  const c = rec.probe.target.channel;
  return c ? { deviceId: c.deviceId, channel: c.index } : {};
}

export function stateEvent(rec: CameraRecord, t: Transition, at: number, session: string, seq: number): StateChangeEvent {
  return { type: 'state', session, seq, ts: iso(at), cameraId: rec.probe.target.id, from: t.from, to: t.to, rung: t.rung, reason: t.reason, detail: t.detail, ...(t.to === 'offline' ? { cause: rec.cause } : {}), ...channelOf(rec) };
}

export function summaryMessage(records: Iterable<CameraRecord>, now: number, windowMs: number, session: string): AgentSummaryMessage {
  const counts = { online: 0, degraded: 0, offline: 0, unknown: 0 };
  const cameras: AgentSummaryMessage['cameras'] = [];
  for (const rec of records) {
    counts[rec.health.state] += 1;
    const u = uptimeWithin(rec.marks, now - windowMs, now);
    cameras.push({ cameraId: rec.probe.target.id, state: rec.health.state, onlineMs: u.onlineMs, observedMs: u.observedMs });
  }
  return { session, ts: iso(now), windowMs, counts, cameras };
}

