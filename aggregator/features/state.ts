import type { Logger } from 'pino';
import type { CameraState, CameraStatusMessage, Interval, StateMark } from '../../protocols/index.js';
import { TypedEmitter } from '../../platform/typed-emitter.js';
import type { ChangeSink } from '../store/changes.js';
import type { SeqGap, StoreSnapshot } from '../store/port.js';
import type { AgentRecord, LossRecord } from '../store/records.js';
import { cameraFact } from '../rates/bind.js';
import { DEFAULT_REGISTER_FIELDS, type RegisterField } from '../rates/register.js';
import { RateCounters } from '../rates/counters.js';
import { OnlineWalk, onlineRates } from '../rates/online.js';
import { eachInSlices, jsonArrayInSlices } from './slices.js';
import { flappingNow, type FlappingEpisode, type FlappingRule } from '../rates/flapping.js';
import type { CountTable } from '../rates/snapshot.js';
import type { PlanPoint } from '../rates/model.js';
import { EventKeyIndex } from '../fleet/event-keys.js';
import { IngestCounters, type IngestStats } from '../fleet/ingest-stats.js';
import { SessionTrackers, type SeqTracker } from '../fleet/seq-tracker.js';
import { Confirmations, type ConfirmationSubject } from '../fleet/confirmations.js';
import { MaintenanceBook, windowSubject, type WindowSubject } from './maintenance.js';
import { TierBook, type CascadeWindow } from './tiers.js';

export type { AgentRecord, AgentConfigReport } from '../store/records.js';
export type { IngestStats } from '../fleet/ingest-stats.js';

export interface CameraRecord {
  cameraId: string;
  agentId: string;
  status: CameraStatusMessage;
  /** centre time when any agent first reported it: from then on it is installed */
  firstSeen: number;
  marks: StateMark[];
}

/** agents' reports of events they dropped, most recent kept in memory (all stay in the store) */
const MAX_LOSSES = 1000;

/** What the fleet model tells whoever listens (the report publisher, the live feed). */
export interface FleetEvents {
  /** an event was stored, with its (centre) time: reports of closed periods follow late events */
  eventStored: [ts: number];
  /** a camera appeared, its binding (point, GB/T 28181 id, category) or its gateway's region changed: reports of past periods may change */
  cameraBound: [];
  /** a gateway's round counts cameras the centre does not hold: it should send every status again (a `status` request) */
  statusesWanted: [agentId: string];
  /** a camera's status was stored changed (its name, device or binding may have moved: the GB/T 28181 catalog looks) */
  cameraSaved: [cameraId: string];
}

/** a gateway is asked for its statuses at most this often */
const STATUS_REQUEST_EVERY_MS = 10 * 60_000;

/**
 * What the centre knows, in memory and without I/O: agents, cameras with
 * their latest status and state history, the plan, ownership, seq tracking,
 * and the rate counters kept in step with all of it. The message handlers
 * (aggregator/ingest/handlers/) decide; the operations here keep the model
 * consistent and leave each change for the store in `changes`.
 */
export class AggregatorState {
  readonly agents = new Map<string, AgentRecord>();
  readonly cameras = new Map<string, CameraRecord>();
  readonly counters = new RateCounters();
  private points = new Map<string, PlanPoint>();
  /** the same points by their GB/T 28181 code (国标编码) */
  private pointsByGb = new Map<string, PlanPoint>();
  /** seq trackers per agent session (gaps, proofs) */
  readonly sessions = new SessionTrackers();
  /** every (agent, session, seq) stored: duplicates are answered here */
  private eventKeys = new EventKeyIndex();
  readonly ingest = new IngestCounters();
  /** cameras removed by their agents, and when: a status checked before that does not bring one back */
  readonly removedAt = new Map<string, number>();
  /** events the agents themselves dropped (outbox full), as they reported them */
  readonly losses: LossRecord[] = [];
  readonly events: TypedEmitter<FleetEvents>;

  /** maintenance windows: cameras under one are counted apart */
  readonly maintenance: MaintenanceBook;
  /** lower aggregators whose rollups add to our numbers (cascade) */
  readonly tiers: TierBook;

  /** how fresh each camera's status is, from its agent's round messages (report by exception) */
  readonly confirmations: Confirmations;
  /** the cameras of each agent (camerasOf, without a walk of the whole fleet) */
  private readonly byAgent = new Map<string, Set<string>>();
  /** agents whose cameras in no exception list are stale now (last sweep) */
  private readonly staleAgents = new Set<string>();

  constructor(private readonly deps: { changes: ChangeSink; log: Logger; now: () => number; maintenanceExcluded?: boolean; flapping?: FlappingRule; staleAfterRounds?: number; registerFields?: readonly RegisterField[] }) {
    this.confirmations = new Confirmations(() => deps.staleAfterRounds ?? 3);
    this.maintenance = new MaintenanceBook({ changes: deps.changes, now: deps.now });
    this.tiers = new TierBook({ now: deps.now, log: deps.log.child({ module: 'tiers' }) });
    this.events = new TypedEmitter((event, err) => deps.log.error({ err, event }, 'a listener of the fleet model failed'));
  }

  get changes(): ChangeSink {
    return this.deps.changes;
  }

  get log(): Logger {
    return this.deps.log;
  }

  now(): number {
    return this.deps.now();
  }

  get stats(): IngestStats {
    this.ingest.stats.sessionsForgotten = this.sessions.forgotten;
    return this.ingest.stats;
  }

  get refusedTopics(): ReadonlyMap<string, number> {
    return this.ingest.refusedTopics;
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
    const rule = this.flappingRule;
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

  /** The online rates of our own cameras only (no tier below us): what the stored daily totals count. */
  localOnlineRates(from: number, to: number): ReturnType<typeof onlineRates> {
    return onlineRates(this.counters.cameras(), this.marksOf, from, to, this.maintenanceOfFacts());
  }

  /** onlineRates for an HTTP answer: the same walk, giving the event loop back every few milliseconds. */
  async onlineRatesSliced(from: number, to: number, window: CascadeWindow | null = null, background = false): Promise<ReturnType<typeof onlineRates>> {
    return this.tiers.addOnline(await this.localOnlineRatesSliced(from, to, background), window);
  }

  async localOnlineRatesSliced(from: number, to: number, background: boolean | (() => boolean) = false): Promise<ReturnType<typeof onlineRates>> {
    const walk = new OnlineWalk(this.marksOf, from, to, this.maintenanceOfFacts());
    await eachInSlices(this.counters.cameras(), (f) => walk.add(f), { background });
    return walk.result();
  }

  private readonly marksOf = (id: string) => this.cameras.get(id)?.marks ?? [];

  /** no window declared (the usual case): no camera's subject is worked out */
  private maintenanceOfFacts(): ((f: { id: string }) => Interval[]) | undefined {
    return this.deps.maintenanceExcluded !== false && this.maintenance.size > 0 ? (f: { id: string }) => this.maintenanceIntervals(f.id) : undefined;
  }

  private maintenanceWalk: Promise<void> | undefined;
  private maintenanceAgain = false;

  /**
   * Called every second or so, and when a window is declared or ended:
   * windows that began or ended move their cameras in or out of the counts.
   * Every camera is walked, in slices (in one piece it held the event loop
   * 173 ms at 200,000 cameras when a window began); a change while a walk
   * is under way walks again after it. Resolves once the counts follow.
   */
  tickMaintenance(): Promise<void> {
    if (!this.maintenance.changed(this.deps.now())) return this.maintenanceSettled();
    if (this.maintenanceWalk) {
      this.maintenanceAgain = true;
      return this.maintenanceWalk;
    }
    const walk = async (): Promise<void> => {
      do {
        this.maintenanceAgain = false;
        await eachInSlices(this.cameras.values(), (c) => this.refresh(c));
      } while (this.maintenanceAgain);
    };
    this.maintenanceWalk = walk()
      .catch((err: Error) => this.deps.log.error({ err: { message: err.message } }, 'maintenance windows: walking the cameras failed; their counts may lag until the next window begins or ends'))
      .finally(() => (this.maintenanceWalk = undefined));
    return this.maintenanceWalk;
  }

  /** Resolves once the counts follow the windows in force (at once when no walk is under way). */
  maintenanceSettled(): Promise<void> {
    return this.maintenanceWalk ?? Promise.resolve();
  }

  /**
   * Restores everything from what the store held at start (after a restart,
   * or when a replica takes the lead), the cameras a slice at a time: a
   * province's million give the event loop back every few milliseconds, so
   * the API answers (that it is starting) meanwhile. `progress`: cameras
   * placed so far. Nothing else may change the model until it resolves.
   */
  async load(snapshot: StoreSnapshot, progress?: (cameras: number) => void): Promise<void> {
    // a province's million points, in slices as the cameras below
    this.usePlanIndex(await AggregatorState.planIndex(snapshot.plan ?? []));
    this.planSource = snapshot.planSource ?? null;
    await this.counters.setPlanWith(this.points.values(), eachInSlices);
    for (const a of snapshot.agents) this.agents.set(a.agentId, a);
    this.maintenance.load(snapshot.windows);
    for (const [id, at] of snapshot.removals) this.removedAt.set(id, at);
    let placed = 0;
    await eachInSlices(snapshot.cameras, (c) => {
      this.place({ cameraId: c.cameraId, agentId: c.agentId, status: c.status, firstSeen: c.firstSeen, marks: snapshot.marks.get(c.cameraId) ?? [] });
      if ((++placed & 4095) === 0) progress?.(placed);
    });
    this.sessions.load(snapshot.seqHeads, snapshot.gaps);
    const keys = new EventKeyIndex();
    const holes = new Map<string, SeqGap[]>();
    for (const g of snapshot.gaps) {
      const k = `${g.agentId}\u0000${g.session}`;
      let list = holes.get(k);
      if (!list) holes.set(k, (list = []));
      list.push(g);
    }
    for (const h of snapshot.seqHeads) keys.addSession(h.agentId, h.session, h.maxSeq, h.lastTs, holes.get(`${h.agentId}\u0000${h.session}`) ?? []);
    this.eventKeys = keys;
    await eachInSlices(this.cameras.values(), (c) => this.refresh(c));
    progress?.(placed);
    for (const l of snapshot.losses.slice(-MAX_LOSSES)) this.losses.push(l);
  }

  plan(): PlanPoint[] {
    return [...this.points.values()];
  }

  /** bumped when the plan is replaced: what was worked out from the cameras' points is stale */
  planVersion = 0;
  /** where the plan in force came from: `file:{sha256}` of the plan file, null for an upload */
  planSource: string | null = null;

  /** region names the plan gives (grassroots units the division data has not), over the dataset's */
  regionNames = new Map<string, string>();

  /** The plan's points by id and by GB/T 28181 code, and the region names it gives, made in slices and put in force at once. */
  private static async planIndex(points: Iterable<PlanPoint>): Promise<{ byId: Map<string, PlanPoint>; byGb: Map<string, PlanPoint>; names: Map<string, string> }> {
    const index = { byId: new Map<string, PlanPoint>(), byGb: new Map<string, PlanPoint>(), names: new Map<string, string>() };
    await eachInSlices(points, (p) => {
      index.byId.set(p.id, p);
      if (p.gbId) index.byGb.set(p.gbId, p);
      if (p.regionName) index.names.set(p.region, p.regionName);
    });
    return index;
  }

  private usePlanIndex(index: Awaited<ReturnType<typeof AggregatorState.planIndex>>): void {
    this.points = index.byId;
    this.pointsByGb = index.byGb;
    this.regionNames = index.names;
  }

  /** The point with this id, else the one with this GB/T 28181 code. */
  pointOf(idOrGbId: string): PlanPoint | undefined {
    return this.points.get(idOrGbId) ?? this.pointsByGb.get(idOrGbId);
  }

  private planning: Promise<void> = Promise.resolve();

  /**
   * Replaces the plan; `source`: the plan file's `file:{sha256}`, so an
   * unchanged file is not loaded again at the next start. Every step in
   * slices (a province's million points held the event loop five seconds in
   * one piece): the index, the counts (cameras may report meanwhile; they
   * read as before until the new plan is in force, index and counts at
   * once), then each camera bound anew. One replacement at a time, in order.
   */
  setPlan(points: PlanPoint[], source?: string): Promise<void> {
    const done = this.planning.then(() => this.replacePlan(points, source));
    this.planning = done.catch(() => undefined);
    return done;
  }

  private async replacePlan(points: PlanPoint[], source?: string): Promise<void> {
    const index = await AggregatorState.planIndex(points);
    const json = await jsonArrayInSlices(points);
    await this.counters.setPlanWith(points, eachInSlices, () => {
      this.usePlanIndex(index);
      this.planVersion += 1;
      this.planSource = source ?? null;
      // stored in the same turn as it is put in force: a report reads the plan in memory when its version is the
      // newest stored, so the store must not hold the new version while memory still holds the old plan
      this.deps.changes.record({ kind: 'plan', points, at: this.deps.now(), source, json });
    });
    await eachInSlices(this.cameras.values(), (c) => this.refresh(c));
  }

  /** The seq tracker of an agent session (made when new). */
  tracker(agentId: string, session: string): SeqTracker {
    return this.sessions.of(agentId, session);
  }

  /** True when (agent, session, seq) was never stored before: the event is new, and from now on it is known. */
  isNewEvent(agentId: string, session: string, seq: number, ts: number): boolean {
    return this.eventKeys.add(agentId, session, seq, ts);
  }

  /** History older than `before` was pruned from the store: its event keys go too. */
  pruned(before: number): void {
    this.eventKeys.dropOlderThan(before);
  }

  /** Centre time for a timestamp from an agent's clock: never in the centre's future. */
  clamp(ts: number): number {
    return Math.min(ts, this.deps.now());
  }

  /** The cameras an agent owns. */
  *camerasOf(agentId: string): IterableIterator<CameraRecord> {
    for (const id of [...(this.byAgent.get(agentId) ?? [])]) {
      const c = this.cameras.get(id);
      if (c?.agentId === agentId) yield c;
    }
  }

  /** Puts a camera record in the model and the agent's index. */
  private place(c: CameraRecord): void {
    const held = this.cameras.get(c.cameraId);
    if (held && held.agentId !== c.agentId) this.byAgent.get(held.agentId)?.delete(c.cameraId);
    this.cameras.set(c.cameraId, c);
    let ids = this.byAgent.get(c.agentId);
    if (!ids) this.byAgent.set(c.agentId, (ids = new Set()));
    ids.add(c.cameraId);
  }

  private unplace(c: CameraRecord): void {
    this.cameras.delete(c.cameraId);
    const ids = this.byAgent.get(c.agentId);
    ids?.delete(c.cameraId);
    if (ids?.size === 0) this.byAgent.delete(c.agentId);
  }

  /** the point fields a complete record needs (建档率) */
  get registerFields(): readonly RegisterField[] {
    return this.deps.registerFields ?? DEFAULT_REGISTER_FIELDS;
  }

  /** The state the maths counts: the reported one only while its gateway is up, the report is from its current run and its rounds still confirm it. */
  effectiveState(c: CameraRecord): CameraState {
    const a = this.agents.get(c.agentId);
    if (!a?.online || a.startedAt === null) return 'unknown';
    const checked = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt);
    if (checked === null || checked < a.startedAt) return 'unknown';
    if (this.confirmations.isStale(this.subjectFor(c, checked), a, this.deps.now())) return 'unknown';
    return c.status.state;
  }

  private subjectFor(c: CameraRecord, checkedAt = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt)): ConfirmationSubject {
    return { cameraId: c.cameraId, agentId: c.agentId, checkedAt };
  }

  /** When the camera's status was last confirmed: by its agent's rounds, or its own check. */
  confirmedAt(c: CameraRecord): number | null {
    return this.confirmations.confirmedAt(this.subjectFor(c), this.agents.get(c.agentId));
  }

  /** Its agent is live and has not confirmed the camera's status for `stale.afterRounds` rounds. */
  isStale(c: CameraRecord): boolean {
    return this.confirmations.isStale(this.subjectFor(c), this.agents.get(c.agentId), this.deps.now());
  }

  /** The counts and the history follow a camera whose effective state moved without a message (it went stale, or is confirmed again). */
  settle(c: CameraRecord, now = this.deps.now()): void {
    const eff = this.effectiveState(c);
    if (this.counters.get(c.cameraId)?.state === eff) return;
    this.reconcile(c, eff, now);
    this.refresh(c);
  }

  /**
   * Every second: cameras that went stale (their live agent stopped
   * confirming them) or fresh again. The work is the agents with rounds and
   * their exception lists; a whole agent's cameras only when it flips.
   */
  sweepStale(): void {
    const now = this.deps.now();
    for (const [agentId, info] of this.confirmations.entries()) {
      const a = this.agents.get(agentId);
      const stale = this.confirmations.agentStale(agentId, a, now);
      if (stale !== this.staleAgents.has(agentId)) {
        if (stale) this.staleAgents.add(agentId);
        else this.staleAgents.delete(agentId);
        if (stale) this.deps.log.warn({ agent: agentId, lastRound: info.round, periodMs: info.periodMs }, 'gateway is connected but has not confirmed its cameras for several rounds: they count as unknown');
        for (const c of this.camerasOf(agentId)) this.settle(c, now);
      }
      for (const id of info.unconfirmed.keys()) {
        const c = this.cameras.get(id);
        if (c) this.settle(c, now);
      }
    }
  }

  /** when each gateway was last asked for its statuses */
  private readonly statusesAsked = new Map<string, number>();

  /** How many cameras the centre holds for a gateway. */
  cameraCount(agentId: string): number {
    return this.byAgent.get(agentId)?.size ?? 0;
  }

  /**
   * A gateway's round says the centre lacks some of its cameras (it counts
   * more than the centre holds, or names ones it does not know: a database
   * restored from a backup, a status lost): ask it for every status again,
   * at most once every ten minutes.
   */
  wantStatuses(agentId: string): void {
    const now = this.deps.now();
    if (now - (this.statusesAsked.get(agentId) ?? -Infinity) < STATUS_REQUEST_EVERY_MS) return;
    this.statusesAsked.set(agentId, now);
    this.deps.log.info({ agent: agentId, held: this.cameraCount(agentId) }, 'gateway watches cameras the centre does not hold: asking it for every status');
    this.events.emit('statusesWanted', agentId);
  }

  /** An agent's round message: the cameras whose confirmation moved are settled at once. */
  applyRound(agentId: string, m: Parameters<Confirmations['apply']>[1], unchecked: CameraRecord[]): 'older' | 'applied' {
    const now = this.deps.now();
    const touched = this.confirmations.apply(agentId, m, unchecked.map((c) => this.subjectFor(c)), now);
    if (touched === 'older') return 'older';
    for (const id of touched) {
      const c = this.cameras.get(id);
      if (c) this.settle(c, now);
    }
    if (this.staleAgents.has(agentId) && !this.confirmations.agentStale(agentId, this.agents.get(agentId), now)) {
      this.staleAgents.delete(agentId);
      for (const c of this.camerasOf(agentId)) this.settle(c, now);
    }
    return 'applied';
  }

  /** Puts the camera's counts in step with its status, its agent, its point and the maintenance windows. */
  refresh(c: CameraRecord): void {
    const a = this.agents.get(c.agentId);
    const state = this.effectiveState(c);
    const fact = cameraFact(c.status, { id: c.agentId, online: true, region: a?.region ?? null }, (id) => this.pointOf(id), this.registerFields, { state, maintenance: false, marks: c.marks });
    // no window declared (the usual case): no camera's subject is worked out
    if (this.deps.maintenanceExcluded !== false && this.maintenance.size > 0) fact.maintenance = this.maintenance.activeFor(this.subjectOf(c, fact.pointId), this.deps.now()) !== undefined;
    this.counters.set(c.cameraId, fact);
    if (state === 'offline' || state === 'degraded' || this.changedLately(c)) this.notable.add(c.cameraId);
  }

  /**
   * Cameras an alert may be about: offline or degraded, or whose state
   * changed within the flapping span. The alert pass walks these, not the
   * fleet; it drops those that have since become uneventful (forgetNotable).
   */
  readonly notable = new Set<string>();

  /** The alert pass found the camera online (or unknown) and stable for the flapping span: it walks it no more until it changes. */
  forgetNotable(cameraId: string): void {
    this.notable.delete(cameraId);
  }

  /** Its state changed within the flapping span (its first mark, when it appeared, is no change). */
  changedLately(c: CameraRecord, now = this.deps.now()): boolean {
    return c.marks.length >= 2 && c.marks.at(-1)!.at >= now - this.flappingRule.withinMs;
  }

  /** Adds a mark to the camera's history, in time order (late events land at their own timestamps). */
  addMark(c: CameraRecord, mark: StateMark): void {
    if (c.marks.length >= 1) this.notable.add(c.cameraId);
    let i = c.marks.length;
    while (i > 0 && c.marks[i - 1]!.at > mark.at) i--;
    if (i === c.marks.length) c.marks.push(mark);
    else c.marks.splice(i, 0, mark);
    this.deps.changes.record({ kind: 'mark', cameraId: c.cameraId, at: mark.at, state: mark.state });
  }

  /** An unknown mark whose state is now known. */
  proveMark(c: CameraRecord, m: StateMark, state: CameraState): void {
    m.state = state;
    this.deps.changes.record({ kind: 'markProven', cameraId: c.cameraId, at: m.at, state });
  }

  /** Adds a mark at `at` when the camera's history does not already end in `state`. */
  reconcile(c: CameraRecord, state: CameraState, at: number): void {
    if (c.marks.at(-1)?.state !== state) this.addMark(c, { at, state });
  }

  saveAgent(rec: AgentRecord): void {
    this.agents.set(rec.agentId, rec);
    this.deps.changes.record({ kind: 'agent', agent: rec });
  }

  /** the cameras with a cause of outage as last stored, and that cause (the history of causes: the reports of closed periods split by it); none: null */
  private readonly causesStored = new Map<string, string>();

  /** Keeps a camera's status (new or changed) in the model and the store. */
  saveCamera(c: CameraRecord): void {
    this.place(c);
    this.deps.changes.record({ kind: 'camera', cameraId: c.cameraId, agentId: c.agentId, status: c.status, firstSeen: c.firstSeen });
    // only the failing cameras are held (a province's steady million cost nothing); after a start a cause is written again (the same value twice is harmless)
    const cause = c.status.cause ?? null;
    if ((this.causesStored.get(c.cameraId) ?? null) !== cause) {
      const checked = c.status.checkedAt ? Date.parse(c.status.checkedAt) : Number.NaN;
      this.deps.changes.record({ kind: 'cause', cameraId: c.cameraId, at: Number.isFinite(checked) ? checked : this.deps.now(), cause });
      if (cause === null) this.causesStored.delete(c.cameraId);
      else this.causesStored.set(c.cameraId, cause);
    }
    this.events.emit('cameraSaved', c.cameraId);
  }

  /**
   * Whether `agentId` may speak for the camera: the agent that first reported
   * it owns it until that agent removes it (camera_removed, or clearing its
   * status) or an admin releases it (DELETE /api/cameras/{id}). A gateway
   * cannot rewrite, move or delete another gateway's camera.
   */
  owns(agentId: string, cameraId: string): boolean {
    const c = this.cameras.get(cameraId);
    return !c || c.agentId === agentId;
  }

  /** A gateway spoke for a camera another gateway owns: refused, counted and logged. */
  refuse(agentId: string, cameraId: string): 'not_owner' {
    this.ingest.reject('not_owner');
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
  removeCamera(agentId: string, cameraId: string, at?: number): void {
    const c = this.cameras.get(cameraId);
    if (!c || c.agentId !== agentId) return;
    // a removal replayed late does not undo a status the camera sent after coming back
    const checked = c.status.checkedAt === null ? null : Date.parse(c.status.checkedAt);
    if (at !== undefined && checked !== null && checked > at) return;
    this.unplace(c);
    const when = at ?? this.deps.now();
    this.removedAt.set(cameraId, when);
    this.deps.changes.record({ kind: 'cameraRemoved', cameraId, at: when });
    this.counters.set(cameraId, undefined);
  }

  /** An agent's report of events it had to drop. */
  recordLoss(loss: LossRecord): void {
    this.losses.push(loss);
    if (this.losses.length > MAX_LOSSES) this.losses.splice(0, this.losses.length - MAX_LOSSES);
    this.deps.changes.record({ kind: 'loss', loss });
  }

  /**
   * Completes an agent's pending proof once its events through `upToSeq` have
   * all arrived: unknown marks in the span take the state before them.
   * Replayed events in the span have placed their own marks already.
   */
  tryProof(a: AgentRecord): void {
    const p = a.pendingProof;
    if (!p || a.session !== p.session) return;
    if (!this.tracker(a.agentId, p.session).completeThrough(p.upToSeq)) return;
    for (const c of this.camerasOf(a.agentId)) {
      let before: CameraState | undefined;
      for (const m of c.marks) {
        if (m.at >= p.from && m.at <= p.to && m.state === 'unknown' && before !== undefined && before !== 'unknown') this.proveMark(c, m, before);
        if (m.at > p.to) break;
        before = m.state;
      }
    }
    this.deps.log.info({ agent: a.agentId, session: p.session, from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString() }, 'agent proved the span it was cut off: its cameras kept their states');
    this.saveAgent({ ...a, pendingProof: undefined });
  }

  /** Seq ranges never received, per agent session. */
  gaps(): SeqGap[] {
    return this.sessions.gaps();
  }
}

export const emptyAgent = (agentId: string): AgentRecord => ({ agentId, online: false, session: null, startedAt: null, since: 0, site: null, region: null, agentVersion: null });
