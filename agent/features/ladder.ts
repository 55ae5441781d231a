import type { FailureReason, RecordingCheck, Rung, RungResult, StreamMetrics } from '../../protocols/index.js';
import type { CredentialSet } from '../../config/agent.js';
import { decodeKeyframe, type DecodeResult, type KeyframeInput } from '../adapters/keyframe-decode.js';
import { SoapError } from '../adapters/onvif/soap-client.js';
import { rtspDescribe, sdpVideoCodec } from '../adapters/rtsp-client.js';
import { parseRtspUrl, withCredentials } from '../adapters/rtsp-url.js';
import type { AuthChallenge } from '../lib/digest-auth.js';
import { errorMessage } from '../lib/errors.js';
import { scrubSecrets } from '../../platform/redact.js';
import type { CameraTarget } from './camera-target.js';
import type { CheckVerdict } from './camera-health.js';
import type { PictureFault } from './picture-faults.js';
import { channelView, clockDrift, credentialOrder, inspectOnvif, onvifAuthCheck, type OnvifInspection } from './onvif-inspect.js';
import type { DeviceChecks, OnvifProbe } from './device-checks.js';

/** A login an RTSP server may get: a credential set by name, or the one written into a configured URL (name undefined). */
export interface RtspLogin {
  name: string | undefined;
  username: string;
  password: string;
}

/** Everything the agent knows about one camera between checks. */
export interface CameraProbeState {
  target: CameraTarget;
  inspection: OnvifInspection | undefined;
  /** name of the credential set the ONVIF service accepted last */
  onvifCredentialName: string | undefined;
  /** what the RTSP server accepted last: a login, or null when it asked for none; undefined before RTSP first passed */
  rtspLogin: RtspLogin | null | undefined;
  rtspChallenge: AuthChallenge | undefined;
  clockDriftMs: number | null;
  /** results of the socket rungs of the last liveness check */
  liveness: RungResult[];
  /** result of the last decode check */
  decode: RungResult | undefined;
  /** result of the last picture check, and the faults that count */
  picture: RungResult | undefined;
  faults: PictureFault[];
  stream: StreamMetrics | null;
  /** when a socket rung last failed (ms epoch): decode and picture results older than this are history */
  socketsFailedAt: number;
  /** when the decode rung last failed: picture results older than this are history */
  decodeFailedAt: number;
  /** read profiles and stream URIs again at the next ONVIF rung (a discovery ran) */
  reinspect: boolean;
  /** the last recording check (Profile G) */
  recording: RecordingCheck | undefined;
}

export const newProbeState = (target: CameraTarget): CameraProbeState => ({
  target,
  inspection: undefined,
  onvifCredentialName: undefined,
  rtspLogin: undefined,
  rtspChallenge: undefined,
  clockDriftMs: null,
  liveness: [],
  decode: undefined,
  picture: undefined,
  faults: [],
  stream: null,
  socketsFailedAt: 0,
  decodeFailedAt: 0,
  reinspect: false,
  recording: undefined,
});

export interface LadderContext {
  credentials: CredentialSet[];
  livenessDeadlineMs: number;
  decodeDeadlineMs: number;
  /** the device rungs of multi-channel devices, shared by their channels (absent: each channel runs its own) */
  devices?: DeviceChecks | undefined;
  /** start of the round this check belongs to: an NVR's rungs measured since stand for its channels */
  since?: number | undefined;
  /** an NVR is read again for a failing channel at most this often */
  channelRereadMs?: number | undefined;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const nowIso = () => new Date().toISOString();
const rungOk = (rung: Rung, ms: number, streamUri?: string): RungResult => ({ rung, ok: true, ms: round(ms), reason: null, detail: null, at: nowIso(), ...(streamUri !== undefined ? { streamUri } : {}) });
const rungFail = (rung: Rung, ms: number, reason: FailureReason, detail: string, streamUri?: string): RungResult => ({ rung, ok: false, ms: round(ms), reason, detail, at: nowIso(), ...(streamUri !== undefined ? { streamUri } : {}) });

function allSecrets(ctx: LadderContext, target: CameraTarget): string[] {
  const s = ctx.credentials.map((c) => c.password);
  if (target.rtspUrl) {
    try {
      const p = parseRtspUrl(target.rtspUrl).password;
      if (p) s.push(p);
    } catch {
      // an unusable URL carries no secret we could scrub better than stripUrlCredentials does
    }
  }
  return s;
}

const loginOf = (c: CredentialSet): RtspLogin => ({ name: c.name, username: c.username, password: c.password });

export interface StreamTarget {
  /** the RTSP URL without credentials: what goes on the wire and into a status */
  url: string;
  /** logins to offer when the server asks, in order of preference */
  candidates: RtspLogin[];
  /** the login is fixed by the config (credentials in the URL, or a pinned set): no list is tried */
  pinned: boolean;
}

/**
 * The main stream and the logins its RTSP server may be offered: the ones in
 * a configured URL, else the pinned set, else the set the RTSP server took
 * last, then the one the ONVIF service took, then every other set (many
 * sites use one login for ONVIF and another for RTSP).
 */
export function streamOf(st: CameraProbeState, ctx: LadderContext): StreamTarget | { error: string } | undefined {
  const raw = st.target.rtspUrl ?? st.inspection?.streams[0]?.uri;
  if (!raw) return undefined;
  let t: ReturnType<typeof parseRtspUrl>;
  try {
    t = parseRtspUrl(raw);
  } catch (err) {
    return { error: `stream URI unusable: ${errorMessage(err)}` };
  }
  if (t.username !== undefined) return { url: t.url, candidates: [{ name: undefined, username: t.username, password: t.password ?? '' }], pinned: true };
  const byName = (name: string | undefined) => (name === undefined ? undefined : ctx.credentials.find((c) => c.name === name));
  if (st.target.credentialName !== undefined) {
    const c = byName(st.target.credentialName);
    return { url: t.url, candidates: c ? [loginOf(c)] : [], pinned: true };
  }
  const order: RtspLogin[] = [];
  const add = (c: CredentialSet | undefined) => {
    if (c && !order.some((o) => o.name === c.name)) order.push(loginOf(c));
  };
  add(byName(st.rtspLogin?.name));
  add(byName(st.inspection?.credential?.name ?? st.onvifCredentialName));
  for (const c of ctx.credentials) add(c);
  return { url: t.url, candidates: order, pinned: false };
}

/** Basic sends the password in clear: only to a camera whose config allows it, with the one login it names. */
function basicAllowed(st: CameraProbeState, stream: StreamTarget): boolean {
  return st.target.allowBasicAuth === true && stream.pinned && stream.candidates.length === 1;
}

/** One RTSP rung: DESCRIBE without a login first when none was needed last, then each candidate the server may take. */
async function rtspRung(st: CameraProbeState, stream: StreamTarget, left: () => number, secrets: string[]): Promise<{ result: RungResult; connected: boolean; refused: boolean }> {
  const target = parseRtspUrl(stream.url);
  // Basic sends the password in clear: only to a camera whose config allows it, with the one login it names
  const allowBasic = basicAllowed(st, stream);
  const attempts: Array<RtspLogin | undefined> = st.rtspLogin === null || stream.candidates.length === 0 ? [undefined, ...stream.candidates] : stream.candidates;
  const t0 = performance.now();
  for (const [i, login] of attempts.entries()) {
    const r = await rtspDescribe({ host: target.host, port: target.port, url: target.url, credentials: login, deadlineMs: left(), challenge: st.rtspChallenge, allowBasic });
    if (r.ok) {
      st.rtspChallenge = r.challenge;
      st.rtspLogin = r.authenticated && login ? login : null;
      const codec = sdpVideoCodec(r.sdp);
      st.stream = { ...(st.stream ?? { codec: null, width: null, height: null, fps: null, bitrate: null, frames: null }), rtspRttMs: round(r.rttMs), codec: st.stream?.codec ?? codec?.toLowerCase() ?? null };
      return { result: rungOk('rtsp', performance.now() - t0, stream.url), connected: true, refused: false };
    }
    st.rtspChallenge = undefined;
    const more = r.reason === 'auth_failed' && !r.basicRefused && i + 1 < attempts.length && left() > 1;
    if (more) continue;
    // nothing answered at the address: refused, no route, or a connect still pending at the deadline (a dead link drops the SYN)
    const connected = r.reason !== 'unreachable' && !(r.reason === 'timeout' && r.connectMs === undefined);
    const detail = scrubSecrets(r.detail, secrets);
    if (!connected) return { result: rungFail('rtsp', performance.now() - t0, 'rtsp_error', `RTSP ${target.host}:${target.port}: ${detail}`, stream.url), connected, refused: true };
    return { result: rungFail('rtsp', performance.now() - t0, r.reason, detail, stream.url), connected, refused: false };
  }
  return { result: rungFail('rtsp', performance.now() - t0, 'rtsp_error', 'no credentials to try', stream.url), connected: true, refused: false };
}

/**
 * The socket rungs (docs/domain.md §2): TCP → ONVIF (time, then an
 * authenticated call; a full inspection the first time and after each
 * discovery) → RTSP DESCRIBE. Stops at the first rung that fails. When the
 * RTSP rung fails on an ONVIF camera, its profiles and stream URIs are read
 * again at once: a changed URI is tried in the same check. Never throws.
 */
export async function runLiveness(st: CameraProbeState, ctx: LadderContext): Promise<RungResult[]> {
  const rungs = await livenessRungs(st, ctx);
  if (rungs.some((r) => !r.ok)) st.socketsFailedAt = Date.now();
  return rungs;
}

/**
 * The device rungs: TCP (the unauthenticated time request proves the host
 * and port answer, and gives the clock) and ONVIF (a full inspection the
 * first time and when asked, else one authenticated call). Of a camera's own
 * probe, or of an NVR's, shared by its channels. Stops at the first failure.
 */
async function onvifRungs(probe: OnvifProbe, target: CameraTarget, ctx: LadderContext, left: () => number, secrets: string[]): Promise<RungResult[]> {
  const rungs: RungResult[] = [];
  const xaddr = target.xaddr!;
  const t0 = performance.now();
  try {
    probe.clockDriftMs = await clockDrift(xaddr, left());
    rungs.push(rungOk('tcp', performance.now() - t0));
    const t1 = performance.now();
    const timeDiff = probe.clockDriftMs ?? 0;
    if (!probe.inspection || probe.reinspect) await inspectInto(probe, target, ctx, timeDiff, left());
    else probe.inspection.device = await onvifAuthCheck(xaddr, probe.inspection.credential, timeDiff, left());
    rungs.push(rungOk('onvif', performance.now() - t1));
  } catch (err) {
    const ms = performance.now() - t0;
    const msg = scrubSecrets(errorMessage(err), secrets);
    const code = err instanceof SoapError ? err.code : 'ONVIF_ERROR';
    const tcpPassed = rungs.length > 0;
    if (code === 'ONVIF_UNREACHABLE' && !tcpPassed) {
      rungs.push(rungFail('tcp', ms, 'unreachable', `ONVIF service ${xaddr}: ${msg}`));
    } else {
      if (!tcpPassed) rungs.push(rungOk('tcp', ms));
      // a device that stops accepting our credentials may have had them changed: inspect afresh next time
      if (code === 'ONVIF_AUTH') probe.inspection = undefined;
      rungs.push(rungFail('onvif', ms, code === 'ONVIF_AUTH' ? 'auth_failed' : code === 'ONVIF_TIMEOUT' ? 'timeout' : 'onvif_error', msg));
    }
  }
  return rungs;
}

/** A full inspection (login, profiles, channels, stream URIs) into a probe. */
async function inspectInto(probe: OnvifProbe, target: CameraTarget, ctx: LadderContext, timeDiffMs: number, deadlineMs: number): Promise<void> {
  probe.inspection = await inspectOnvif({ xaddr: target.xaddr!, candidates: credentialOrder(ctx.credentials, target.credentialName, probe.onvifCredentialName), timeDiffMs, deadlineMs });
  probe.onvifCredentialName = probe.inspection.credential?.name;
  probe.reinspect = false;
}

/** A channel takes its device's facts: its clock, the login, the inspection seen through its own video source. */
function takeFromDevice(st: CameraProbeState, probe: OnvifProbe, source: string): void {
  st.clockDriftMs = probe.clockDriftMs;
  st.onvifCredentialName = probe.onvifCredentialName;
  st.inspection = probe.inspection ? channelView(probe.inspection, source) : undefined;
}

async function livenessRungs(st: CameraProbeState, ctx: LadderContext): Promise<RungResult[]> {
  const rungs: RungResult[] = [];
  const deadline = Date.now() + ctx.livenessDeadlineMs;
  const left = () => Math.max(1, deadline - Date.now());
  const secrets = allSecrets(ctx, st.target);
  const channel = st.target.channel;
  const devices = channel ? ctx.devices : undefined;
  const since = ctx.since ?? Date.now();

  if (st.target.xaddr) {
    const xaddr = st.target.xaddr;
    let device: RungResult[];
    if (channel && devices) {
      // the NVR's rungs, once this round for all its channels
      device = await devices.rungs(channel.deviceId, xaddr, since, (probe) => onvifRungs(probe, st.target, ctx, left, secrets));
      takeFromDevice(st, devices.probeOf(channel.deviceId, xaddr), channel.source);
    } else {
      device = await onvifRungs(st, st.target, ctx, left, secrets);
    }
    rungs.push(...device.map((r) => ({ ...r })));
    if (device.some((r) => !r.ok)) return rungs;
  }

  const stream = streamOf(st, ctx);
  if (!stream || 'error' in stream) {
    rungs.push(rungFail('rtsp', 0, 'rtsp_error', stream ? stream.error : 'no stream URI known for this camera'));
    return rungs;
  }
  let r = await rtspRung(st, stream, left, secrets);
  if (!r.result.ok && st.target.xaddr && !st.target.rtspUrl && left() > 1) {
    // the camera may have a new profile, port or login in its URI: read them again and try the new one now
    // (an NVR's once a round, however many of its channels fail)
    const before = stream.url;
    const xaddr = st.target.xaddr;
    try {
      if (channel && devices) {
        await devices.reread(channel.deviceId, xaddr, since, ctx.channelRereadMs ?? 0, (probe) => inspectInto(probe, st.target, ctx, probe.clockDriftMs ?? 0, left()));
        takeFromDevice(st, devices.probeOf(channel.deviceId, xaddr), channel.source);
      } else {
        await inspectInto(st, st.target, ctx, st.clockDriftMs ?? 0, left());
      }
      const fresh = streamOf(st, ctx);
      if (fresh && !('error' in fresh) && fresh.url !== before) r = await rtspRung(st, fresh, left, secrets);
    } catch {
      if (channel && devices) devices.probeOf(channel.deviceId, xaddr).reinspect = true;
      else st.reinspect = true; // the next check reads them again
    }
  }
  if (!st.target.xaddr) {
    // without ONVIF, the RTSP port is the TCP rung
    if (r.refused) {
      const failed = r.result;
      rungs.push({ ...failed, rung: 'tcp', reason: 'unreachable' });
      return rungs;
    }
    rungs.push(rungOk('tcp', 0));
  }
  // with ONVIF answering, a refused RTSP port is the RTSP rung that failed, not the network
  rungs.push(r.result);
  return rungs;
}

/** The login the RTSP server asked for and took, for ffmpeg: none when it asked for none. */
function loginForFfmpeg(st: CameraProbeState): { username: string; password: string } | undefined {
  return st.rtspLogin ?? undefined;
}

/**
 * The stream the picture check reads, with credentials when its server asks:
 * the sub-stream when the camera has one (cheaper to decode, enough to judge
 * the picture). `publicUrl` names it without credentials.
 */
export function pictureUrlOf(st: CameraProbeState, ctx: LadderContext): { url: string; publicUrl: string; secrets: string[]; allowBasic: boolean } | undefined {
  const stream = streamOf(st, ctx);
  if (!stream || 'error' in stream) return undefined;
  const sub = st.target.rtspUrl ? undefined : st.inspection?.streams[1]?.uri;
  let base = stream.url;
  if (sub) {
    try {
      base = parseRtspUrl(sub).url;
    } catch {
      // an unusable sub-stream URI: judge the main stream
    }
  }
  return { url: withCredentials(base, loginForFfmpeg(st)), publicUrl: base, secrets: allSecrets(ctx, st.target), allowBasic: basicAllowed(st, stream) };
}

/** How the decode rung decodes: one camera's first keyframe, alone or in a group (CheckBatcher). */
export type KeyframeDecoder = (input: KeyframeInput, deadlineMs: number) => Promise<DecodeResult>;

/** The decode rung: ffmpeg decodes the first keyframe of the main stream. Never throws. */
export async function runDecode(st: CameraProbeState, ctx: LadderContext, decode: KeyframeDecoder = decodeKeyframe): Promise<RungResult> {
  const r = await decodeRung(st, ctx, decode);
  if (!r.ok) st.decodeFailedAt = Date.now();
  return r;
}

async function decodeRung(st: CameraProbeState, ctx: LadderContext, decode: KeyframeDecoder): Promise<RungResult> {
  const stream = streamOf(st, ctx);
  if (!stream) return rungFail('decode', 0, 'no_video', 'no stream URI known for this camera');
  if ('error' in stream) return rungFail('decode', 0, 'no_video', stream.error);
  const r = await decode({ url: withCredentials(stream.url, loginForFfmpeg(st)), secrets: allSecrets(ctx, st.target), allowBasic: basicAllowed(st, stream) }, ctx.decodeDeadlineMs);
  if (!r.ok) return rungFail('decode', r.ms, r.reason === 'timeout' ? 'timeout' : r.reason, r.detail, stream.url);
  st.stream = { ...r.metrics, rtspRttMs: st.stream?.rtspRttMs ?? null };
  return rungOk('decode', r.ms, stream.url);
}

/**
 * A picture check that decoded keyframes of the main stream proved what the
 * decode rung checks: it stands as the decode result of its time, so a decode
 * round need not open the stream again. One of the sub-stream proves nothing
 * about the main stream.
 */
export function decodeProvenByPicture(st: CameraProbeState, ctx: LadderContext, picture: RungResult, decoded: boolean): void {
  if (!decoded || !picture.streamUri) return;
  const stream = streamOf(st, ctx);
  if (!stream || 'error' in stream || stream.url !== picture.streamUri) return;
  st.decode = { rung: 'decode', ok: true, ms: picture.ms, reason: null, detail: null, at: picture.at, streamUri: stream.url };
}

const measuredAt = (r: RungResult | undefined) => (r?.at ? Date.parse(r.at) : 0);

/**
 * Which results describe the camera now (docs/domain.md §2): the socket rungs
 * of the last liveness check always; decode only while the socket rungs pass
 * and none failed since it was measured; picture only while decode (when it
 * runs) passes too and nothing below failed since. The rest is history.
 */
export function currency(st: CameraProbeState): { decode: boolean; picture: boolean } {
  const socketsOk = st.liveness.length > 0 && st.liveness.every((r) => r.ok);
  const decode = socketsOk && st.decode !== undefined && measuredAt(st.decode) >= st.socketsFailedAt;
  const belowOk = socketsOk && (st.decode === undefined || (decode && st.decode.ok));
  const picture = belowOk && st.picture !== undefined && measuredAt(st.picture) >= Math.max(st.socketsFailedAt, st.decodeFailedAt);
  return { decode, picture };
}

/** Every rung result with `current` set: the status shows old results as old. */
export function presentedRungs(st: CameraProbeState): RungResult[] {
  const c = currency(st);
  return [
    ...st.liveness.map((r) => ({ ...r, current: true })),
    ...(st.decode ? [{ ...st.decode, current: c.decode }] : []),
    ...(st.picture ? [{ ...st.picture, current: c.picture }] : []),
  ];
}

/** The picture faults that describe the camera now: none while its stream does not decode. */
export function presentedFaults(st: CameraProbeState): PictureFault[] {
  return currency(st).picture ? st.faults : [];
}

/**
 * The camera's verdict from its latest results: the lowest failed rung wins;
 * picture faults make it degraded. A picture check that could not finish (its
 * deadline, a hiccup) judges nothing: it is shown in the status but does not
 * count as a failed check, or one slow ffmpeg would turn a working camera
 * offline until the next picture check; the decode rung covers "no video".
 */
export function verdictOf(st: CameraProbeState): CheckVerdict {
  const socketsOk = st.liveness.every((r) => r.ok);
  const chain = [...st.liveness, ...(st.decode && socketsOk ? [st.decode] : [])];
  const failed = chain.find((r) => !r.ok);
  if (!failed) return { ok: true, degraded: presentedFaults(st).length > 0 };
  return { ok: false, rung: failed.rung, reason: failed.reason ?? 'rtsp_error', detail: failed.detail ?? '', result: failed };
}
