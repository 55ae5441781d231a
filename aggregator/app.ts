import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { topics } from '../protocols/index.js';
import type { AggregatorConfig } from '../config/aggregator.js';
import { MqttConnection, type IncomingMessage } from '../platform/mqtt-client.js';
import { MqttPump, pumpAvailable } from '../platform/mqtt-pump.js';
import { createStore } from './adapters/open-store.js';
import type { AggregatorStore, InboxRow } from './store/port.js';
import { HttpApi, type StartingUp } from './features/http-api.js';
import { RestoredRates } from './features/restored-rates.js';
import { eachInSlices, pacer } from './features/slices.js';
import { GroupCommit } from './features/group-commit.js';
import { createDecodedApply, createPipeline, INGEST_DECODE, INGEST_FILTERS } from './ingest/pipeline.js';
import { parsePlanSliced } from './features/plan.js';
import { RatesPublisher } from './features/rates-publisher.js';
import { seedStoredWalk } from './features/rates-walk.js';
import { AggregatorState, type IngestStats } from './features/state.js';
import { buildReport, periodBasis, type ReportPeriod } from './features/report.js';
import { LiveFeed } from './features/live-feed.js';
import { ReportPublisher } from './features/report-publisher.js';
import { AlertEngine } from './features/alerts.js';
import { alertPublisher, alertRetainer } from './features/alert-publisher.js';
import { DailyTrend } from './features/daily-trend.js';
import { loopDelay } from '../platform/loop-delay.js';
import type { ChangeSink } from './store/changes.js';
import { every, startAll, stopAll, type Feature } from './features/feature.js';
import { WebhookSender } from './adapters/webhook.js';
import { CascadePublisher } from './features/cascade-publisher.js';
import { Replica } from './features/replica.js';
import { Gb28181Service } from './gb28181/service.js';
import { AuditTrail } from './audit/trail.js';
import { AccountStore } from './auth/accounts.js';
import { AccountAdmin } from './auth/admin.js';
import { AuthService } from './auth/service.js';
import { LdapDirectory } from './adapters/ldap-directory.js';
import { PendingAuditDrain } from './audit/pending.js';
import { AccountApi } from './features/account-api.js';
import { readBody } from './features/http-api.js';
import { VERSION } from '../platform/version.js';

const DAY = 86_400_000;

/**
 * The aggregator, wired: store → fleet model → MQTT ingest pipeline →
 * publishers and the HTTP API. It decides nothing itself: the ingest
 * handlers decide, the features publish; start() in order, stop() in reverse.
 */
export class AggregatorApp {
  readonly state: AggregatorState;
  private readonly store: AggregatorStore;
  /** the connection the centre publishes on */
  private readonly mqtt: MqttConnection;
  /** the connection it receives on: the same one, or (the one aggregator, built) a receiving thread */
  private readonly receiver: Pick<MqttConnection, 'onMessage' | 'subscribe' | 'start' | 'takeAcks'> & { stop(): Promise<void> };
  private readonly rates: RatesPublisher;
  private readonly http: HttpApi;
  private readonly alerts: AlertEngine;
  private readonly batch: GroupCommit;
  /** what the one aggregator, or the leader of the replicas, starts once the state is loaded */
  private readonly leading: Feature[];
  private started: Feature[] = [];
  apiUrl = '';

  /** the centre's clock; while the leader of replicas applies an inbox row, the time that row was received */
  private readonly clock: { at: number | undefined; real: () => number };
  private readonly replica: Replica | undefined;
  /** the audit trail (安全审计): who changed or exported what */
  private readonly audit: AuditTrail;
  private readonly auth: AuthService;
  private readonly pendingAudit: PendingAuditDrain;
  /** the lower-platform side of GB/T 28181, when configured */
  readonly gb28181: Gb28181Service | undefined;
  /** while the store loads (at start, or when a replica takes the lead): what the API answers meanwhile */
  private loading: StartingUp | null = null;

  constructor(private readonly deps: { config: AggregatorConfig; log: Logger; now?: () => number; fatal?: (err: Error) => void }) {
    const { config, log } = deps;
    const clock = (this.clock = { at: undefined as number | undefined, real: deps.now ?? Date.now });
    const now = () => clock.at ?? clock.real();
    this.store = createStore(config.database, log.child({ module: 'store' }), { replicas: config.replicas !== undefined });
    // history written before today changes a closed day's totals (a replayed event, a proven span, a late removal)
    let historyAt: (at: number) => void = () => undefined;
    const changes: ChangeSink = {
      record: (c) => {
        this.store.record(c);
        if (c.kind === 'mark' || c.kind === 'markProven' || c.kind === 'cameraRemoved') historyAt(c.at);
      },
    };
    this.state = new AggregatorState({ changes, log: log.child({ module: 'state' }), now, maintenanceExcluded: config.maintenance.excludeFromRates, flapping: { changes: config.flapping.changes, withinMs: config.flapping.withinMinutes * 60_000 }, staleAfterRounds: config.stale.afterRounds, registerFields: config.register.requiredFields });
    // a fixed client id and a persistent session: the broker queues QoS 1 traffic while we restart
    const ingestSettings = { ...config.mqtt, clientId: config.mqtt.clientId ?? 'xueliang-aggregator', clean: false, deferAcks: true };
    if (!config.replicas && pumpAvailable()) {
      // the one aggregator receives on a thread of its own (mqtt.js's parsing off the thread that decides), and
      // publishes on a second connection of this thread
      // it decodes there too (the contract's codec, as the pipeline would): the main thread takes typed messages
      this.receiver = new MqttPump({ settings: ingestSettings, log: log.child({ module: 'mqtt' }), decode: { root: config.mqtt.topicRoot, ...INGEST_DECODE, maxBytes: config.maxPayloadBytes } });
      this.mqtt = new MqttConnection({ settings: { ...config.mqtt, clientId: `${ingestSettings.clientId}-out`, clean: true }, log: log.child({ module: 'mqtt', connection: 'publish' }) });
    } else {
      this.mqtt = new MqttConnection({ settings: ingestSettings, log: log.child({ module: 'mqtt' }) });
      this.receiver = this.mqtt;
    }
    this.batch = new GroupCommit({
      flush: () => this.store.flush(),
      takeAcks: () => this.receiver.takeAcks(),
      maxDelayMs: 20,
      maxMessages: 1000,
      onError: (err) => log.error({ err: { message: (err as Error).message } }, 'commit failed: the batch stays unacknowledged and is written again'),
    });
    this.rates = new RatesPublisher({ mqtt: this.mqtt, state: this.state, topicRoot: config.mqtt.topicRoot, intervalMs: config.ratesIntervalMs, now, log: log.child({ module: 'rates' }), timeZone: config.timeZone });
    const reportDeps = () => ({ store: this.store, agentRegion: (id: string) => this.state.agents.get(id)?.region ?? null, timeZone: config.timeZone, now: now(), maintenance: config.maintenance.excludeFromRates ? this.state.maintenance : undefined, flapping: this.state.flappingRule, losses: () => this.state.losses, regionNames: this.state.regionNames, registerFields: this.state.registerFields, livePlan: () => ({ plan: this.state.plan(), pointOf: (k: string) => this.state.pointOf(k) }) });
    const report = (region: string, period: ReportPeriod) => buildReport(reportDeps(), region, period);
    const live = new LiveFeed();
    const trend = new DailyTrend({ store: this.store, state: this.state, report: reportDeps, now, timeZone: config.timeZone, log: log.child({ module: 'daily' }) });
    historyAt = (at) => trend.historyAt(at);
    // GB/T 28181 upward: the upper platforms hear of what changed at the centre
    const gb = config.gb28181 ? new Gb28181Service({ settings: config.gb28181, state: this.state, log: log.child({ module: 'gb28181' }), now, timeZone: config.timeZone, version: VERSION }) : undefined;
    this.gb28181 = gb;
    this.state.counters.onChange = (id, st) => {
      // the load itself changes every camera: the browsers hear of it as one reload, when it ends
      if (this.loading === null) live.changed(id, st);
      gb?.changed(id);
    };
    if (gb) this.state.events.on('cameraSaved', (id) => gb.changed(id));
    const inbox = this.store.inbox;
    if (config.replicas && !inbox) throw new Error('replicas need database: postgres://…');
    this.replica =
      config.replicas && inbox
        ? new Replica({
            store: this.store,
            inbox,
            topicRoot: config.mqtt.topicRoot,
            takeAcks: () => this.receiver.takeAcks(),
            advertise: () => config.replicas?.advertise ?? this.apiUrl,
            now,
            log: log.child({ module: 'replica' }),
            fatal: (err) => (deps.fatal ?? ((e: Error) => log.fatal({ err: { message: e.message } }, 'replica must stop')))(err),
          })
        : undefined;
    const audit = (this.audit = new AuditTrail({ changes: this.store, now }));
    // accounts and sessions live in the database: a user added on the server with `xueliang user add` can log in at once
    const accounts = new AccountStore(this.store.sql);
    const auth = (this.auth = new AuthService({ accounts, settings: config.auth, now, publicReads: config.http.publicReads, legacyToken: config.http.token, audit: (who, action, target, detail) => audit.record(who, action, target, detail), directory: config.auth.ldap ? new LdapDirectory(config.auth.ldap) : undefined }));
    const admin = new AccountAdmin({ accounts, policy: config.auth.password, now, audit: (who, action, target, detail) => void audit.record(who, action, target, detail) });
    this.pendingAudit = new PendingAuditDrain({ accounts, trail: audit, stored: () => this.store.flush() });
    this.http = new HttpApi({
      state: this.state,
      log: log.child({ module: 'http' }),
      now,
      host: config.http.host,
      port: config.http.port,
      auth,
      accounts: new AccountApi({ auth, admin, accounts, now, secureCookie: config.http.tls !== undefined, readBody }),
      tls: config.http.tls,
      timeZone: config.timeZone,
      onPlanChanged: () => this.rates.markDirty(),
      stored: () => this.store.flush(),
      notYetStored: () => this.ingestStatus().notYetStored,
      report,
      alerts: () => this.alerts.list(),
      acknowledge: (id, by, note) => this.alerts.acknowledge(id, by, note),
      daily: (region, days, category) => trend.series(region, days, category),
      live,
      gb28181: () => this.gb28181?.status(),
      audit,
      auditRead: (from, limit, filter) => this.store.auditRecords(from, limit, filter),
      frames: (cameraId) => this.store.framesOf(cameraId),
      // a follower replica passes the API to the leader: every replica answers the same
      leader: () => (this.replica && !this.replica.isLeader ? (this.replica.leaderApi ?? null) : undefined),
      starting: () => this.loading,
    });
    const reports = new ReportPublisher({ mqtt: this.mqtt, topicRoot: config.mqtt.topicRoot, timeZone: config.timeZone, intervalMs: config.ratesIntervalMs, now, regions: () => this.state.counters.counts().keys(), read: (period) => periodBasis(reportDeps(), period, true), report: (region, period, read) => buildReport(reportDeps(), region, period, read), stored: () => this.store.flush(), log: log.child({ module: 'reports' }) });
    this.mqtt.onConnect(() => reports.tick());
    this.state.events.on('eventStored', (ts) => reports.noteEvent(ts));
    this.state.events.on('cameraBound', () => reports.noteBindingChanged());
    // a gateway that reports by exception sends its statuses again on request (docs/mqtt-api.md)
    this.state.events.on('statusesWanted', (agentId) => {
      this.mqtt.publish(topics(config.mqtt.topicRoot).request(agentId, 'status'), JSON.stringify({ transaction: `centre-${now()}` }), { qos: 1 }).catch((err: Error) => log.warn({ err: { message: err.message }, agent: agentId }, 'could not ask a gateway for its statuses'));
    });
    const hook = config.alerts.webhook;
    const webhook = hook ? new WebhookSender({ store: this.store, settings: hook, log: log.child({ module: 'webhook' }) }) : undefined;
    this.alerts = new AlertEngine({
      state: this.state,
      changes: this.store,
      afterMs: config.alerts.afterSeconds * 1000,
      now,
      log: log.child({ module: 'alerts' }),
      deliver: alertPublisher({ mqtt: this.mqtt, topicRoot: config.mqtt.topicRoot, webhook, log: log.child({ module: 'alerts' }) }),
      updated: alertRetainer({ mqtt: this.mqtt, topicRoot: config.mqtt.topicRoot, log: log.child({ module: 'alerts' }) }),
    });
    const up = config.cascade;
    let cascade: CascadePublisher | undefined;
    if (up) {
      const ut = topics(up.upstream.topicRoot);
      const upstream = new MqttConnection({
        settings: { ...up.upstream, clientId: up.upstream.clientId ?? `xueliang-tier-${up.tier}` },
        will: { topic: ut.cascadeState(up.tier), payload: JSON.stringify({ state: 'offline', tier: up.tier }), retain: true, qos: 1 },
        birth: () => ({ topic: ut.cascadeState(up.tier), payload: JSON.stringify({ state: 'online', tier: up.tier, ts: new Date(now()).toISOString() }) }),
        log: log.child({ module: 'cascade' }),
      });
      cascade = new CascadePublisher({ upstream, state: this.state, tier: up.tier, topicRoot: up.upstream.topicRoot, intervalMs: up.intervalMs, timeZone: config.timeZone, now, log: log.child({ module: 'cascade' }) });
    }
    this.leading = [
      every('prune', 6 * 3600_000, () => this.prune(), log),
      // what `xueliang user …` and `token …` did on the server joins the audit chain
      every('audit of the command line', 2000, () => this.pendingAudit.drain(), log),
      every('ended sessions', 600_000, () => auth.prune(), log),
      // the day that closed gets its totals; days late history changed get them again; at start, the trend's days without
      every('daily totals', 60_000, () => trend.close(), log),
      { name: 'daily totals at start', start: () => void trend.close().catch((err: Error) => log.warn({ err: { message: err.message } }, 'totals of closed days not worked out yet: trying again at the next turn')), stop: () => undefined },
      // windows begin and end by themselves
      every('maintenance', 1000, () => this.state.tickMaintenance(), log),
      // cameras whose live gateway stopped confirming them (report by exception) count unknown, and back when confirmed
      every('stale statuses', 1000, () => this.state.sweepStale(), log),
      { name: 'rates', start: () => this.rates.start(), stop: () => this.rates.stop() },
      { name: 'reports', start: () => reports.start(), stop: () => reports.stop() },
      ...(webhook ? [{ name: 'webhook', start: () => webhook.start(), stop: () => webhook.stop() }] : []),
      ...(cascade ? [{ name: 'cascade', start: () => cascade.start(), stop: () => cascade.stop() }] : []),
      // registers upward once the state is loaded: the first catalog says the fleet as it is
      ...(gb ? [gb] : []),
      every('alerts', config.alerts.checkMs, () => {
        return this.alerts.evaluateSliced();
      }, log),
    ];
  }

  /** What ingest has accepted and refused, and how many applied messages are not yet stored (as /api/ingest answers). */
  ingestStatus(): IngestStats & { notYetStored: number } {
    return { ...this.state.stats, notYetStored: this.batch.waiting + (this.replica?.waiting ?? 0) };
  }

  /** Loads the plan file, if any: invalid rows are logged with their line and skipped. */
  private async loadPlanFile(file: string): Promise<void> {
    const bytes = await readFile(file);
    // the file the stored plan was read from, unchanged: nothing to parse, bind or store again (a province's
    // million points took half a minute of every start); hashed a MiB at a time, in slices (60 MB: a third of a second)
    const hash = createHash('sha256');
    const MIB = 1 << 20;
    await eachInSlices(Array.from({ length: Math.ceil(bytes.length / MIB) }, (_, i) => i * MIB), (at) => hash.update(bytes.subarray(at, at + MIB)), { every: 1 });
    const source = `file:${hash.digest('hex')}`;
    if (source === this.state.planSource) {
      this.deps.log.info({ file, points: this.state.plan().length }, 'point plan file unchanged since it was loaded: the stored plan stands');
      return;
    }
    const load = await parsePlanSliced(bytes.toString('utf8'), file.toLowerCase().endsWith('.csv') ? 'csv' : 'json');
    for (const e of load.errors) this.deps.log.warn({ file, line: e.line, reason: e.reason }, 'plan row rejected');
    await this.state.setPlan(load.points, source);
    this.deps.log.info({ file, points: load.points.length, rejected: load.errors.length }, 'point plan loaded');
  }

  private readonly connectingListeners: Array<() => void> = [];
  /** Called once the state is loaded, right before the broker connection opens (the benchmark times the drain from there). */
  onConnecting(listener: () => void): void {
    this.connectingListeners.push(listener);
  }

  async start(): Promise<void> {
    loopDelay(); // /metrics reports how late the event loop runs: measured from the start
    const { config, log } = this.deps;
    await this.store.open();
    const t = topics(config.mqtt.topicRoot);
    const pipelineDeps = {
      fleet: this.state,
      log: log.child({ module: 'ingest' }),
      rates: this.rates,
      // our own rollup, where both tiers share a broker and root, is not a tier below us
      ownTier: config.cascade && config.cascade.upstream.topicRoot === config.mqtt.topicRoot ? config.cascade.tier : undefined,
    };
    const ingest = createPipeline({ ...pipelineDeps, topicRoot: config.mqtt.topicRoot, maxPayloadBytes: config.maxPayloadBytes });
    // the rates topics too: what is retained there that we did not write is repaired; admins declare maintenance windows
    const filters = INGEST_FILTERS(t);
    if (this.replica) {
      const replica = this.replica;
      // each replica takes its share of the traffic into the inbox; the leader applies the inbox in order
      this.mqtt.onMessage((m) => replica.receive(m));
      for (const f of filters) this.mqtt.subscribe(`$share/${config.replicas!.group}/${f}`);
      this.mqtt.start();
      this.apiUrl = await this.http.start();
      replica.start(async () => {
        await this.lead(await this.beginLoading());
        this.loading = null;
        return (row: InboxRow) => {
          // the centre's time of a message is when a replica received it, whichever replica applies it and when
          this.clock.at = row.at;
          try {
            ingest({ topic: row.topic, payload: row.payload, responseTopic: undefined, correlationData: undefined });
          } finally {
            this.clock.at = undefined;
          }
        };
      });
      log.info({ api: this.apiUrl, database: this.store.engine, group: config.replicas!.group }, 'aggregator replica started');
      return;
    }
    // the API answers from the start: that the centre is starting, how far the load has come, and the 24 h rates
    // it kept before the restart; logins work (the audit trail goes on from its last record)
    const loading = await this.beginLoading();
    this.apiUrl = await this.http.start();
    log.info({ api: this.apiUrl, cameras: loading.of, restored: loading.rates ? new Date(loading.rates.at).toISOString() : null }, 'loading the store: the API answers that the centre is starting');
    await this.lead(loading);
    if (this.receiver instanceof MqttPump) {
      const apply = createDecodedApply(pipelineDeps);
      this.receiver.onDecoded((topic, bytes, r) => this.batch.add(() => apply(topic, bytes, r)));
    } else this.receiver.onMessage((m: IncomingMessage) => this.batch.add(() => ingest(m)));
    // every camera's retained status comes with a new subscription; a persistent session that reconnects has
    // what changed meanwhile queued, and a million retained statuses again would only delay it (MQTT 5)
    for (const f of filters) this.receiver.subscribe(f, f === t.all.cameraStatuses ? { retained: 'when-new' } : {});
    for (const l of this.connectingListeners) l();
    this.receiver.start();
    if (this.receiver instanceof MqttPump) {
      this.mqtt.start();
      // as on one connection: what is published once the API answers reaches us (the receiving thread takes a moment
      // to start); a broker that is away does not hold the API back for more than this
      await this.receiver.whenConnected(5000);
    }
    this.loading = null;
    log.info({ api: this.apiUrl, database: this.store.engine, cameras: this.state.cameras.size, agents: this.state.agents.size, points: this.state.plan().length }, 'aggregator started');
  }

  /**
   * What a load needs first (small reads): the audit trail's last record, so that what the API audits meanwhile
   * (logins) chains on, and the rates kept for a restart. The API answers that the centre is starting from here on.
   */
  private async beginLoading(): Promise<StartingUp> {
    const first = await this.store.readStart();
    this.audit.restore(first.auditHead);
    return (this.loading = { phase: 'reading', loaded: 0, of: first.cameras, rates: RestoredRates.parse(first.restore, this.clock.real()) });
  }

  /** Loads the state from the store and starts what publishes and decides: the one aggregator, or the leader of the replicas. */
  private async lead(loading: StartingUp): Promise<void> {
    const { config } = this.deps;
    // the reads and the model give the event loop back every few milliseconds: the API answers meanwhile
    const began = Date.now();
    const snapshot = await this.store.load({ pace: pacer() });
    Object.assign(loading, { phase: 'placing', of: snapshot.cameras.length });
    await this.state.load(snapshot, (n) => (loading.loaded = n));
    loading.phase = 'starting';
    this.deps.log.info({ cameras: snapshot.cameras.length, ms: Date.now() - began }, 'store loaded');
    const seeded = (snapshot.keptWalks ?? []).filter((text) => seedStoredWalk(this.state, text)).length;
    if (seeded > 0) this.deps.log.info({ walks: seeded }, 'the online time walked before the restart answers until the first walks of this start end');
    await this.pendingAudit.drain();
    await this.warnOfDoors();
    if (config.planFile) await this.loadPlanFile(config.planFile);
    await this.prune();
    this.alerts.load(snapshot);
    this.started = this.leading;
    await startAll(this.leading, this.deps.log);
  }

  /** What an admin must know of the API's doors at start: an open API, the deprecated token, no account yet. */
  private async warnOfDoors(): Promise<void> {
    const { config, log } = this.deps;
    if (config.http.publicReads) log.warn('http.publicReads is true: anyone who reaches the port reads every camera, rate and report without logging in (a lab setting, never a police network)');
    if (config.http.token) log.warn('http.token is deprecated and acts as an admin of every region: make API tokens instead (xueliang token create --name NAME --role admin --region all); it will be removed in a later release');
    if (!config.http.publicReads && (await this.auth.userCount()) === 0) log.warn('no user account yet: nobody can log in to the console; on this server run: xueliang user add NAME --role admin --region all --config FILE');
  }

  private async prune(): Promise<void> {
    const before = this.clock.real() - this.deps.config.retentionDays * DAY;
    try {
      const r = await this.store.prune(before);
      this.state.pruned(before);
      if (r.events + r.marks > 0) this.deps.log.info({ ...r, before: new Date(before).toISOString() }, 'history past retention pruned');
    } catch (err) {
      this.deps.log.error({ err: { message: (err as Error).message } }, 'history not pruned: trying again at the next round');
    }
  }

  async stop(): Promise<void> {
    const { log } = this.deps;
    // what decides and publishes stops first, then the replica's ingest, the API, the broker connection and the store
    await stopAll(this.started, log);
    await this.replica?.stop();
    await this.http.stop();
    await this.batch.stop();
    if (this.receiver instanceof MqttPump) await this.receiver.stop();
    await this.mqtt.stop();
    await this.store.close();
    log.info('aggregator stopped');
  }
}
