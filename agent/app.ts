import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { topics as topicsOf, type AgentStateMessage } from '../protocols/index.js';
import type { AgentConfig } from '../config/agent.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Journal } from './adapters/journal.js';
import { MqttConnection } from './adapters/mqtt-client.js';
import { Outbox, type OutboxRecord } from './features/outbox.js';
import { PictureWatch } from './features/picture-watch.js';
import { pictureUrlOf } from './features/ladder.js';
import { targetsFromConfig, type CameraTarget } from './features/camera-target.js';
import { discoverDevices, logDiscovery, mergeDiscovered, type DiscoveryOutcome } from './features/discovery.js';
import { CameraMonitor } from './features/monitor.js';
import { Publisher } from './features/publisher.js';
import { RequestHandler } from './features/requests.js';
import { statusMessage } from './features/status-message.js';
import { AGENT_VERSION } from './version.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The agent, composed: MQTT connection, camera monitor, publisher, request
 * handler, schedules. start() in that order; stop() in reverse.
 */
export class AgentApp {
  readonly session = randomUUID();
  readonly startedAt: number;
  readonly mqtt: MqttConnection;
  readonly monitor: CameraMonitor;
  private readonly publisher: Publisher;
  readonly outbox: Outbox;
  private readonly requests: RequestHandler;
  private readonly sockets: PQueue;
  private readonly ffmpeg: PQueue;
  private readonly pictureQueue: PQueue;
  readonly pictures: PictureWatch;
  private readonly tasks: ScheduledTask[] = [];
  private summaryTimer: NodeJS.Timeout | undefined;
  private discovering: Promise<DiscoveryOutcome> | undefined;
  private stopping = false;

  constructor(
    private readonly deps: { config: AgentConfig; log: Logger; now?: () => number },
  ) {
    const { config, log } = deps;
    const now = deps.now ?? Date.now;
    this.startedAt = now();
    const t = topicsOf(config.mqtt.topicRoot);
    const offline: AgentStateMessage = { state: 'offline', session: this.session };
    this.mqtt = new MqttConnection({
      settings: { ...config.mqtt, clientId: config.mqtt.clientId ?? `xueliang-agent-${config.agentId}` },
      will: { topic: t.agentState(config.agentId), payload: JSON.stringify(offline), retain: true, qos: 1 },
      birth: () => ({ topic: t.agentState(config.agentId), payload: JSON.stringify(this.birth()) }),
      log: log.child({ module: 'mqtt' }),
    });
    this.publisher = new Publisher({ mqtt: this.mqtt, outbox: () => this.outbox, agentId: config.agentId, topicRoot: config.mqtt.topicRoot, session: this.session, log: log.child({ module: 'publisher' }), now });
    const journal = new Journal<OutboxRecord>(path.join(config.stateDir, config.agentId, 'outbox.jsonl'), config.outbox.syncMs);
    if (journal.size > 0) log.info({ pending: journal.size }, 'outbox holds events from before the restart: they go out first, as historical');
    this.outbox = new Outbox({
      journal,
      mqtt: this.mqtt,
      log: log.child({ module: 'outbox' }),
      maxEvents: () => this.deps.config.outbox.maxEvents,
      droppedEvent: (count, first, last) => this.publisher.droppedEvent(count, first, last),
    });
    this.sockets = new PQueue({ concurrency: config.checks.maxSockets });
    this.ffmpeg = new PQueue({ concurrency: config.checks.maxFfmpeg });
    this.pictureQueue = new PQueue({ concurrency: Math.min(config.checks.picture.maxConcurrent, config.checks.maxFfmpeg) });
    this.pictures = new PictureWatch({
      dir: path.join(config.stateDir, config.agentId, 'pictures'),
      settings: () => this.deps.config.checks.picture,
      thresholdsOf: (id) => ({ ...this.deps.config.checks.picture.thresholds, ...this.deps.config.cameras.find((c) => (c.id ?? c.gbId) === id)?.picture }),
      log: log.child({ module: 'picture' }),
      now,
    });
    this.monitor = new CameraMonitor({
      log: log.child({ module: 'monitor' }),
      now,
      sockets: this.sockets,
      ffmpeg: this.ffmpeg,
      ladder: () => ({
        credentials: this.deps.config.credentials,
        livenessDeadlineMs: this.deps.config.checks.livenessDeadlineMs,
        decodeDeadlineMs: this.deps.config.checks.decodeDeadlineMs,
        decodeSeconds: this.deps.config.checks.decodeSeconds,
      }),
      offlineAfter: () => this.deps.config.checks.offlineAfter,
      clockDriftWarnMs: () => this.deps.config.checks.clockDriftWarnMs,
      decodeEnabled: () => this.deps.config.checks.decode,
      pictureQueue: this.pictureQueue,
      picture: async (probe) => {
        const ctx = { credentials: this.deps.config.credentials, livenessDeadlineMs: 0, decodeDeadlineMs: 0, decodeSeconds: 0 };
        const target = pictureUrlOf(probe, ctx);
        if (!target) return { rung: { rung: 'picture', ok: false, ms: 0, reason: 'no_video', detail: 'no stream URI known' }, faults: probe.faults, verdicts: [], metrics: null };
        // one ffmpeg like any other: it counts against checks.maxFfmpeg too
        return this.ffmpeg.add(() => this.pictures.check(probe.target.id, target.url, target.secrets));
      },
      sink: this.publisher,
    });
    this.requests = new RequestHandler({
      mqtt: this.mqtt,
      topicRoot: config.mqtt.topicRoot,
      agentId: config.agentId,
      log: log.child({ module: 'requests' }),
      responseTopic: (command) => t.response(config.agentId, command),
      handlers: {
        discover: async () => {
          const o = await this.discover();
          return { found: o.found, added: o.added, moved: o.moved, problems: o.problems };
        },
        check: async ({ cameraId }) => {
          if (cameraId !== undefined && !this.monitor.cameras.has(cameraId)) {
            throw Object.assign(new Error(`no camera "${cameraId}" on this agent`), { code: 'UNKNOWN_CAMERA' });
          }
          const ids = cameraId ? [cameraId] : undefined;
          await this.monitor.checkLiveness(ids);
          const recs = ids ? ids.map((id) => this.monitor.cameras.get(id)!) : [...this.monitor.cameras.values()];
          return recs.map((r) => {
            const s = statusMessage(r);
            return { cameraId: s.cameraId, state: s.state, rung: s.rung, reason: s.reason, detail: s.detail };
          });
        },
      },
    });
  }

  private birth(): AgentStateMessage {
    const c = this.deps.config;
    return { state: 'online', session: this.session, agentVersion: AGENT_VERSION, startedAt: new Date(this.startedAt).toISOString(), site: c.site ?? null, region: c.region ?? null };
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    if (config.credentials.length === 0) log.info('no credential sets configured: cameras are tried without credentials');
    this.mqtt.onMessage((m) => void this.requests.handle(m));
    this.mqtt.onConnect(() => {
      this.outbox.onConnect();
      this.publisher.flushStatuses((id) => this.monitor.cameras.has(id));
    });
    this.mqtt.subscribe(topicsOf(config.mqtt.topicRoot).all.requests(config.agentId));
    this.mqtt.start();
    for (const target of targetsFromConfig(config)) this.monitor.upsert(target);

    const schedule = (expr: string, name: string, fn: () => Promise<unknown>) => {
      const task = cron.schedule(
        expr,
        async () => {
          if (this.stopping) return;
          try {
            await fn();
          } catch (err) {
            log.error({ err, task: name }, 'scheduled task failed');
          }
        },
        { name, noOverlap: true },
      );
      this.tasks.push(task);
    };
    schedule(config.checks.livenessSchedule, 'liveness', () => this.monitor.checkLiveness());
    if (config.checks.decode) schedule(config.checks.decodeSchedule, 'decode', () => this.monitor.checkDecode());
    if (config.checks.picture.enabled) schedule(config.checks.picture.schedule, 'picture', () => this.monitor.checkPicture());
    if (config.discovery.enabled) schedule(config.discovery.schedule, 'discovery', () => this.discover());
    this.summaryTimer = setInterval(() => {
      this.publisher.summary(this.monitor.cameras.values(), DAY_MS);
      this.heartbeat();
    }, config.summaryIntervalSec * 1000);
    this.heartbeat();

    log.info({ agentId: config.agentId, session: this.session, cameras: this.monitor.cameras.size, version: AGENT_VERSION }, 'agent started');
    // first round at once rather than at the first tick
    void (async () => {
      if (config.discovery.enabled) await this.discover().catch((err: unknown) => log.error({ err }, 'discovery failed'));
      if (!this.stopping) await this.monitor.checkLiveness();
      if (!this.stopping && config.checks.picture.enabled) void this.monitor.checkPicture();
      if (!this.stopping) this.publisher.summary(this.monitor.cameras.values(), DAY_MS);
    })();
  }

  /**
   * A file whose age tells a container healthcheck or a watchdog script that
   * the agent's loop is alive, and whether it reaches the broker.
   */
  private heartbeat(): void {
    const file = path.join(this.deps.config.stateDir, this.deps.config.agentId, 'heartbeat.json');
    try {
      writeFileSync(file, JSON.stringify({ ts: new Date().toISOString(), session: this.session, mqttConnected: this.mqtt.connected, cameras: this.monitor.cameras.size, outboxPending: this.outbox.pending }));
    } catch (err) {
      this.deps.log.warn({ err, file }, 'heartbeat file not written');
    }
  }

  /** One discovery round; concurrent callers share the round in progress. */
  discover(): Promise<DiscoveryOutcome> {
    if (this.discovering) return this.discovering;
    const log = this.deps.log.child({ module: 'discovery' });
    this.discovering = (async () => {
      const problems: string[] = [];
      const devices = await discoverDevices(this.deps.config.discovery, (p) => problems.push(p));
      const current: CameraTarget[] = [...this.monitor.cameras.values()].map((r) => r.probe.target);
      const merged = mergeDiscovered(current, devices);
      for (const t of merged.targets) this.monitor.upsert(t);
      const outcome = { found: devices.length, added: merged.added, moved: merged.moved, problems };
      logDiscovery(log, outcome);
      if (merged.added.length > 0 && !this.stopping) void this.monitor.checkLiveness(merged.added);
      return outcome;
    })().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  /** Stops schedules, lets running checks finish within `deadlineMs`, publishes the offline state. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const log = this.deps.log;
    await Promise.all(this.tasks.map((t) => Promise.resolve(t.stop())));
    await Promise.all(this.tasks.map((t) => Promise.resolve(t.destroy())));
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    this.sockets.clear();
    this.ffmpeg.clear();
    this.pictureQueue.clear();
    const drained = await Promise.race([
      Promise.all([this.sockets.onIdle(), this.ffmpeg.onIdle(), this.pictureQueue.onIdle()]).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), Math.max(0, deadlineMs - 3000)).unref()),
    ]);
    if (!drained) log.warn('checks still running at the stop deadline: abandoned');
    const delivered = await this.outbox.flush(2000);
    if (!delivered) log.warn({ pending: this.outbox.pending }, 'events not yet acknowledged stay in the outbox for the next start');
    this.outbox.close();
    const t = topicsOf(this.deps.config.mqtt.topicRoot);
    const offline: AgentStateMessage = { state: 'offline', session: this.session, reason: 'shutdown', at: new Date().toISOString() };
    await this.mqtt.stop({ topic: t.agentState(this.deps.config.agentId), payload: JSON.stringify(offline), retain: true });
    log.info('agent stopped');
  }
}
