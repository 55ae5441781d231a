import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { topics } from '../protocols/index.js';
import type { AggregatorConfig } from '../config/aggregator.js';
import { MqttConnection, type IncomingMessage } from '../platform/mqtt-client.js';
import { createStore } from './store/open.js';
import type { AggregatorStore } from './store/port.js';
import { HttpApi } from './features/http-api.js';
import { GroupCommit } from './features/group-commit.js';
import { createIngest } from './features/ingest.js';
import { parsePlan } from './features/plan.js';
import { RatesPublisher } from './features/rates-publisher.js';
import { AggregatorState, type IngestStats } from './features/state.js';
import { buildReport, dailySeries, type DailyPoint, type ReportPeriod } from './features/report.js';
import { LiveFeed } from './features/live-feed.js';
import { ReportPublisher } from './features/report-publisher.js';
import { createMaintenanceIngest } from './features/maintenance-ingest.js';
import { AlertEngine } from './features/alerts.js';
import { WebhookSender } from './adapters/webhook.js';
import { CascadePublisher } from './features/cascade-publisher.js';
import { Replica } from './features/replica.js';
import { PostgresStore } from './adapters/postgres-store.js';

const DAY = 86_400_000;

/** how long a daily series (the console's trend) is served again before it is computed anew */
const DAILY_CACHE_MS = 60_000;

/** The aggregator, composed: store → state → MQTT ingest → rates publisher → HTTP API. stop() in reverse. */

export class AggregatorApp {
  readonly state: AggregatorState;
  private readonly store: AggregatorStore;
  private readonly mqtt: MqttConnection;
  private readonly rates: RatesPublisher;
  private readonly http: HttpApi;
  private readonly reports: ReportPublisher;
  private readonly alerts: AlertEngine;
  private readonly webhook: WebhookSender | undefined;
  private readonly cascade: CascadePublisher | undefined;
  private alertTimer: NodeJS.Timeout | undefined;
  private readonly batch: GroupCommit;
  private pruneTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  apiUrl = '';

  /** the centre's clock; while the leader of replicas applies an inbox row, the time that row was received */
  private readonly clock: { at: number | undefined; real: () => number };
  private readonly replica: Replica | undefined;

  constructor(private readonly deps: { config: AggregatorConfig; log: Logger; now?: () => number; fatal?: (err: Error) => void }) {
    const { config, log } = deps;
    const clock = (this.clock = { at: undefined as number | undefined, real: deps.now ?? Date.now });
    const now = () => clock.at ?? clock.real();
    this.store = createStore(config.database, log.child({ module: 'store' }));
    this.state = new AggregatorState({ store: this.store, log: log.child({ module: 'state' }), now, maintenanceExcluded: config.maintenance.excludeFromRates, flapping: { changes: config.flapping.changes, withinMs: config.flapping.withinMinutes * 60_000 } });
    this.mqtt = new MqttConnection({
      // a fixed client id and a persistent session: the broker queues QoS 1 traffic while we restart
      settings: { ...config.mqtt, clientId: config.mqtt.clientId ?? 'xueliang-aggregator', clean: false, deferAcks: true },
      log: log.child({ module: 'mqtt' }),
    });
    this.batch = new GroupCommit({
      flush: () => this.store.flush(),
      takeAcks: () => this.mqtt.takeAcks(),
      maxDelayMs: 20,
      maxMessages: 1000,
      onError: (err) => log.error({ err: { message: (err as Error).message } }, 'commit failed: the batch stays unacknowledged and is written again'),
    });
    this.rates = new RatesPublisher({ mqtt: this.mqtt, state: this.state, topicRoot: config.mqtt.topicRoot, intervalMs: config.ratesIntervalMs, now, log: log.child({ module: 'rates' }) });
    const reportDeps = () => ({ store: this.store, agentRegion: (id: string) => this.state.agents.get(id)?.region ?? null, timeZone: config.timeZone, now: now(), maintenance: config.maintenance.excludeFromRates ? this.state.maintenance : undefined, flapping: this.state.flappingRule });
    const report = (region: string, period: ReportPeriod) => buildReport(reportDeps(), region, period);
    const live = new LiveFeed();
    const dailyCache = new Map<string, { at: number; days: Promise<DailyPoint[]> }>();
    this.state.counters.onChange = (id, st) => live.changed(id, st);
    this.http = new HttpApi({
      state: this.state,
      log: log.child({ module: 'http' }),
      now,
      host: config.http.host,
      port: config.http.port,
      token: config.http.token,
      timeZone: config.timeZone,
      onPlanChanged: () => this.rates.markDirty(),
      stored: () => this.store.flush(),
      notYetStored: () => this.ingestStatus().notYetStored,
      report,
      alerts: () => this.alerts.list(),
      daily: (region, days, category) => {
        // a trend is read by every console that opens the overview: computed at most once a minute per region, and
        // consoles asking while it is computed share that computation
        const key = `${region}|${days}|${category}`;
        const t = now();
        const hit = dailyCache.get(key);
        if (hit && t - hit.at < DAILY_CACHE_MS) return hit.days;
        const series = dailySeries(reportDeps(), region, days, category);
        if (dailyCache.size >= 64) dailyCache.delete(dailyCache.keys().next().value!);
        dailyCache.set(key, { at: t, days: series });
        series.catch(() => dailyCache.delete(key));
        return series;
      },
      live,
      // a follower replica passes the API to the leader: every replica answers the same
      leader: () => (this.replica && !this.replica.isLeader ? (this.replica.leaderApi ?? null) : undefined),
    });
    this.reports = new ReportPublisher({ mqtt: this.mqtt, topicRoot: config.mqtt.topicRoot, timeZone: config.timeZone, intervalMs: config.ratesIntervalMs, now, regions: () => this.state.counters.counts().keys(), report, stored: () => this.store.flush(), log: log.child({ module: 'reports' }) });
    this.mqtt.onConnect(() => this.reports.tick());
    const hook = config.alerts.webhook;
    this.webhook = hook ? new WebhookSender({ store: this.store, settings: hook, log: log.child({ module: 'webhook' }) }) : undefined;
    const t = topics(config.mqtt.topicRoot);
    this.alerts = new AlertEngine({
      state: this.state,
      store: this.store,
      afterMs: config.alerts.afterSeconds * 1000,
      now,
      log: log.child({ module: 'alerts' }),
      deliver: (n) => {
        const body = JSON.stringify(n);
        this.webhook?.enqueue(n.seq, body);
        const warn = (err: Error) => log.warn({ err: { message: err.message }, alert: n.alert.id }, 'alert not published');
        this.mqtt.publish(`${t.root}/alerts/events`, body, { qos: 1 }).catch(warn);
        this.mqtt.publish(`${t.root}/alerts/active/${n.alert.id}`, n.type === 'raised' ? JSON.stringify(n.alert) : '', { qos: 1, retain: true }).catch(warn);
      },
    });
    this.state.onEventStored = (ts) => this.reports.noteEvent(ts);
    this.state.onCameraBound = () => this.reports.noteBindingChanged();
    if (config.replicas) {
      const store = this.store;
      if (!(store instanceof PostgresStore)) throw new Error('replicas need database: postgres://…');
      this.replica = new Replica({
        store,
        topicRoot: config.mqtt.topicRoot,
        takeAcks: () => this.mqtt.takeAcks(),
        advertise: () => config.replicas?.advertise ?? this.apiUrl,
        now,
        log: log.child({ module: 'replica' }),
        fatal: (err) => (deps.fatal ?? ((e: Error) => log.fatal({ err: { message: e.message } }, 'replica must stop')))(err),
      });
    }
    const up = config.cascade;
    if (up) {
      const ut = topics(up.upstream.topicRoot);
      const upstream = new MqttConnection({
        settings: { ...up.upstream, clientId: up.upstream.clientId ?? `xueliang-tier-${up.tier}` },
        will: { topic: ut.cascadeState(up.tier), payload: JSON.stringify({ state: 'offline', tier: up.tier }), retain: true, qos: 1 },
        birth: () => ({ topic: ut.cascadeState(up.tier), payload: JSON.stringify({ state: 'online', tier: up.tier, ts: new Date(now()).toISOString() }) }),
        log: log.child({ module: 'cascade' }),
      });
      this.cascade = new CascadePublisher({ upstream, state: this.state, tier: up.tier, topicRoot: up.upstream.topicRoot, intervalMs: up.intervalMs, timeZone: config.timeZone, now, log: log.child({ module: 'cascade' }) });
    }
  }

  /** Loads the plan file, if any: invalid rows are logged with their line and skipped. */
  private async loadPlanFile(file: string): Promise<void> {
    const text = await readFile(file, 'utf8');
    const load = parsePlan(text, file.toLowerCase().endsWith('.csv') ? 'csv' : 'json');
    for (const e of load.errors) this.deps.log.warn({ file, line: e.line, reason: e.reason }, 'plan row rejected');
    this.state.setPlan(load.points);
    this.deps.log.info({ file, points: load.points.length, rejected: load.errors.length }, 'point plan loaded');
  }

  /** What ingest has accepted and refused, and how many applied messages are not yet stored (as /api/ingest answers). */
  ingestStatus(): IngestStats & { notYetStored: number } {
    return { ...this.state.stats, notYetStored: this.batch.waiting + (this.replica?.waiting ?? 0) };
  }

  private readonly connectingListeners: Array<() => void> = [];
  /** Called once the state is loaded, right before the broker connection opens (the benchmark times the drain from there). */
  onConnecting(listener: () => void): void {
    this.connectingListeners.push(listener);
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    await this.store.open();
    const route = this.router();
    const t = topics(config.mqtt.topicRoot);
    // the rates topics too: what is retained there that we did not write is repaired; admins declare maintenance windows
    const filters = [t.all.agentStates, t.all.cameraStatuses, t.all.events, t.all.summaries, `${t.root}/agents/+/config/reported`, `${t.root}/rates/#`, `${t.root}/maintenance/+`, `${t.root}/cascade/+/+`];
    if (this.replica) {
      const replica = this.replica;
      // each replica takes its share of the traffic into the inbox; the leader applies the inbox in order
      this.mqtt.onMessage((m) => replica.receive(m));
      for (const f of filters) this.mqtt.subscribe(`$share/${config.replicas!.group}/${f}`);
      this.mqtt.start();
      this.apiUrl = await this.http.start();
      replica.start(async () => {
        await this.lead();
        return (row) => {
          // the centre's time of a message is when a replica received it, whichever replica applies it and when
          this.clock.at = row.at;
          try {
            route({ topic: row.topic, payload: row.payload, responseTopic: undefined, correlationData: undefined });
          } finally {
            this.clock.at = undefined;
          }
        };
      });
      log.info({ api: this.apiUrl, database: this.store.engine, group: config.replicas!.group }, 'aggregator replica started');
      return;
    }
    await this.lead();
    this.mqtt.onMessage((m) => this.batch.add(() => route(m)));
    for (const f of filters) this.mqtt.subscribe(f);
    for (const l of this.connectingListeners) l();
    this.mqtt.start();
    this.apiUrl = await this.http.start();
    log.info({ api: this.apiUrl, database: this.store.engine, cameras: this.state.cameras.size, agents: this.state.agents.size, points: this.state.plan().length }, 'aggregator started');
  }

  /** Where each message goes: the rates we publish, maintenance windows, the tiers below, and the agents' topics. */
  private router(): (m: IncomingMessage) => void {
    const { config, log } = this.deps;
    const t = topics(config.mqtt.topicRoot);
    const ingest = createIngest({ state: this.state, topicRoot: config.mqtt.topicRoot, maxPayloadBytes: config.maxPayloadBytes, log: log.child({ module: 'ingest' }) });
    const ratesPrefix = `${t.root}/rates/`;
    const maintenancePrefix = `${t.root}/maintenance/`;
    const cascadePrefix = `${t.root}/cascade/`;
    const windows = createMaintenanceIngest({ state: this.state, log: log.child({ module: 'maintenance' }) });
    const tier = (m: { topic: string; payload: Buffer }) => {
      // a lower aggregator's rollup or state: our numbers change with it (our own, where both tiers share a broker and root, is not one)
      if (config.cascade && m.topic.slice(cascadePrefix.length).split('/')[0] === config.cascade.tier && config.cascade.upstream.topicRoot === config.mqtt.topicRoot) return;
      if (this.state.tiers.observe(m.topic.slice(cascadePrefix.length), m.payload) === 'applied') this.rates.markDirty();
    };
    return (m) => (m.topic.startsWith(ratesPrefix) ? this.rates.observe(m.topic, m.payload) : m.topic.startsWith(maintenancePrefix) ? windows(m.topic.slice(maintenancePrefix.length), m.payload) : m.topic.startsWith(cascadePrefix) ? tier(m) : ingest(m));
  }

  /** Loads the state from the store and starts what publishes and decides: the one aggregator, or the leader of the replicas. */
  private async lead(): Promise<void> {
    const { config } = this.deps;
    const snapshot = await this.store.load();
    this.state.load(snapshot);
    if (config.planFile) await this.loadPlanFile(config.planFile);
    await this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), 6 * 3600_000);
    // windows begin and end by themselves
    this.maintenanceTimer = setInterval(() => this.state.tickMaintenance(), 1000);
    this.rates.start();
    this.reports.start();
    this.alerts.load(snapshot);
    this.webhook?.start();
    this.cascade?.start();
    this.alertTimer = setInterval(() => {
      try {
        this.alerts.evaluate();
      } catch (err) {
        this.deps.log.error({ err }, 'alert evaluation failed');
      }
    }, this.deps.config.alerts.checkMs);
  }

  private async prune(): Promise<void> {
    const before = this.clock.real() - this.deps.config.retentionDays * DAY;
    try {
      const r = await this.store.prune(before);
      if (r.events + r.marks > 0) this.deps.log.info({ ...r, before: new Date(before).toISOString() }, 'history past retention pruned');
    } catch (err) {
      this.deps.log.error({ err: { message: (err as Error).message } }, 'history not pruned: trying again at the next round');
    }
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    this.rates.stop();
    this.reports.stop();
    if (this.alertTimer) clearInterval(this.alertTimer);
    await this.replica?.stop();
    await this.cascade?.stop();
    await this.webhook?.stop();
    await this.http.stop();
    await this.batch.stop();
    await this.mqtt.stop();
    await this.store.close();
    this.deps.log.info('aggregator stopped');
  }
}
