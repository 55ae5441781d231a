import type PQueue from 'p-queue';
import type { Logger } from 'pino';
import { pruneMarks, type StateMark } from '../../protocols/index.js';
import { applyVerdict, initialHealth, type CameraHealth, type Transition } from './camera-health.js';
import type { CameraTarget } from './camera-target.js';
import type { PictureFault } from './picture-faults.js';
import type { PictureOutcome } from './picture-watch.js';
import { checkRecording } from './recording-check.js';
import { CheckStats, type CheckKind } from './check-stats.js';
import { CheckBatcher, type Admission } from './check-batch.js';
import { SpreadRound } from './spread.js';
import { RoundBook, type RoundReport } from './round-book.js';
import { retryWhenBusy } from '../adapters/busy-retry.js';
import { decodeKeyframes, type DecodeResult, type KeyframeInput } from '../adapters/keyframe-decode.js';
import type { KeyframeReader, Stage } from './keyframe-reader.js';
import { currency, decodeProvenByPicture, newProbeState, runDecode, runLiveness, verdictOf, type CameraProbeState, type LadderContext } from './ladder.js';
import { expandDevice, sameLayout, type ChannelLayout } from './channels.js';
import { MemoryLayouts, type LayoutBook } from './channel-layouts.js';
import { DeviceChecks } from './device-checks.js';
import { causeOf } from './networks.js';
import { hostOf, type SiteNetworks } from './site-networks.js';
import type { OutageCause } from '../../protocols/index.js';

const DAY_MS = 24 * 3600 * 1000;

/** One watched camera: its target, what the probes learnt, its health and state history. */
export interface CameraRecord {
  probe: CameraProbeState;
  health: CameraHealth;
  checkedAt: number | null;
  /** state history for uptime, pruned to the summary window */
  marks: StateMark[];
  /** checks of this camera running or waiting in a queue, by kind: a queued decode does not hold back liveness */
  busy: Record<CheckKind, boolean>;
  driftWarned: boolean;
  /** why its last check failed (camera, its device, its site network); null when it passed */
  cause: Exclude<OutageCause, 'gateway'> | null;
  /** the site network that is down, when that is the cause */
  network?: string | undefined;
}

/** Where the monitor reports; the MQTT publisher implements it. */
export interface MonitorSink {
  status(rec: CameraRecord): void;
  faultsChanged(rec: CameraRecord, appeared: PictureFault[], cleared: string[], at: number): void;
  transition(rec: CameraRecord, t: Transition, at: number): void;
  removed(cameraId: string, at: number): void;
  /** a liveness round closed: which cameras it checked, which it could not in time */
  round(report: RoundReport): void;
  /** the frame a picture check analysed, as evidence of a fault raised or cleared or of the reference captured */
  frame?(rec: CameraRecord, frame: EvidenceFrame): void;
}

/** Evidence of a picture check for the centre (docs/mqtt-api.md, cameraFrameMessage). */
export interface EvidenceFrame {
  kind: 'fault' | 'cleared' | 'reference';
  jpeg: Buffer;
  faults: PictureFault[];
  cleared: string[];
  at: number;
}

export interface MonitorDeps {
  log: Logger;
  now: () => number;
  sockets: PQueue;
  ffmpeg: PQueue;
  ladder: () => LadderContext;
  offlineAfter: () => number;
  decodeEnabled: () => boolean;
  /** how many cameras an ffmpeg may start with within the memory budget (MemoryGate); absent: no rule */
  ffmpegMemory?: Admission | undefined;
  /** decode checks that share one ffmpeg process (CheckBatcher): at most this many (default 1) */
  decodeGroupSize?: (() => number) | undefined;
  /** the agent reads keyframes off the streams itself and ffmpeg decodes them from files (absent: ffmpeg reads the streams) */
  reader?: KeyframeReader | undefined;
  /** the picture rung (absent: no picture checks); it queues for its own ffmpeg, `started` when that starts */
  picture?: ((probe: CameraProbeState, started: () => void) => Promise<PictureOutcome>) | undefined;
  /** drift of a camera's clock beyond which a warning is logged (once per camera until it is back within) */
  clockDriftWarnMs: () => number;
  /** where the channels of multi-channel devices are kept (absent: in memory) */
  layouts?: LayoutBook | undefined;
  /** the site networks, for causes (absent: every failure is the camera's or its device's) */
  networks?: SiteNetworks | undefined;
  /** cameras a device turned out to have (an NVR's channels) had their first liveness check: the agent may check their pictures now rather than at the next round */
  camerasAdded?: ((ids: string[]) => void) | undefined;
  sink: MonitorSink;
}

/** The device a camera belongs to: its NVR's for a channel, else its own. */
const deviceOf = (t: CameraTarget): string => t.channel?.deviceId ?? t.id;

/**
 * Runs the checks of every camera through bounded queues and turns their
 * verdicts into health, events and status. One camera's check never waits
 * for another's beyond the queue's concurrency, and never breaks it.
 */
export class CameraMonitor {
  /** the cameras watched: single cameras under their own id, an NVR's channels under theirs */
  readonly cameras = new Map<string, CameraRecord>();
  /** the devices as configured or discovered, before channels are expanded (what discovery and the config compare with) */
  private readonly devices = new Map<string, CameraTarget>();
  /** the cameras of each device: its channels, or itself (a discovery round looks each device up) */
  private readonly byDevice = new Map<string, Set<string>>();
  /** the device rungs of NVRs, shared by their channels */
  private readonly deviceChecks = new DeviceChecks();
  private readonly layouts: LayoutBook;

  private readonly decoder: CheckBatcher<KeyframeInput, DecodeResult>;
  private readonly decode: Stage<KeyframeInput, DecodeResult>;

  constructor(private readonly deps: MonitorDeps) {
    this.layouts = deps.layouts ?? new MemoryLayouts();
    this.stats = new CheckStats(deps.now);
    this.decoder = new CheckBatcher({ queue: deps.ffmpeg, groupSize: deps.decodeGroupSize ?? (() => 1), gatherMs: 1000, run: decodeKeyframes, failed: (detail): DecodeResult => ({ ok: false, ms: 0, reason: 'no_video', detail }), memory: deps.ffmpegMemory });
    // ffmpeg reading a stream itself (one the reader does not take) is asked once more when its server is busy
    const grouped: Stage<KeyframeInput, DecodeResult> = (input, deadlineMs, started) => (input.grabbed ? this.decoder.check(input, deadlineMs, started) : retryWhenBusy((left) => this.decoder.check(input, left, started), deadlineMs));
    this.decode = deps.reader ? deps.reader.decoder(grouped) : grouped;
  }

  /** decode checks waiting for an ffmpeg process */
  get decodesWaitingForFfmpeg(): number {
    return this.decoder.queued;
  }

  /**
   * Adds or updates a device as configured or discovered: a camera, or an
   * NVR/encoder watched as its channels (channels.ts). Channels the device no
   * longer has are removed like any camera.
   */
  upsert(target: CameraTarget): void {
    this.devices.set(target.id, target);
    this.expand(target);
  }

  /** The devices as configured or discovered (a channel's device once, not each channel). */
  targets(): CameraTarget[] {
    return [...this.devices.values()];
  }

  /** The cameras a device or camera id stands for: an NVR's channels, else the camera itself. */
  camerasOf(id: string): string[] {
    if (this.cameras.has(id)) return [id];
    return [...(this.byDevice.get(id) ?? [])];
  }

  /** Profiles and stream URIs are read again at the next check of every ONVIF device (a discovery ran). */
  reinspect(): void {
    for (const rec of this.cameras.values()) if (rec.probe.target.xaddr) rec.probe.reinspect = true;
    this.deviceChecks.reinspectAll();
  }

  private expand(device: CameraTarget): string[] {
    const { cameras, unmatched } = expandDevice(device, this.layouts.get(device.id));
    if (unmatched.length > 0) this.deps.log.warn({ device: device.id, sources: unmatched }, 'the config names channels this device does not have: not watched');
    const keep = new Set(cameras.map((c) => c.id));
    const gone = [...(this.byDevice.get(device.id) ?? [])].filter((id) => !keep.has(id));
    // a device seen as one camera that turns out to be an NVR: its channels start from what its inspection learnt
    const single = this.cameras.get(device.id);
    if (single && cameras.some((c) => c.channel) && device.xaddr) {
      const shared = this.deviceChecks.probeOf(device.id, device.xaddr);
      shared.inspection ??= single.probe.inspection;
      shared.onvifCredentialName ??= single.probe.onvifCredentialName;
      shared.clockDriftMs ??= single.probe.clockDriftMs;
    }
    for (const id of gone) this.removeCamera(id);
    const added = cameras.filter((c) => !this.cameras.has(c.id)).map((c) => c.id);
    for (const c of cameras) this.upsertCamera(c);
    return added;
  }

  /** Adds or updates one camera. A changed target forgets what was learnt from the old one. */
  private upsertCamera(target: CameraTarget): CameraRecord {
    const existing = this.cameras.get(target.id);
    if (existing) {
      const old = existing.probe.target;
      if (old.xaddr !== target.xaddr || old.rtspUrl !== target.rtspUrl || old.credentialName !== target.credentialName || old.allowBasicAuth !== target.allowBasicAuth || old.channel?.source !== target.channel?.source) {
        // the same device elsewhere most likely takes the same ONVIF login; RTSP is asked again
        existing.probe = { ...newProbeState(target), onvifCredentialName: existing.probe.onvifCredentialName };
      } else {
        existing.probe.target = target;
      }
      return existing;
    }
    const now = this.deps.now();
    const rec: CameraRecord = { probe: newProbeState(target), health: initialHealth(now), checkedAt: null, marks: [{ at: now, state: 'unknown' }], busy: { liveness: false, decode: false, picture: false }, driftWarned: false, cause: null };
    this.cameras.set(target.id, rec);
    const own = deviceOf(target);
    let set = this.byDevice.get(own);
    if (!set) this.byDevice.set(own, (set = new Set()));
    set.add(target.id);
    this.deps.sink.status(rec);
    return rec;
  }

  /** Removes a device (with all its channels) or one camera. */
  remove(id: string): void {
    if (this.devices.delete(id)) {
      this.deviceChecks.forget(id);
      this.layouts.forget(id);
      for (const cam of this.camerasOf(id)) this.removeCamera(cam);
      return;
    }
    this.removeCamera(id);
  }

  private removeCamera(id: string): void {
    const rec = this.cameras.get(id);
    if (!rec || !this.cameras.delete(id)) return;
    const own = deviceOf(rec.probe.target);
    const set = this.byDevice.get(own);
    set?.delete(id);
    if (set?.size === 0) this.byDevice.delete(own);
    this.deps.sink.removed(id, this.deps.now());
    this.reportRound(this.roundBook.removed(id, this.deps.now()));
  }

  /**
   * What a check's inspection says of its device's channels: when they are
   * not what the device is watched as (an NVR seen for the first time, a
   * channel added or gone), the layout is kept and the device expanded again;
   * new channels are checked at once.
   */
  private learnLayout(rec: CameraRecord): void {
    const t = rec.probe.target;
    const inspection = rec.probe.inspection;
    if (!t.xaddr || !inspection) return;
    const deviceId = deviceOf(t);
    const device = this.devices.get(deviceId);
    if (!device) return;
    const layout: ChannelLayout = inspection.channels.map((c) => ({ source: c.source, index: c.index }));
    const worthKeeping = layout.length >= 2 || (device.channelSettings?.length ?? 0) > 0;
    const before = this.layouts.get(deviceId);
    if (worthKeeping ? sameLayout(before, layout) : before === undefined) return;
    if (worthKeeping) this.layouts.set(deviceId, layout);
    else this.layouts.forget(deviceId);
    this.deps.log.info({ device: deviceId, channels: layout.length, sources: layout.map((c) => c.source) }, layout.length >= 2 ? 'device has several video sources: each is watched as a camera (channel)' : 'device channels changed');
    const added = this.expand(device);
    if (added.length > 0) void this.checkLiveness(added).then(() => this.deps.camerasAdded?.(added));
  }

  /** the liveness round in progress: every camera's check is counted in, the round is reported when it closes */
  private readonly roundBook = new RoundBook();

  private reportRound(report: RoundReport | undefined): void {
    if (!report) return;
    // the round's statuses first, with causes as the round found the networks: the round message then confirms them
    this.judgeNetworks();
    this.deps.sink.round(report);
  }

  /** A camera's cause from its last check, its device and its site network. */
  private causeOf(rec: CameraRecord): CameraRecord['cause'] {
    const t = rec.probe.target;
    const cause = causeOf(rec.health.rung, t.channel !== undefined, this.deps.networks?.isDown(t) ?? false);
    rec.network = cause === 'network' ? this.deps.networks?.keyOf(t) : undefined;
    return cause;
  }

  /**
   * Judges the site networks from every camera's latest liveness. The
   * cameras of a network found down are told anew (their failures of this
   * round were the network's); a network back changes no cause: the failures
   * seen while it was down stay its own, and each camera's next check says
   * what it is now.
   */
  private judgeNetworks(): void {
    const networks = this.deps.networks;
    if (!networks) return;
    const hosts = [];
    for (const rec of this.cameras.values()) {
      const host = hostOf(rec.probe.target);
      if (host === undefined || rec.probe.liveness.length === 0) continue;
      hosts.push({ host, tcpFailed: rec.probe.liveness.some((r) => r.rung === 'tcp' && !r.ok) });
    }
    const moved = networks.evaluate(hosts);
    if (moved.wentDown.length === 0) return;
    const down = new Set(moved.wentDown);
    for (const rec of this.cameras.values()) {
      const key = networks.keyOf(rec.probe.target);
      if (key === undefined || !down.has(key)) continue;
      const cause = this.causeOf(rec);
      if (cause === rec.cause) continue;
      rec.cause = cause;
      this.deps.sink.status(rec);
    }
  }

  /** A camera's liveness check of the open round is done (its status went out already, when it changed). */
  private livenessDone(id: string): void {
    this.reportRound(this.roundBook.done(id, this.deps.now()));
  }

  /** Liveness checks of the given cameras (all when omitted); resolves when they are done. */
  /** checks by kind: done, waiting, running, and how far behind each queue is */
  readonly stats: CheckStats;

  private readonly rounds = new Map<CheckKind, SpreadRound>();

  /**
   * A scheduled round of `kind` for every camera, spread over 90% of
   * `periodMs` (each camera at its own phase; liveness at most until its
   * deadline before the round's end); replaces the round before.
   */
  spread(kind: CheckKind, periodMs: number): void {
    this.rounds.get(kind)?.stop();
    const since = this.deps.now();
    if (kind === 'liveness') {
      for (const r of this.roundBook.begin(this.cameras.keys(), since, periodMs)) this.reportRound(r);
      // the site networks' probes answer for this round
      void this.deps.networks?.probe().catch((err: unknown) => this.deps.log.warn({ err }, 'network probes failed'));
    }
    // the channels of an NVR share its device rungs within the round: measured once, at the first channel's turn
    const run = (ids: string[]) => void (kind === 'liveness' ? this.checkLiveness(ids, since) : kind === 'decode' ? this.checkDecode(ids, periodMs / 2) : this.checkPicture(ids));
    // a liveness check started late in the round must still be able to end in it (its deadline): else a camera on a
    // slow link, checked near the end, is named unchecked though nothing is wrong, and turns stale at the centre.
    // Never squeezed below half the period, though: a burst of connections is what the spread is there to avoid
    const window = kind === 'liveness' ? Math.min(periodMs * 0.9, Math.max(periodMs * 0.5, periodMs - this.deps.ladder().livenessDeadlineMs)) : periodMs * 0.9;
    this.rounds.set(kind, new SpreadRound([...this.cameras.keys()], kind, Math.max(0, window), run, this.deps.now));
  }

  /** Ends the spread rounds (shutdown): checks already started finish. */
  stopRounds(): void {
    for (const r of this.rounds.values()) r.stop();
    this.rounds.clear();
  }

  /** Liveness checks of the given cameras or devices (all when omitted); an NVR's rungs run once for the checks of one call or round. */
  async checkLiveness(ids?: string[], since = this.deps.now()): Promise<void> {
    await Promise.all(this.pick('liveness', ids).map((rec) => this.runCheck(rec, 'liveness', 0, since)));
  }

  /** Picture checks of the given cameras whose stream decodes. */
  async checkPicture(ids?: string[]): Promise<void> {
    await Promise.all(this.pick('picture', ids).map((rec) => this.runCheck(rec, 'picture')));
  }

  /**
   * The recording check (Profile G) of the ONVIF cameras whose socket rungs
   * pass, through the socket queue: a few SOAP calls each, once a day.
   */
  async checkRecording(deadlineMs: number): Promise<void> {
    // an NVR's recordings are its channels' together: not told apart per channel yet, so not counted for any
    const recs = this.pick('liveness').filter((r) => r.probe.target.xaddr && !r.probe.target.channel && r.probe.liveness.length > 0 && r.probe.liveness.every((x) => x.ok));
    await Promise.all(
      recs.map(async (rec) => {
        const probe = rec.probe;
        const result = await this.deps.sockets.add(() => checkRecording(probe, deadlineMs, this.deps.now));
        if (!result || this.cameras.get(probe.target.id) !== rec || rec.probe !== probe) return;
        probe.recording = result;
        this.deps.sink.status(rec);
      }),
    );
  }

  /** Decode checks of the given cameras whose socket rungs pass (not of those with a passed decode younger than `freshWithinMs`). */
  async checkDecode(ids?: string[], freshWithinMs = 0): Promise<void> {
    await Promise.all(this.pick('decode', ids).map((rec) => this.runCheck(rec, 'decode', freshWithinMs)));
  }

  private pick(kind: CheckKind, ids?: string[]): CameraRecord[] {
    const all = ids ? ids.flatMap((id) => this.camerasOf(id)).map((id) => this.cameras.get(id)).filter((r): r is CameraRecord => r !== undefined) : [...this.cameras.values()];
    // a camera whose previous check of this kind still runs or waits is not checked twice at once; a decode
    // waiting in the ffmpeg queue does not hold back its liveness (a dead camera is found on time under load)
    return all.filter((r) => !r.busy[kind]);
  }

  private socketsOk(probe: CameraProbeState): boolean {
    return probe.liveness.length > 0 && probe.liveness.every((r) => r.ok);
  }

  /** Decode right after liveness while it has never passed, last failed, or predates a socket failure, unless one already runs or waits. */
  private wantsDecode(rec: CameraRecord): boolean {
    const probe = rec.probe;
    return this.socketsOk(probe) && this.deps.decodeEnabled() && !rec.busy.decode && (!probe.decode || !probe.decode.ok || !currency(probe).decode);
  }

  private async runDecodeOf(rec: CameraRecord, ctx: LadderContext): Promise<void> {
    const probe = rec.probe;
    const ticket = this.stats.enter('decode');
    try {
      probe.decode = await runDecode(probe, ctx, (input, deadlineMs) => this.decode(input, deadlineMs, ticket.start));
    } finally {
      ticket.end();
    }
  }

  /**
   * One check of a camera; its verdict is applied at the end. A liveness
   * check that calls for a decode hands the verdict to that decode check and
   * releases the camera's liveness: its next liveness checks run on time
   * whatever the ffmpeg queue holds (the promise still resolves when the
   * decode is done).
   */
  private async runCheck(rec: CameraRecord, kind: CheckKind, freshWithinMs = 0, since = this.deps.now()): Promise<void> {
    rec.busy[kind] = true;
    let decoding = false;
    let released = false;
    const id = rec.probe.target.id;
    const probe = rec.probe;
    try {
      const ctx: LadderContext = { ...this.deps.ladder(), devices: this.deviceChecks, since };
      if (kind === 'liveness') {
        probe.liveness = await this.stats.track('liveness', (run) => this.deps.sockets.add(run), () => runLiveness(probe, ctx));
        if (this.cameras.get(id) === rec && rec.probe === probe) this.learnLayout(rec);
        if (this.cameras.get(id) === rec && rec.probe === probe && this.wantsDecode(rec)) {
          // the liveness check is over: the camera's next one may start while this decode waits
          released = true;
          rec.busy.liveness = false;
          this.livenessDone(id);
          await this.runCheck(rec, 'decode');
          return;
        }
      } else if (kind === 'decode') {
        if (!this.socketsOk(probe) || !this.deps.decodeEnabled()) return;
        // a decode passed a moment ago (a picture check of the main stream, a liveness recovery): nothing to learn
        const last = probe.decode;
        if (freshWithinMs > 0 && last?.ok && currency(probe).decode && Date.parse(last.at ?? '') > this.deps.now() - freshWithinMs) return;
        await this.runDecodeOf(rec, ctx);
      } else {
        if (!this.socketsOk(probe) || !this.deps.picture) return;
        // a picture check of a camera whose decode is due decodes first (a decode already waiting will judge it)
        if (this.wantsDecode(rec)) {
          decoding = rec.busy.decode = true;
          await this.runDecodeOf(rec, ctx);
        }
        if (probe.decode && !probe.decode.ok) return this.applyIfCurrent(rec, probe, decoding);
        const picture = this.deps.picture;
        const before = probe.faults;
        const ticket = this.stats.enter('picture');
        let outcome: PictureOutcome;
        try {
          outcome = await picture(probe, ticket.start);
        } finally {
          ticket.end();
        }
        probe.picture = outcome.rung;
        probe.faults = outcome.faults;
        decodeProvenByPicture(probe, ctx, outcome.rung, outcome.metrics !== null);
        const appeared = outcome.faults.filter((f) => !before.some((b) => b.fault === f.fault));
        const cleared = before.filter((b) => !outcome.faults.some((f) => f.fault === b.fault)).map((b) => b.fault);
        const current = this.cameras.get(id) === rec && rec.probe === probe;
        if ((appeared.length || cleared.length) && current) {
          this.deps.log.info({ camera: id, appeared: appeared.map((f) => f.fault), cleared }, 'picture faults changed');
          this.deps.sink.faultsChanged(rec, appeared, cleared, this.deps.now());
        }
        // the frame the verdict was made on: the evidence an operator sees beside the fault
        const kind = appeared.length ? 'fault' : cleared.length ? 'cleared' : outcome.referenceCaptured ? 'reference' : undefined;
        if (kind && outcome.evidence && current) this.deps.sink.frame?.(rec, { kind, jpeg: outcome.evidence, faults: outcome.faults, cleared, at: this.deps.now() });
      }
      this.applyIfCurrent(rec, probe, true);
      if (kind === 'liveness' && this.cameras.get(id) === rec) this.livenessDone(id);
    } catch (err) {
      this.deps.log.error({ err, camera: id }, 'check failed unexpectedly');
    } finally {
      if (!released) rec.busy[kind] = false;
      if (decoding) rec.busy.decode = false;
    }
  }

  /** Applies the verdict unless the camera was removed or retargeted meanwhile (and only when `judged`). */
  private applyIfCurrent(rec: CameraRecord, probe: CameraProbeState, judged: boolean): void {
    if (!judged || this.cameras.get(rec.probe.target.id) !== rec || rec.probe !== probe) return;
    this.apply(rec);
  }

  private apply(rec: CameraRecord): void {
    const now = this.deps.now();
    const { health, transition } = applyVerdict(rec.health, verdictOf(rec.probe), now, this.deps.offlineAfter());
    rec.health = health;
    rec.checkedAt = now;
    rec.cause = this.causeOf(rec);
    const drift = rec.probe.clockDriftMs;
    const drifting = drift !== null && Math.abs(drift) > this.deps.clockDriftWarnMs();
    if (drifting && !rec.driftWarned) {
      this.deps.log.warn({ camera: rec.probe.target.id, clockDriftMs: drift }, 'camera clock is off: it breaks WS-Security logins and evidence timestamps');
    }
    rec.driftWarned = drifting;
    if (transition) {
      rec.marks.push({ at: now, state: transition.to });
      rec.marks = pruneMarks(rec.marks, now - DAY_MS);
      this.deps.log.info({ camera: rec.probe.target.id, from: transition.from, to: transition.to, rung: transition.rung, reason: transition.reason }, 'camera state changed');
      this.deps.sink.transition(rec, transition, now);
    }
    this.deps.sink.status(rec);
  }
}
