import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { eachInSlices } from './slices.js';
import { alertMessage, type AlertMessage, type AlertNotice } from '../../protocols/index.js';
import type { ChangeSink } from '../store/changes.js';
import type { StoreSnapshot } from '../store/port.js';
import { rateSet } from '../rates/model.js';
import { TARGETS } from '../rates/report-math.js';
import type { AggregatorState, CameraRecord } from './state.js';

/** A condition that holds now, with when it began. */
interface Condition {
  key: string;
  kind: AlertMessage['kind'];
  subject: AlertMessage['subject'];
  cause: string;
  since: number;
  /** a device's or network's outage: one condition per camera it took, merged into one (mergeParents) */
  cameras?: number;
}

/**
 * An NVR's or a site network's outage holds once per camera it took: one
 * condition for it, with how many cameras and since the first went down.
 */
function mergeParents(conditions: Condition[]): Condition[] {
  const out: Condition[] = [];
  const parents = new Map<string, Condition>();
  for (const c of conditions) {
    if (c.kind !== 'device_down' && c.kind !== 'network_down') {
      out.push(c);
      continue;
    }
    const p = parents.get(c.key);
    if (!p) {
      const first = { ...c, cameras: 1 };
      parents.set(c.key, first);
      out.push(first);
    } else {
      p.cameras = (p.cameras ?? 1) + 1;
      p.since = Math.min(p.since, c.since);
    }
  }
  for (const p of parents.values()) {
    const what = p.kind === 'device_down' ? `NVR/encoder ${p.subject.deviceId} of gateway ${p.subject.agentId}` : `site network ${p.subject.network} of gateway ${p.subject.agentId}`;
    p.cause = `${what} is down: it took ${p.cameras} camera(s) offline`;
  }
  return out;
}

const keyOfSubject = (kind: string, s: AlertMessage['subject']) => `${kind}|${s.cameraId ?? ''}|${s.agentId ?? ''}|${s.region ?? ''}|${s.category ?? ''}|${s.deviceId ?? ''}|${s.network ?? ''}`;

const alertId = (key: string) => `al-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;

/**
 * Alerts: a camera offline or degraded, flapping, a gateway down, a
 * region's intact or networking rate below its target — raised once the
 * condition has lasted `afterMs` (no alert for a 30-second blip), cleared
 * when it ends; one notice each, numbered. Cameras under maintenance raise
 * none. Active alerts and the notice counter are kept in the store, so a
 * restart neither repeats nor forgets one.
 */
const sinceOf = (c: CameraRecord) => {
  let i = c.marks.length - 1;
  while (i > 0 && c.marks[i - 1]!.state === c.marks[i]!.state) i--;
  return c.marks[i]?.at ?? c.firstSeen;
};

export class AlertEngine {
  private readonly active = new Map<string, AlertMessage>();
  /** when each pending condition was first seen holding (for rates, which have no history of their own) */
  private readonly seenSince = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly deps: {
      state: AggregatorState;
      changes: ChangeSink;
      afterMs: number;
      now: () => number;
      log: Logger;
      /** where each notice goes (MQTT, webhook queue) */
      deliver: (n: AlertNotice) => void;
      /** an active alert changed without a notice (acknowledged): its retained copy is replaced */
      updated?: (alert: AlertMessage) => void;
    },
  ) {}

  /**
   * An operator acknowledges an active alert (确认告警): who, when and a note
   * stay with it until it clears. False when no active alert has this id.
   */
  acknowledge(id: string, by: string, note: string): AlertMessage | undefined {
    for (const [key, alert] of this.active) {
      if (alert.id !== id) continue;
      const acked: AlertMessage = { ...alert, acknowledged: { by, at: new Date(this.deps.now()).toISOString(), note: note.slice(0, 500) } };
      this.active.set(key, acked);
      this.deps.changes.record({ kind: 'alert', alert: acked, active: true });
      this.deps.updated?.(acked);
      return acked;
    }
    return undefined;
  }

  /** The alerts the store held at start. */
  load(snapshot: Pick<StoreSnapshot, 'alerts' | 'lastNoticeSeq'>): void {
    for (const row of snapshot.alerts) if (row.active) this.active.set(this.keyOf(row.alert), row.alert);
    this.seq = snapshot.lastNoticeSeq;
  }

  private keyOf(a: AlertMessage): string {
    return keyOfSubject(a.kind, a.subject);
  }

  /** What holds now: the cameras' conditions (given, or looked at here at once), the gateways' and the rates'. */
  private conditions(now: number, cameras?: Condition[]): Condition[] {
    const { state } = this.deps;
    let out: Condition[] = cameras ?? [];
    if (!cameras) {
      out = [];
      for (const id of [...state.notable]) this.cameraConditions(id, now, out);
    }
    for (const a of state.agents.values()) {
      if (!a.online) out.push({ key: `gateway_down|${a.agentId}`, kind: 'gateway_down', subject: { agentId: a.agentId }, cause: `gateway ${a.agentId} is down: its cameras are unknown`, since: a.since });
    }
    for (const [region, row] of state.ratesTable()) {
      for (const category of ['key_public_area', 'key_industry_part'] as const) {
        const target = TARGETS[category];
        const s = rateSet(row[category]);
        if (!target) continue;
        for (const [name, r, goal] of [['intact', s.intact, target.intact], ['networking', s.networking, target.networking]] as const) {
          if (r.rate === null || r.rate >= goal) continue;
          const key = `rate_below_target|${region}|${category}|${name}`;
          out.push({ key, kind: 'rate_below_target', subject: { region, category }, cause: `${name} rate ${(r.rate * 100).toFixed(2)}% (${r.numerator}/${r.denominator}) below the ${(goal * 100).toFixed(0)}% target`, since: this.seenSince.get(key) ?? now });
        }
      }
    }
    return out;
  }

  /**
   * A camera's conditions. Only the cameras that are offline, degraded or
   * changed lately are looked at: a province's million steady ones cost
   * nothing here.
   */
  private cameraConditions(id: string, now: number, out: Condition[]): void {
    const { state } = this.deps;
    const c = state.cameras.get(id);
    if (!c) return void state.forgetNotable(id);
    const eff = state.effectiveState(c);
    if (eff !== 'offline' && eff !== 'degraded' && !state.changedLately(c, now)) return void state.forgetNotable(id);
    if (state.maintenance.activeFor(state.subjectOf(c), now)) return;
    const subject = { cameraId: c.cameraId, agentId: c.agentId };
    // an NVR or a site network that took its cameras down: one alert for it, none for each camera (while its cause stands)
    const { cause, deviceId, network } = c.status;
    if (eff === 'offline' && cause === 'device' && deviceId) out.push({ key: `device_down|${c.agentId}|${deviceId}`, kind: 'device_down', subject: { agentId: c.agentId, deviceId }, cause: '', since: sinceOf(c) });
    else if (eff === 'offline' && cause === 'network' && network) out.push({ key: `network_down|${c.agentId}|${network}`, kind: 'network_down', subject: { agentId: c.agentId, network }, cause: '', since: sinceOf(c) });
    else if (eff === 'offline') out.push({ key: `camera_offline|${c.cameraId}`, kind: 'camera_offline', subject, cause: `camera ${c.cameraId} offline: ${c.status.rung ?? '?'} ${c.status.reason ?? ''} ${c.status.detail ?? ''}`.trim(), since: sinceOf(c) });
    if (eff === 'degraded') out.push({ key: `camera_degraded|${c.cameraId}`, kind: 'camera_degraded', subject, cause: `camera ${c.cameraId} degraded: ${c.status.faults.map((f) => f.fault).join(', ')}`, since: sinceOf(c) });
    const flapping = state.flappingOf(c, now);
    if (flapping) out.push({ key: `camera_flapping|${c.cameraId}`, kind: 'camera_flapping', subject, cause: `camera ${c.cameraId} changed state ${flapping.changes} times`, since: flapping.since });
  }

  /**
   * evaluate() for the timer: the cameras looked at, and the alerts raised
   * and cleared, in slices (features/slices.ts), so that a mass outage (or a
   * fresh fleet, every camera changed lately: tens of thousands of alerts
   * raised in one pass) holds no HTTP answer up.
   */
  async evaluateSliced(): Promise<AlertNotice[]> {
    // one pass at a time: a pass longer than alerts.checkMs is not overtaken by the next
    if (this.evaluating) return [];
    this.evaluating = true;
    try {
      const cameras: Condition[] = [];
      await eachInSlices([...this.deps.state.notable], (id) => this.cameraConditions(id, this.deps.now(), cameras), { background: true });
      return await this.settle(this.deps.now(), cameras, true);
    } finally {
      this.evaluating = false;
    }
  }

  private evaluating = false;

  /** Raises what has lasted long enough and clears what ended; the notices sent. */
  evaluate(): Promise<AlertNotice[]> {
    return this.settle(this.deps.now());
  }

  /** What evaluate() does, given the cameras' conditions or looking at them here; `background`: its slices rest between turns. */
  private async settle(now: number, cameras?: Condition[], background = false): Promise<AlertNotice[]> {
    const holding = mergeParents(this.conditions(now, cameras));
    const notices: AlertNotice[] = [];
    const live = new Set<string>();
    const liveAlerts = new Set<string>();
    await eachInSlices(
      holding,
      (c) => {
        // rate conditions: one key per metric; the alert itself is keyed by region and category
        live.add(c.key);
        if (!this.seenSince.has(c.key)) this.seenSince.set(c.key, c.since);
        const alertKey = this.alertKeyOf(c);
        liveAlerts.add(alertKey);
        if (this.active.has(alertKey) || now - c.since < this.deps.afterMs) return;
        const alert: AlertMessage = { id: alertId(`${alertKey}|${c.since}`), kind: c.kind, subject: c.subject, cause: c.cause, since: new Date(c.since).toISOString(), raisedAt: new Date(now).toISOString(), clearedAt: null, ...(c.cameras !== undefined ? { cameras: c.cameras } : {}) };
        this.active.set(alertKey, alert);
        notices.push(this.notice('raised', alert));
      },
      { background },
    );
    await eachInSlices([...this.seenSince.keys()], (k) => void (live.has(k) || this.seenSince.delete(k)), { background });
    await eachInSlices(
      [...this.active],
      ([key, alert]) => {
        if (liveAlerts.has(key) || this.active.get(key) !== alert) return;
        this.active.delete(key);
        notices.push(this.notice('cleared', { ...alert, clearedAt: new Date(now).toISOString() }));
      },
      { background },
    );
    return notices;
  }

  private alertKeyOf(c: Condition): string {
    return keyOfSubject(c.kind, c.subject);
  }

  private notice(type: AlertNotice['type'], alert: AlertMessage): AlertNotice {
    this.seq += 1;
    const n: AlertNotice = { type, seq: this.seq, alert };
    // one batch of the store: the alert, its seq and the webhook's copy are durable together
    this.deps.changes.record({ kind: 'alert', alert, active: type === 'raised' });
    this.deps.changes.record({ kind: 'noticeSeq', seq: this.seq });
    this.deps.deliver(n);
    this.deps.log.info({ alert: alert.id, kind: alert.kind, subject: alert.subject, type }, `alert ${type}`);
    return n;
  }

  list(): AlertMessage[] {
    return [...this.active.values()].sort((a, b) => a.since.localeCompare(b.since));
  }
}
