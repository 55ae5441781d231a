import type { Logger } from 'pino';
import { cameraStatusMessage, type ReportedConfigMessage, type AgentEvent, type AgentStateMessage, type CameraState, type CameraStatusMessage, type Interval, type StateMark } from '../../protocols/index.js';
import type { AggregatorStore, SeqGap, StoreSnapshot } from '../store/port.js';
import { cameraFact } from '../rates/bind.js';
import { RateCounters } from '../rates/counters.js';
import { onlineRates } from '../rates/online.js';
import { flappingNow, type FlappingEpisode, type FlappingRule } from '../rates/flapping.js';
import { MaintenanceBook, windowSubject, type WindowSubject } from './maintenance.js';
import { TierBook, type CascadeWindow } from './tiers.js';
import type { CountTable } from '../rates/snapshot.js';
import type { PlanPoint } from '../rates/model.js';

export interface AgentRecord {
  agentId: string;
  online: boolean;
  session: string | null;
  /** the agent's own start time (its clock), from its birth */
  startedAt: number | null;
  /** centre time of the last state change */
  since: number;
  site: string | null;
  region: string | null;
  agentVersion: string | null;
  /**
   * The agent's session came back after the centre had marked it offline: once
   * every seq up to `upToSeq` has arrived, the span [from, to) is proven and
   * its cameras kept their states through it (docs/domain.md §1).
   */
  pendingProof?: { session: string; upToSeq: number; from: number; to: number } | undefined;
  /** what the agent said of the last config push (its retained config/reported) */
  config?: AgentConfigReport | undefined;
}

export interface AgentConfigReport {
  version: number;
  source: string;
  status: ReportedConfigMessage['status'];
  appliedAt: string;
  errors: number;
}

export interface CameraRecord {
  cameraId: string;
  agentId: string;
  status: CameraStatusMessage;
  /** centre time when any agent first reported it: from then on it is installed */
  firstSeen: number;
  marks: StateMark[];
}

/** Sessions per agent whose seq gaps the centre keeps track of; older ones are forgotten (their events stay stored). */
export const SESSIONS_PER_AGENT = 8;
/** agents' reports of events they dropped, most recent kept in memory (all stay in the store) */
const MAX_LOSSES = 1000;
/** Holes kept per session; beyond it the newest holes merge into one (the count of missing numbers stays exact). */
const HOLES_PER_SESSION = 256;

/**
 * Gaps in one agent session's seq, as sorted ranges of missing numbers: a
 * hole of a million numbers costs one entry, and what one session can make
 * the centre keep is bounded.
 */
export class SeqTracker {
  max = 0;
  /** when this session last sent anything (centre time): the least recent session is forgotten first */
  lastActive = 0;
  readonly holes: Array<{ from: number; to: number }> = [];

  see(seq: number): 'new' | 'filled' | 'gap' {
    if (seq <= this.max) {
      const h = this.holes.findIndex((x) => seq >= x.from && seq <= x.to);
      if (h < 0) return 'new';
      const { from, to } = this.holes[h]!;
      this.holes.splice(h, 1, ...[{ from, to: seq - 1 }, { from: seq + 1, to }].filter((x) => x.from <= x.to));
      return 'filled';
    }
    const gap = seq > this.max + 1;
    if (gap) this.addHole(this.max + 1, seq - 1);
    this.max = seq;
    return gap ? 'gap' : 'new';
  }

  /** Adds a hole above every other one (holes arrive in seq order). */
  addHole(from: number, to: number): void {
    const last = this.holes.at(-1);
    if (this.holes.length >= HOLES_PER_SESSION && last) {
      // merging the newest holes overstates what is missing between them, never understates it
      last.to = to;
      return;
    }
    this.holes.push({ from, to });
  }

  /** True when every seq from 1 through `n` has arrived. */
  completeThrough(n: number): boolean {
    return this.max >= n && !this.holes.some((h) => h.from <= n);
  }

  ranges(): Array<{ from: number; to: number }> {
    return this.holes.map((h) => ({ ...h }));
  }
}

export interface IngestStats {
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  duplicates: number;
  gapsDetected: number;
  /** agent sessions whose gap tracking was dropped to keep SESSIONS_PER_AGENT per agent */
  sessionsForgotten: number;
}

/**
 * What the centre knows: agents, cameras with their latest status and state
 * history, the plan, and the rate counters kept in step with all of it.
 * Every change is written to the store (its batch) before the method returns.
 */
export class AggregatorState {
  readonly agents = new Map<string, AgentRecord>();
  readonly cameras = new Map<string, CameraRecord>();
  readonly counters = new RateCounters();
  private readonly points = new Map<string, PlanPoint>();
  /** the same points by their GB/T 28181 code (国标编码) */
  private readonly pointsByGb = new Map<string, PlanPoint>();
  /** seq trackers per agent, per session */
  private readonly seqs = new Map<string, Map<string, SeqTracker>>();
  readonly stats: IngestStats = { accepted: {}, rejected: {}, duplicates: 0, gapsDetected: 0, sessionsForgotten: 0 };
  /** cameras removed by their agents, and when: a status checked before that does not bring one back */
  private readonly removedAt = new Map<string, number>();
  /** topics on which a gateway spoke for another gateway's camera, with counts (bounded) */
  readonly refusedTopics = new Map<string, number>();
  /** events the agents themselves dropped (outbox full), as they reported them */
  readonly losses: Array<{ agentId: string; count: number; from: unknown; to: unknown; reportedAt: string }> = [];

  /** called with the time of every event stored (reports of closed periods follow late events) */
  onEventStored: ((ts: number) => void) | undefined;
  /** a camera appeared, its binding (point, GB/T 28181 id, category) or its gateway's region changed: reports of past periods may change */
  onCameraBound: (() => void) | undefined;

  /** maintenance windows: cameras under one are counted apart */
  readonly maintenance: MaintenanceBook;
  /** lower aggregators whose rollups add to our numbers (cascade) */
  readonly tiers: TierBook;

  constructor(private readonly deps: { store: AggregatorStore; log: Logger; now: () => number; maintenanceExcluded?: boolean; flapping?: FlappingRule }) {
    this.maintenance = new MaintenanceBook({ store: deps.store, now: deps.now });
    this.tiers = new TierBook({ now: deps.now, log: deps.log.child({ module: 'tiers' }) });
  }

  /** The counts of every region and category: our cameras and plan, and the tiers below us. */
  ratesTable(): CountTable {
    return this.tiers.addCounts(this.counters.counts());
  }

  /** What a maintenance window may name for this camera: itself, its point (id and GB/T 28181 code), its gateway. */
  subjectOf(c: CameraRecord, pointId = this.counters.get(c.cameraId)?.pointId ?? null): WindowSubject {
    const point = pointId !== null ? this.points.get(pointId) : undefined;
    return windowSubject(c.cameraId, c.agentId, point);
  }

  /** Intervals to leave out of a camera's time (none when the config counts maintenance as measured). */
  maintenanceIntervals(cameraId: string): Interval[] {
    const c = this.cameras.get(cameraId);
    return c && this.deps.maintenanceExcluded !== false ? this.maintenance.intervalsFor(this.subjectOf(c)) : [];
  }

  /** The flapping episode a camera is in now, from its last week of history. */
  flappingOf(c: CameraRecord, now: number): FlappingEpisode | undefined {
    const rule = this.deps.flapping ?? { changes: 5, withinMs: 10 * 60_000 };
    // stable for the rule's span: not flapping, whatever came before (the common case, decided in O(1))
    if ((c.marks.at(-1)?.at ?? 0) < now - rule.withinMs) return undefined;
    let i = c.marks.length;
    while (i > 0 && c.marks[i - 1]!.at >= now - 7 * 86_400_000) i--;
    return flappingNow(i === 0 ? c.marks : c.marks.slice(i), rule, now);
  }

  get flappingRule(): FlappingRule {
    return this.deps.flapping ?? { changes: 5, withinMs: 10 * 60_000 };
  }

  /**
   * The time-weighted online rate of every region and category over [from, to),
   * maintenance left out; with the tiers' time added when the span is one of
   * the windows they report (`window`).
   */
  onlineRates(from: number, to: number, window: CascadeWindow | null = null): ReturnType<typeof onlineRates> {
    return this.tiers.addOnline(this.localOnlineRates(from, to), window);
  }

  private localOnlineRates(from: number, to: number): ReturnType<typeof onlineRates> {
    // no window declared (the usual case): no camera's subject is worked out
    const maintenance = this.deps.maintenanceExcluded !== false && this.maintenance.size > 0 ? (f: { id: string }) => this.maintenanceIntervals(f.id) : undefined;
    return onlineRates(this.counters.cameras(), (id) => this.cameras.get(id)?.marks ?? [], from, to, maintenance);
  }

  /** Called every second or so: windows that began or ended move their cameras in or out of the counts. */
  tickMaintenance(): void {
    if (!this.maintenance.changed(this.deps.now())) return;
    for (const c of this.cameras.values()) this.refresh(c);
  }

  /** Restores everything from what the store held at start (after a restart). */
  load(snapshot: StoreSnapshot): void {
    const { plan, marks } = snapshot;
    if (plan) this.indexPlan(JSON.parse(plan) as PlanPoint[]);
    this.counters.setPlan(this.points.values());
    for (const a of snapshot.agents) this.agents.set(a.agentId, JSON.parse(a.json) as AgentRecord);
    this.maintenance.load(snapshot.windows);
    for (const [id, at] of snapshot.removals) this.removedAt.set(id, at);
    for (const c of snapshot.cameras) {
      const status = cameraStatusMessage.parse(JSON.parse(c.statusJson));
      this.cameras.set(c.cameraId, { cameraId: c.cameraId, agentId: c.agentId, status, firstSeen: c.firstSeen, marks: marks.get(c.cameraId) ?? [] });
    }
    // the most recent sessions of each agent, as the live centre would have kept them
    for (const h of [...snapshot.seqHeads].sort((a, b) => a.lastTs - b.lastTs)) {
      const t = this.tracker(h.agentId, h.session);
      t.max = h.maxSeq;
      t.lastActive = h.lastTs;
    }
    for (const g of snapshot.gaps) this.seqs.get(g.agentId)?.get(g.session)?.addHole(g.fromSeq, g.toSeq);
    for (const c of this.cameras.values()) this.refresh(c);
    for (const l of snapshot.losses.slice(-MAX_LOSSES)) this.losses.push(JSON.parse(l) as AggregatorState['losses'][number]);
  }

  plan(): PlanPoint[] {
    return [...this.points.values()];
  }

  private indexPlan(points: PlanPoint[]): void {
    this.points.clear();
    this.pointsByGb.clear();
    for (const p of points) {
      this.points.set(p.id, p);
      if (p.gbId) this.pointsByGb.set(p.gbId, p);
    }
  }

  /** The point with this id, else the one with this GB/T 28181 code. */
  pointOf(idOrGbId: string): PlanPoint | undefined {
    return this.points.get(idOrGbId) ?? this.pointsByGb.get(idOrGbId);
  }

  setPlan(points: PlanPoint[]): void {
    this.indexPlan(points);
    this.deps.store.savePlan(JSON.stringify(points), this.deps.now());
    this.counters.setPlan(points);
    for (const c of this.cameras.values()) this.refresh(c);
  }

  /** The seq tracker of an agent session; an agent keeps at most SESSIONS_PER_AGENT, the least recently active go. */
  private tracker(agentId: string, session: string): SeqTracker {
    let sessions = this.seqs.get(agentId);
    if (!sessions) this.seqs.set(agentId, (sessions = new Map()));
    let t = sessions.get(session);
    if (!t) {
      if (sessions.size >= SESSIONS_PER_AGENT) {
        let oldest: string | undefined;
        for (const [k, v] of sessions) if (oldest === undefined || v.lastActive < sessions.get(oldest)!.lastActive) oldest = k;
        sessions.delete(oldest!);
        this.stats.sessionsForgotten += 1;
      }
      sessions.set(session, (t = new SeqTracker()));
    }
    return t;
  }

  /** Centre time for a timestamp from an agent's clock: never in the centre's future. */
  private clamp(ts: number): number {
    return Math.min(ts, this.deps.now());
  }

  /** The state the maths counts: the reported one only while its gateway is up and the report is from its current run. */
  effectiveState(c: CameraRecord): CameraState {
    const a = this.agents.get(c.agentId);
    if (!a?.online || a.startedAt === null) return 'unknown';
    const checked = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt);
    if (checked === null || checked < a.startedAt) return 'unknown';
    return c.status.state;
  }

  private refresh(c: CameraRecord): void {
    const a = this.agents.get(c.agentId);
    const fact = cameraFact(c.status, { id: c.agentId, online: true, region: a?.region ?? null }, (id) => this.pointOf(id));
    const maintenance = this.deps.maintenanceExcluded !== false && this.maintenance.activeFor(this.subjectOf(c, fact.pointId), this.deps.now()) !== undefined;
    this.counters.set(c.cameraId, { ...fact, state: this.effectiveState(c), maintenance });
  }

  private addMark(c: CameraRecord, mark: StateMark): void {
    // keep time order; late events land at their own timestamps
    let i = c.marks.length;
    while (i > 0 && c.marks[i - 1]!.at > mark.at) i--;
    c.marks.splice(i, 0, mark);
    this.deps.store.insertMark(c.cameraId, mark);
  }

  /**
   * A gateway that was cut off from the centre made its cameras `unknown` here;
   * an event it replays later saying the camera went from `from` at `at` proves
   * what the camera was during that span (docs/domain.md §1): the unknown marks
   * right before it take that state. A new agent session's first event comes
   * from `unknown`, so time when the agent itself was down stays unknown.
   */
  private proveUnknownSpan(c: CameraRecord, at: number, from: CameraState): void {
    if (from === 'unknown') return;
    let i = c.marks.findIndex((m) => m.at === at);
    while (i > 0 && c.marks[i - 1]!.state === 'unknown') {
      const m = c.marks[i - 1]!;
      m.state = from;
      this.deps.store.proveMark(c.cameraId, m.at, from);
      i -= 1;
    }
  }

  /** Adds a mark at `at` when the camera's history does not already end in `state`. */
  private reconcile(c: CameraRecord, state: CameraState, at: number): void {
    if (c.marks.at(-1)?.state !== state) this.addMark(c, { at, state });
  }

  applyAgentState(agentId: string, msg: AgentStateMessage): void {
    const now = this.deps.now();
    const prev = this.agents.get(agentId);
    if (msg.state === 'offline') {
      // a will or shutdown of an older session does not override a newer birth
      if (prev && prev.session !== null && prev.session !== msg.session) {
        this.count('accepted', 'agent_state_stale');
        this.deps.log.info({ agent: agentId, session: msg.session, current: prev.session }, 'ignored the offline state of an older agent session');
        return;
      }
      // the same will again (retained, redelivered at a reconnect) does not move the start of the outage
      const since = prev && !prev.online && prev.session === msg.session ? prev.since : now;
      const rec: AgentRecord = { ...(prev ?? emptyAgent(agentId)), online: false, session: msg.session, since };
      this.saveAgent(rec);
      for (const c of this.cameras.values()) {
        if (c.agentId !== agentId) continue;
        this.reconcile(c, 'unknown', now);
        this.refresh(c);
      }
    } else {
      // the birth of a session that started before the one held: a retained copy redelivered at a resubscribe
      // after a newer session was seen (a broker restart); the gateway did not go back in time
      const started = Date.parse(msg.startedAt);
      if (prev && prev.session !== null && prev.session !== msg.session && prev.startedAt !== null && started < prev.startedAt) {
        this.count('accepted', 'agent_state_stale');
        this.deps.log.info({ agent: agentId, session: msg.session, current: prev.session }, 'ignored the birth of an older agent session');
        return;
      }
      // the same session back after the centre marked it offline: a broker restart or a network blip, not an agent restart
      const returned = prev !== undefined && !prev.online && prev.session === msg.session;
      const rec: AgentRecord = {
        agentId,
        online: true,
        session: msg.session,
        startedAt: Date.parse(msg.startedAt),
        since: prev?.online && prev.session === msg.session ? prev.since : now,
        site: msg.site,
        region: msg.region,
        agentVersion: msg.agentVersion,
        pendingProof: returned && msg.lastSeq !== undefined ? { session: msg.session, upToSeq: msg.lastSeq, from: prev.since, to: now } : undefined,
        config: prev?.config,
      };
      this.saveAgent(rec);
      // its cameras count in the gateway's region when their point does not say
      if ((prev?.region ?? null) !== rec.region) this.onCameraBound?.();
      for (const c of this.cameras.values()) {
        if (c.agentId !== agentId) continue;
        this.refresh(c);
        // the same session back: its statuses stand again, and the history says so from this moment on. A new
        // session's first statuses and replayed events (a moment later) say what its checks found; an unknown
        // mark here would claim a gap the new session's own events may well cover
        if (returned) this.reconcile(c, this.effectiveState(c), now);
      }
      this.tryProof(rec);
    }
    this.count('accepted', 'agent_state');
  }

  /** The agent's report of its last config push: kept for the gateways page. */
  applyConfigReported(agentId: string, msg: ReportedConfigMessage): void {
    const prev = this.agents.get(agentId) ?? emptyAgent(agentId);
    this.saveAgent({ ...prev, config: { version: msg.version, source: msg.source, status: msg.status, appliedAt: msg.appliedAt, errors: msg.errors?.length ?? 0 } });
    this.count('accepted', 'config_reported');
  }

  /**
   * Completes an agent's pending proof once its events through `upToSeq` have
   * all arrived: unknown marks in the span take the state before them.
   * Replayed events in the span have placed their own marks already.
   */
  private tryProof(a: AgentRecord): void {
    const p = a.pendingProof;
    if (!p || a.session !== p.session) return;
    if (!this.tracker(a.agentId, p.session).completeThrough(p.upToSeq)) return;
    for (const c of this.cameras.values()) {
      if (c.agentId !== a.agentId) continue;
      let before: CameraState | undefined;
      for (const m of c.marks) {
        if (m.at >= p.from && m.at <= p.to && m.state === 'unknown' && before !== undefined && before !== 'unknown') {
          m.state = before;
          this.deps.store.proveMark(c.cameraId, m.at, before);
        }
        if (m.at > p.to) break;
        before = m.state;
      }
    }
    this.deps.log.info({ agent: a.agentId, session: p.session, from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString() }, 'agent proved the span it was cut off: its cameras kept their states');
    this.saveAgent({ ...a, pendingProof: undefined });
  }

  /**
   * The agent said it stopped at `at` (live, or replayed from its outbox after
   * a stop while the broker was down): its cameras were unknown from then on,
   * whatever the centre believed meanwhile.
   */
  private agentStopped(agentId: string, session: string, at: number): void {
    const a = this.agents.get(agentId);
    if (a?.online && a.session === session) this.saveAgent({ ...a, online: false, since: at });
    for (const c of this.cameras.values()) {
      if (c.agentId !== agentId) continue;
      let inForce: CameraState | undefined;
      for (const m of c.marks) if (m.at <= at) inForce = m.state;
      if (inForce !== undefined && inForce !== 'unknown') this.addMark(c, { at, state: 'unknown' });
      this.refresh(c);
    }
  }

  private saveAgent(rec: AgentRecord): void {
    this.agents.set(rec.agentId, rec);
    this.deps.store.saveAgent(rec.agentId, JSON.stringify(rec));
  }

  /**
   * Whether `agentId` may speak for the camera: the agent that first reported
   * it owns it until that agent removes it (camera_removed, or clearing its
   * status) or an admin releases it (DELETE /api/cameras/{id}). A gateway
   * cannot rewrite, move or delete another gateway's camera.
   */
  private owns(agentId: string, cameraId: string): boolean {
    const c = this.cameras.get(cameraId);
    return !c || c.agentId === agentId;
  }

  /** A camera's retained status; null when the agent cleared it (camera removed). 'not_owner' when another agent owns the camera. */
  applyStatus(agentId: string, cameraId: string, status: CameraStatusMessage | null): 'applied' | 'not_owner' {
    const now = this.deps.now();
    if (!this.owns(agentId, cameraId)) return this.refuse(agentId, cameraId);
    if (status === null) {
      this.removeCamera(agentId, cameraId);
      this.count('accepted', 'status_cleared');
      return 'applied';
    }
    let c = this.cameras.get(cameraId);
    const lastRecordingCheck = c?.status.recording?.checkedAt;
    const bindingOf = (s: CameraStatusMessage) => `${s.pointId ?? ''}|${s.gbId ?? ''}|${s.category ?? ''}`;
    const boundBefore = c ? bindingOf(c.status) : undefined;
    if (!c) {
      // a retained status left on the broker by a removal whose clear was lost comes back at every resubscribe; one
      // checked in the very millisecond of the removal may be the camera's next (a release answered within 1 ms)
      const removed = this.removedAt.get(cameraId);
      const checked = status.checkedAt === null ? null : Date.parse(status.checkedAt);
      if (removed !== undefined && (checked === null || checked < removed)) {
        this.count('accepted', 'status_of_removed_camera');
        return 'applied';
      }
      this.removedAt.delete(cameraId);
      c = { cameraId, agentId, status, firstSeen: now, marks: [] };
      this.cameras.set(cameraId, c);
    } else {
      // replicas sharing the ingest may hand two statuses of a camera over in the other order: the older one changes
      // nothing (a clock set back by more than 10 minutes is taken as it comes)
      const held = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt);
      const checked = status.checkedAt === null ? null : Date.parse(status.checkedAt);
      if (held !== null && checked !== null && checked < held && held - checked < 10 * 60_000) {
        this.count('accepted', 'status_older');
        return 'applied';
      }
      c.status = status;
    }
    // each daily recording check is kept: the reports of a period add up the checks made in it
    const rec = status.recording;
    if (rec && rec.checkedAt !== lastRecordingCheck) this.deps.store.saveRecordingCheck(cameraId, Date.parse(rec.checkedAt), rec.supported, rec.recordedSec, rec.scheduledSec);
    this.deps.store.saveCamera({ cameraId, agentId, statusJson: JSON.stringify(status), firstSeen: c.firstSeen });
    if (boundBefore !== bindingOf(status)) this.onCameraBound?.();
    this.refresh(c);
    // events carry the history; a status that disagrees with it means events were missed
    const eff = this.effectiveState(c);
    if (eff !== 'unknown' || c.marks.length === 0) this.reconcile(c, eff, c.marks.length === 0 ? this.clamp(Date.parse(status.since)) : now);
    this.count('accepted', 'status');
    return 'applied';
  }

  private refuse(agentId: string, cameraId: string): 'not_owner' {
    this.count('rejected', 'not_owner');
    this.deps.log.warn({ agent: agentId, camera: cameraId, owner: this.cameras.get(cameraId)?.agentId }, 'refused: a gateway spoke for a camera another gateway owns');
    return 'not_owner';
  }

  /**
   * An admin releases a camera (it really moved to another gateway, or is
   * gone): it is no longer installed, and the next agent to report it owns it.
   */
  releaseCamera(cameraId: string): boolean {
    const c = this.cameras.get(cameraId);
    if (!c) return false;
    this.removeCamera(c.agentId, cameraId);
    this.deps.log.info({ camera: cameraId, owner: c.agentId }, 'camera released by an admin');
    return true;
  }

  /** Its agent removed the camera (forgotten by discovery, dropped from the config): no longer installed. */
  private removeCamera(agentId: string, cameraId: string, at?: number): void {
    const c = this.cameras.get(cameraId);
    if (!c || c.agentId !== agentId) return;
    // a removal replayed late does not undo a status the camera sent after coming back
    const checked = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt);
    if (at !== undefined && checked !== null && checked > at) return;
    this.cameras.delete(cameraId);
    const when = at ?? this.deps.now();
    this.removedAt.set(cameraId, when);
    this.deps.store.removeCamera(cameraId, when);
    this.counters.set(cameraId, undefined);
  }

  applyEvent(agentId: string, e: AgentEvent): 'stored' | 'duplicate' | 'not_owner' {
    const ts = this.clamp(Date.parse(e.ts));
    // the seq is the sender's own: recorded even when the content is refused, so no false gap appears
    const foreign = 'cameraId' in e && !this.owns(agentId, e.cameraId);
    if (!this.deps.store.insertEvent(agentId, e.session, e.seq, ts, 'cameraId' in e ? e.cameraId : '')) {
      this.stats.duplicates += 1;
      return 'duplicate';
    }
    const tracker = this.tracker(agentId, e.session);
    tracker.lastActive = ts;
    const seen = tracker.see(e.seq);
    if (seen === 'gap') {
      this.stats.gapsDetected += 1;
      this.deps.log.warn({ agent: agentId, session: e.session, seq: e.seq }, 'events missing before this one (seq gap)');
    }
    if (e.type === 'events_dropped') {
      const loss = { agentId, count: e.count, from: e.from, to: e.to, reportedAt: e.ts };
      this.losses.push(loss);
      if (this.losses.length > MAX_LOSSES) this.losses.splice(0, this.losses.length - MAX_LOSSES);
      this.deps.store.saveLoss(JSON.stringify(loss));
      this.deps.log.warn(loss, 'an agent reports events it had to drop: its numbers for that span are incomplete');
    }
    if (foreign) return this.refuse(agentId, e.cameraId);
    if (e.type === 'state') {
      let c = this.cameras.get(e.cameraId);
      if (!c) {
        // the event came before any status: keep its history; the status brings the rest
        c = { cameraId: e.cameraId, agentId, status: placeholderStatus(e.cameraId, e.to, e.ts), firstSeen: ts, marks: [] };
        this.cameras.set(e.cameraId, c);
        this.deps.store.saveCamera({ cameraId: c.cameraId, agentId, statusJson: JSON.stringify(c.status), firstSeen: ts });
        this.refresh(c);
      }
      this.addMark(c, { at: ts, state: e.to });
      this.proveUnknownSpan(c, ts, e.from);
    }
    // the event is durable (the agent's outbox), the cleared retained status may not have reached the broker
    if (e.type === 'camera_removed') this.removeCamera(agentId, e.cameraId, ts);
    if (e.type === 'agent_stopped') this.agentStopped(agentId, e.session, ts);
    const owner = this.agents.get(agentId);
    if (owner?.pendingProof?.session === e.session) this.tryProof(owner);
    this.onEventStored?.(ts);
    this.count('accepted', 'event');
    return 'stored';
  }

  /** Seq ranges never received, per agent session. */
  gaps(): SeqGap[] {
    const out: SeqGap[] = [];
    for (const [agentId, sessions] of this.seqs) {
      for (const [session, t] of sessions) for (const r of t.ranges()) out.push({ agentId, session, fromSeq: r.from, toSeq: r.to });
    }
    return out;
  }

  /** Counts a refusal under its topic; beyond 1000 topics they share one line. */
  refusedOn(topic: string): void {
    const key = this.refusedTopics.has(topic) || this.refusedTopics.size < 1000 ? topic.slice(0, 300) : '(other topics)';
    this.refusedTopics.set(key, (this.refusedTopics.get(key) ?? 0) + 1);
  }

  countAccepted(kind: string): void {
    this.count('accepted', kind);
  }

  reject(reason: string): void {
    this.count('rejected', reason);
  }

  private count(kind: 'accepted' | 'rejected', key: string): void {
    this.stats[kind][key] = (this.stats[kind][key] ?? 0) + 1;
  }
}

const emptyAgent = (agentId: string): AgentRecord => ({ agentId, online: false, session: null, startedAt: null, since: 0, site: null, region: null, agentVersion: null });

function placeholderStatus(cameraId: string, state: CameraState, ts: string): CameraStatusMessage {
  return {
    cameraId, name: null, state, since: ts, checkedAt: null, rung: null, reason: null, detail: null, consecutiveFailures: 0,
    source: 'rtsp', address: '', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: null, category: null, faults: [], rungs: [],
  };
}

