import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { topics as topicsOf, type AgentStateMessage } from '../protocols/index.js';
import type { AgentConfig } from '../config/agent.js';
import path from 'node:path';
import os from 'node:os';
import { reapOrphans, setRunOwner } from './adapters/child-reaper.js';
import { childrenMemory, processPssMb, processTreeCpuMs, processTreePssMb } from './adapters/process-tree.js';
import { FfmpegGovernor } from './features/ffmpeg-governor.js';
import { MemoryGate } from './features/memory-gate.js';
import { Journal } from './adapters/journal.js';
import { lostRecordsOf } from './features/lost-records.js';
import { MqttConnection } from '../platform/mqtt-client.js';
import { Outbox, type OutboxRecord } from './features/outbox.js';
import { PictureWatch } from './features/picture-watch.js';
import { CheckBatcher } from './features/check-batch.js';
import { KeyframeReader } from './features/keyframe-reader.js';
import { grabKeyframes } from './adapters/keyframe-grab.js';
import { analysePictures, type PictureInput, type PictureResult } from './adapters/picture.js';
import type { ConfigStore } from './features/config-store.js';
import { RemoteConfig } from './features/remote-config.js';
import { pictureUrlOf } from './features/ladder.js';
import { targetsFromConfig } from './features/camera-target.js';
import { KnownCameras } from './features/known-cameras.js';
import { ChannelLayouts } from './features/channel-layouts.js';
import { SiteNetworks } from './features/site-networks.js';
import type { DiscoveryOutcome } from './features/discovery.js';
import { DiscoveryRounds } from './features/discovery-rounds.js';
import { agentCommands } from './features/commands.js';
import { Heartbeat } from './features/heartbeat.js';
import { Schedules } from './features/schedules.js';
import { ConfigReload, type ReloadOutcome } from './features/config-reload.js';
import { CameraMonitor } from './features/monitor.js';
import { Publisher, type PublishSettings } from './features/publisher.js';
import { RequestHandler } from './features/requests.js';
import { VERSION } from '../platform/version.js';

const DAY_MS = 24 * 3600 * 1000;
/** the largest request or config push an agent reads */
const MAX_INBOUND_BYTES = 1024 * 1024;

/** How statuses and summaries go out, from the config in force. */
const publishSettingsOf = (c: AgentConfig): PublishSettings => ({
  status: c.status.publish,
  refreshMs: c.status.refreshMinutes * 60_000,
  rule: { fpsTolerance: c.status.fpsTolerance, clockDriftToleranceMs: c.status.clockDriftToleranceMs, offlineAfter: c.checks.offlineAfter },
  summary: c.summaryPublish,
});

/** The broker connection an agent config asks for; requests and config pushes are small, so a larger message is refused before it costs memory. */
const mqttSettingsOf = (c: AgentConfig) => ({ ...c.mqtt, clientId: c.mqtt.clientId ?? `xueliang-agent-${c.agentId}`, maxInboundBytes: MAX_INBOUND_BYTES });

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
  private readonly streams: PQueue;
  readonly pictures: PictureWatch;
  /** discovery rounds, and the cameras earlier runs discovered */
  private readonly discovery: DiscoveryRounds;
  private readonly heartbeat: Heartbeat;
  private readonly schedules: Schedules;
  private readonly reload: ConfigReload;
  private readonly governor: FfmpegGovernor;
  private readonly memoryGate: MemoryGate;
  private stopping = false;
  /** the config in force: the file's, with pushed patches applied (remote config) */
  private config: AgentConfig;

  constructor(
    private readonly deps: { config: AgentConfig; log: Logger; now?: () => number; configStore?: ConfigStore | undefined },
  ) {
    const { config, log } = deps;
    this.config = config;
    const now = deps.now ?? Date.now;
    this.startedAt = now();
    const t = topicsOf(config.mqtt.topicRoot);
    const offline: AgentStateMessage = { state: 'offline', session: this.session };
    this.mqtt = new MqttConnection({
      settings: mqttSettingsOf(config),
      will: { topic: t.agentState(config.agentId), payload: JSON.stringify(offline), retain: true, qos: 1 },
      birth: () => ({ topic: t.agentState(config.agentId), payload: JSON.stringify(this.birth()) }),
      log: log.child({ module: 'mqtt' }),
    });
    this.publisher = new Publisher({
      mqtt: this.mqtt,
      outbox: () => this.outbox,
      agentId: config.agentId,
      topicRoot: config.mqtt.topicRoot,
      session: this.session,
      log: log.child({ module: 'publisher' }),
      now,
      settings: () => publishSettingsOf(this.config),
      records: () => this.monitor.cameras,
    });
    const journal = new Journal<OutboxRecord>(path.join(config.stateDir, config.agentId, 'outbox.jsonl'), config.outbox.syncMs);
    if (journal.size > 0) log.info({ pending: journal.size }, 'outbox holds events from before the restart: they go out first, as historical');
    this.outbox = new Outbox({
      journal,
      mqtt: this.mqtt,
      log: log.child({ module: 'outbox' }),
      maxEvents: () => this.config.outbox.maxEvents,
      droppedEvent: (count, first, last) => this.publisher.droppedEvent(count, first, last),
    });
    this.reportLostRecords(journal, log);
    const known = new KnownCameras({ file: path.join(config.stateDir, config.agentId, 'discovered.json'), log: log.child({ module: 'discovery' }) });
    this.sockets = new PQueue({ concurrency: config.checks.maxSockets });
    this.ffmpeg = new PQueue({ concurrency: config.checks.maxFfmpeg });
    this.pictureQueue = new PQueue({ concurrency: Math.min(config.checks.picture.maxConcurrent, config.checks.maxFfmpeg) });
    // how many of maxFfmpeg run follows the CPU budget; it starts at one per core
    this.governor = new FfmpegGovernor(
      {
        cpuMs: processTreeCpuMs,
        cores: os.cpus().length,
        budget: () => this.config.checks.cpuBudgetPercent / 100,
        memoryMb: processTreePssMb,
        memoryBudgetMb: () => this.config.checks.memoryBudgetMb,
        max: () => this.config.checks.maxFfmpeg,
        waiting: () => {
          const s = this.monitor.stats.snapshot();
          // checks whose keyframes were read and wait for ffmpeg wait as much as those not started
          return s.decode.queued + s.picture.queued + this.monitor.decodesWaitingForFfmpeg + pictureBatcher.queued;
        },
        apply: (limit) => {
          this.ffmpeg.concurrency = limit;
        },
        now,
        onChange: (limit, cpuShare) => log.debug({ ffmpegAtOnce: limit, cpuPercent: Math.round(cpuShare * 1000) / 10 }, 'ffmpeg limit follows the CPU budget'),
      },
      os.cpus().length,
    );
    // cameras checked at once by ffmpeg (decode and picture) are sized by the memory they take
    this.memoryGate = new MemoryGate({ budgetMb: () => this.config.checks.memoryBudgetMb, selfMb: processPssMb, children: childrenMemory });
    // picture checks share ffmpeg processes as decode checks do: a process takes a slot of the picture queue and one of checks.maxFfmpeg
    const pictureBatcher = new CheckBatcher<PictureInput, PictureResult>({
      memory: this.memoryGate,
      queue: { add: (job) => this.pictureQueue.add(() => this.ffmpeg.add(job)) },
      groupSize: () => this.config.checks.picture.group,
      gatherMs: 1000,
      run: (inputs, deadlineMs) => analysePictures(inputs, this.config.checks.picture, deadlineMs),
      failed: (detail) => ({ ok: false, ms: 0, reason: 'no_video', detail }),
    });
    // the agent reads streams up to their keyframes itself: waiting costs a socket, not a decoder
    this.streams = new PQueue({ concurrency: config.checks.maxStreams });
    const reader = new KeyframeReader({
      slots: this.streams,
      grab: grabKeyframes,
      picture: () => this.config.checks.picture,
      enabled: () => this.config.checks.streamReader === 'agent',
    });
    const analyse = reader.pictures((input, deadlineMs, started) => pictureBatcher.check(input, deadlineMs, started));
    this.pictures = new PictureWatch({
      dir: path.join(config.stateDir, config.agentId, 'pictures'),
      settings: () => this.config.checks.picture,
      // a channel takes its device's thresholds
      thresholdsOf: (id) => {
        const own = this.monitor.cameras.get(id)?.probe.target.channel?.deviceId ?? id;
        return { ...this.config.checks.picture.thresholds, ...this.config.cameras.find((c) => (c.id ?? c.gbId) === own)?.picture };
      },
      log: log.child({ module: 'picture' }),
      now,
      analyse,
      // a channel follows its device's setting
      evidence: (id) => {
        const own = this.monitor.cameras.get(id)?.probe.target.channel?.deviceId ?? id;
        return this.config.cameras.find((c) => (c.id ?? c.gbId) === own)?.evidence ?? this.config.evidence.frames;
      },
    });
    this.monitor = new CameraMonitor({
      log: log.child({ module: 'monitor' }),
      now,
      sockets: this.sockets,
      ffmpeg: this.ffmpeg,
      decodeGroupSize: () => this.config.checks.decodeGroup,
      ffmpegMemory: this.memoryGate,
      reader,
      ladder: () => ({
        credentials: this.config.credentials,
        livenessDeadlineMs: this.config.checks.livenessDeadlineMs,
        decodeDeadlineMs: this.config.checks.decodeDeadlineMs,
        channelRereadMs: this.config.checks.channelRereadMinutes * 60_000,
      }),
      offlineAfter: () => this.config.checks.offlineAfter,
      clockDriftWarnMs: () => this.config.checks.clockDriftWarnMs,
      networks: new SiteNetworks({ settings: () => this.config.networks, log: log.child({ module: 'networks' }) }),
      // an NVR's channels found after the start's first round: their first picture check now, as every camera's at the start
      camerasAdded: (ids) => {
        if (!this.stopping && this.config.checks.picture.enabled) void this.monitor.checkPicture(ids);
      },
      layouts: new ChannelLayouts({ file: path.join(config.stateDir, config.agentId, 'channels.json'), log: log.child({ module: 'monitor' }) }),
      decodeEnabled: () => this.config.checks.decode,
      picture: async (probe, started) => {
        const ctx = { credentials: this.config.credentials, livenessDeadlineMs: 0, decodeDeadlineMs: 0 };
        const target = pictureUrlOf(probe, ctx);
        if (!target) return { rung: { rung: 'picture', ok: false, ms: 0, reason: 'no_video', detail: 'no stream URI known', at: new Date().toISOString() }, faults: probe.faults, verdicts: [], metrics: null };
        const outcome = await this.pictures.check(probe.target.id, target.url, target.secrets, started, { allowBasic: target.allowBasic });
        // a verdict names the stream it was measured on: the sub-stream, when there is one
        return { ...outcome, rung: { ...outcome.rung, streamUri: target.publicUrl } };
      },
      sink: this.publisher,
    });
    this.discovery = new DiscoveryRounds({ monitor: this.monitor, known, publisher: this.publisher, config: () => this.config, log: log.child({ module: 'discovery' }), now, running: () => !this.stopping });
    this.heartbeat = new Heartbeat({
      dir: () => path.join(this.config.stateDir, this.config.agentId),
      log,
      facts: () => ({ session: this.session, mqttConnected: this.mqtt.connected, cameras: this.monitor.cameras.size, outboxPending: this.outbox.pending }),
    });
    this.schedules = new Schedules({
      log,
      stopping: () => this.stopping,
      work: {
        liveness: (periodMs) => this.monitor.spread('liveness', periodMs),
        decode: (periodMs) => this.monitor.spread('decode', periodMs),
        picture: (periodMs) => this.monitor.spread('picture', periodMs),
        discovery: () => this.discover(),
        recording: () => this.monitor.checkRecording(this.config.checks.recording.deadlineMs),
        sample: (tick) => {
          this.memoryGate.sample();
          if (tick % 5 === 0) this.governor.sample();
        },
        summary: () => {
          this.publisher.summary(this.monitor.cameras.values(), DAY_MS, this.monitor.stats.snapshot());
          this.heartbeat.beat();
        },
      },
    });
    this.reload = new ConfigReload({
      current: () => this.config,
      commit: (c) => (this.config = c),
      mqttSettingsOf,
      reconnect: (settings, deadlineMs) => this.mqtt.reconfigure(settings, deadlineMs),
      resize: (c) => {
        this.sockets.concurrency = c.checks.maxSockets;
        this.ffmpeg.concurrency = Math.min(this.governor.current, c.checks.maxFfmpeg);
        this.pictureQueue.concurrency = Math.min(c.checks.picture.maxConcurrent, c.checks.maxFfmpeg);
        this.streams.concurrency = c.checks.maxStreams;
      },
      restartSchedules: async () => {
        await this.stopSchedules();
        this.schedules.start(this.config);
      },
      monitor: this.monitor,
      running: () => !this.stopping,
      log,
    });
    this.requests = new RequestHandler({
      mqtt: this.mqtt,
      topicRoot: config.mqtt.topicRoot,
      agentId: config.agentId,
      log: log.child({ module: 'requests' }),
      responseTopic: (command) => t.response(config.agentId, command),
      handlers: agentCommands({ monitor: this.monitor, discovery: this.discovery, publisher: this.publisher }),
    });
  }

  /** Records of the outbox a crash tore or damaged are lost: the centre is told which (events_lost), never left to guess. */
  private reportLostRecords(journal: Journal<OutboxRecord>, log: Logger): void {
    const { tornBytes, badLines, fragments, writtenAt } = journal.recovered;
    if (tornBytes === 0 && badLines === 0) return;
    const lost = lostRecordsOf(fragments, badLines - fragments.filter((f) => !f.torn).length);
    const named = lost.flatMap((l) => l.events.map((e) => `${e.session}/${e.seq}`));
    log.warn({ tornBytes, badLines, file: journal.file, lost: lost.reduce((n, l) => n + l.count, 0), named }, 'outbox: records torn or damaged by a crash were dropped (the journal was cut back to its last whole record); the centre is told what was lost');
    for (const l of lost) this.publisher.lost(l, writtenAt);
  }

  private birth(): AgentStateMessage {
    const c = this.config;
    return { state: 'online', session: this.session, agentVersion: VERSION, startedAt: new Date(this.startedAt).toISOString(), site: c.site ?? null, region: c.region ?? null, lastSeq: this.publisher.lastSeq };
  }

  async start(): Promise<void> {
    const { config, log } = this.deps;
    if (config.credentials.length === 0) log.info('no credential sets configured: cameras are tried without credentials');
    setRunOwner(config.stateDir);
    const orphans = reapOrphans();
    if (orphans.length > 0) log.warn({ killed: orphans.length, runs: orphans }, 'ffmpeg/ffprobe runs left behind by an agent that died were killed');
    this.mqtt.onMessage((m) => void this.requests.handle(m));
    if (config.remoteConfig.enabled && this.deps.configStore) {
      new RemoteConfig({ mqtt: this.mqtt, store: this.deps.configStore, app: this, agentId: config.agentId, topicRoot: config.mqtt.topicRoot, log: log.child({ module: 'remote-config' }), now: this.deps.now ?? Date.now }).start();
    }
    this.mqtt.onConnect(() => {
      this.outbox.onConnect();
      this.publisher.flushStatuses((id) => this.monitor.cameras.has(id));
    });
    this.mqtt.subscribe(topicsOf(config.mqtt.topicRoot).all.requests(config.agentId));
    this.mqtt.start();
    for (const target of targetsFromConfig(config)) this.monitor.upsert(target);
    this.discovery.restore();

    this.schedules.start(this.config);
    this.heartbeat.beat();
    log.info({ agentId: config.agentId, session: this.session, cameras: this.monitor.cameras.size, version: VERSION }, 'agent started');
    // first round at once rather than at the first tick
    void (async () => {
      if (config.discovery.enabled) await this.discover().catch((err: unknown) => log.error({ err }, 'discovery failed'));
      if (!this.stopping) await this.monitor.checkLiveness();
      if (!this.stopping && config.checks.picture.enabled) void this.monitor.checkPicture();
      if (!this.stopping) this.publisher.summary(this.monitor.cameras.values(), DAY_MS, this.monitor.stats.snapshot());
    })();
  }

  private async stopSchedules(): Promise<void> {
    this.monitor.stopRounds();
    await this.schedules.stop();
  }

  get currentConfig(): AgentConfig {
    return this.config;
  }

  /** Puts a new config in force without a restart (remote config): see features/config-reload.ts. */
  applyConfig(next: AgentConfig, reconnectDeadlineMs: number): Promise<ReloadOutcome> {
    return this.reload.apply(next, reconnectDeadlineMs);
  }

  /** One discovery round; concurrent callers share the round in progress. */
  discover(): Promise<DiscoveryOutcome> {
    return this.discovery.discover();
  }

  /** Stops schedules, lets running checks finish within `deadlineMs`, publishes the offline state. */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const log = this.deps.log;
    await this.stopSchedules();
    this.sockets.clear();
    this.ffmpeg.clear();
    this.pictureQueue.clear();
    this.streams.clear();
    const drained = await Promise.race([
      Promise.all([this.sockets.onIdle(), this.ffmpeg.onIdle(), this.pictureQueue.onIdle(), this.streams.onIdle()]).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), Math.max(0, deadlineMs - 3000)).unref()),
    ]);
    if (!drained) log.warn('checks still running at the stop deadline: abandoned');
    this.publisher.stopped((this.deps.now ?? Date.now)(), this.startedAt);
    const delivered = await this.outbox.flush(2000);
    if (!delivered) log.warn({ pending: this.outbox.pending }, 'events not yet acknowledged stay in the outbox for the next start');
    this.outbox.close();
    const t = topicsOf(this.config.mqtt.topicRoot);
    const offline: AgentStateMessage = { state: 'offline', session: this.session, reason: 'shutdown', at: new Date().toISOString() };
    await this.mqtt.stop({ topic: t.agentState(this.config.agentId), payload: JSON.stringify(offline), retain: true });
    log.info('agent stopped');
  }
}
