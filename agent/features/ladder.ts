import type { FailureReason, Rung, RungResult, StreamMetrics } from '../../protocols/index.js';
import type { CredentialSet } from '../../config/agent.js';
import { probeDecode } from '../adapters/ffprobe.js';
import { SoapError } from '../adapters/onvif/soap-client.js';
import { rtspDescribe, sdpVideoCodec } from '../adapters/rtsp-client.js';
import { parseRtspUrl, withCredentials } from '../adapters/rtsp-url.js';
import type { AuthChallenge } from '../lib/digest-auth.js';
import { errorMessage } from '../lib/errors.js';
import { scrubSecrets } from '../lib/redact.js';
import type { CameraTarget } from './camera-target.js';
import type { CheckVerdict } from './camera-health.js';
import type { PictureFault } from './picture-faults.js';
import { clockDrift, credentialOrder, inspectOnvif, onvifAuthCheck, type OnvifInspection } from './onvif-inspect.js';

/** Everything the agent knows about one camera between checks. */
export interface CameraProbeState {
  target: CameraTarget;
  inspection: OnvifInspection | undefined;
  /** name of the credential set that worked last (ONVIF or RTSP) */
  credentialName: string | undefined;
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
}

export const newProbeState = (target: CameraTarget): CameraProbeState => ({
  target,
  inspection: undefined,
  credentialName: undefined,
  rtspChallenge: undefined,
  clockDriftMs: null,
  liveness: [],
  decode: undefined,
  picture: undefined,
  faults: [],
  stream: null,
});

export interface LadderContext {
  credentials: CredentialSet[];
  livenessDeadlineMs: number;
  decodeDeadlineMs: number;
  decodeSeconds: number;
}

const rungOk = (rung: Rung, ms: number): RungResult => ({ rung, ok: true, ms: Math.round(ms * 10) / 10, reason: null, detail: null });
const rungFail = (rung: Rung, ms: number, reason: FailureReason, detail: string): RungResult => ({ rung, ok: false, ms: Math.round(ms * 10) / 10, reason, detail });

function allSecrets(ctx: LadderContext, target: CameraTarget): string[] {
  const s = ctx.credentials.map((c) => c.password);
  if (target.rtspUrl) {
    const p = parseRtspUrl(target.rtspUrl).password;
    if (p) s.push(p);
  }
  return s;
}

/** The RTSP URL to check (without credentials) and the credential candidates for it. */
export function streamOf(st: CameraProbeState, ctx: LadderContext): { url: string; candidates: Array<{ username: string; password: string } | undefined>; name: string | undefined } | undefined {
  const raw = st.target.rtspUrl ?? st.inspection?.streams[0]?.uri;
  if (!raw) return undefined;
  const t = parseRtspUrl(raw);
  if (t.username !== undefined) return { url: t.url, candidates: [{ username: t.username, password: t.password ?? '' }], name: undefined };
  if (st.inspection) {
    const c = st.inspection.credential;
    return { url: t.url, candidates: [c ? { username: c.username, password: c.password } : undefined], name: c?.name };
  }
  const order = credentialOrder(ctx.credentials, st.target.credentialName, st.credentialName);
  return { url: t.url, candidates: order.map((c) => (c ? { username: c.username, password: c.password } : undefined)), name: undefined };
}

/**
 * The socket rungs (docs/domain.md §2): TCP → ONVIF (time, then an authenticated
 * call; a full inspection the first time) → RTSP DESCRIBE. Stops at the first
 * rung that fails. Never throws.
 */
export async function runLiveness(st: CameraProbeState, ctx: LadderContext): Promise<RungResult[]> {
  const rungs: RungResult[] = [];
  const deadline = Date.now() + ctx.livenessDeadlineMs;
  const left = () => Math.max(1, deadline - Date.now());
  const secrets = allSecrets(ctx, st.target);

  if (st.target.xaddr) {
    const t0 = performance.now();
    try {
      st.clockDriftMs = await clockDrift(st.target.xaddr, left());
      // the unauthenticated time request proves the host and port answer
      rungs.push(rungOk('tcp', performance.now() - t0));
      const t1 = performance.now();
      const timeDiff = st.clockDriftMs ?? 0;
      if (!st.inspection) {
        const candidates = credentialOrder(ctx.credentials, st.target.credentialName, st.credentialName);
        st.inspection = await inspectOnvif({ xaddr: st.target.xaddr, candidates, timeDiffMs: timeDiff, deadlineMs: left() });
        st.credentialName = st.inspection.credential?.name;
      } else {
        st.inspection.device = await onvifAuthCheck(st.target.xaddr, st.inspection.credential, timeDiff, left());
      }
      rungs.push(rungOk('onvif', performance.now() - t1));
    } catch (err) {
      const ms = performance.now() - t0;
      const msg = scrubSecrets(errorMessage(err), secrets);
      const code = err instanceof SoapError ? err.code : 'ONVIF_ERROR';
      const tcpPassed = rungs.length > 0;
      if (code === 'ONVIF_UNREACHABLE' && !tcpPassed) {
        rungs.push(rungFail('tcp', ms, 'unreachable', `ONVIF service ${st.target.xaddr}: ${msg}`));
      } else {
        if (!tcpPassed) rungs.push(rungOk('tcp', ms));
        // a device that stops accepting our credentials may have had them changed: inspect afresh next time
        if (code === 'ONVIF_AUTH') st.inspection = undefined;
        rungs.push(rungFail('onvif', ms, code === 'ONVIF_AUTH' ? 'auth_failed' : code === 'ONVIF_TIMEOUT' ? 'timeout' : 'onvif_error', msg));
      }
      return rungs;
    }
  }

  const stream = streamOf(st, ctx);
  if (!stream) {
    rungs.push(rungFail('rtsp', 0, 'rtsp_error', 'no stream URI known for this camera'));
    return rungs;
  }
  let target: ReturnType<typeof parseRtspUrl>;
  try {
    target = parseRtspUrl(stream.url);
  } catch (err) {
    rungs.push(rungFail('rtsp', 0, 'rtsp_error', `stream URI unusable: ${errorMessage(err)}`));
    return rungs;
  }
  const t0 = performance.now();
  for (const [i, creds] of stream.candidates.entries()) {
    const r = await rtspDescribe({ host: target.host, port: target.port, url: target.url, credentials: creds, deadlineMs: left(), challenge: st.rtspChallenge });
    if (r.ok) {
      st.rtspChallenge = r.challenge;
      if (!st.inspection && stream.candidates.length > 1) st.credentialName = credentialOrder(ctx.credentials, st.target.credentialName, st.credentialName)[i]?.name;
      const codec = sdpVideoCodec(r.sdp);
      st.stream = { ...(st.stream ?? { codec: null, width: null, height: null, fps: null, bitrate: null, frames: null }), rtspRttMs: Math.round(r.rttMs * 10) / 10, codec: st.stream?.codec ?? codec?.toLowerCase() ?? null };
      if (!st.target.xaddr) rungs.push(rungOk('tcp', r.connectMs));
      rungs.push(rungOk('rtsp', performance.now() - t0));
      return rungs;
    }
    st.rtspChallenge = undefined;
    const more = r.reason === 'auth_failed' && i + 1 < stream.candidates.length && Date.now() < deadline;
    if (more) continue;
    if (r.reason === 'unreachable') {
      rungs.push(rungFail('tcp', performance.now() - t0, 'unreachable', `RTSP ${target.host}:${target.port}: ${scrubSecrets(r.detail, secrets)}`));
    } else {
      if (!st.target.xaddr) rungs.push(rungOk('tcp', r.connectMs ?? 0));
      rungs.push(rungFail('rtsp', performance.now() - t0, r.reason, scrubSecrets(r.detail, secrets)));
    }
    return rungs;
  }
  rungs.push(rungFail('rtsp', performance.now() - t0, 'rtsp_error', 'no credentials to try'));
  return rungs;
}

/**
 * The stream the picture check reads, with credentials: the sub-stream when
 * the camera has one (cheaper to decode, enough to judge the picture).
 */
export function pictureUrlOf(st: CameraProbeState, ctx: LadderContext): { url: string; secrets: string[] } | undefined {
  const stream = streamOf(st, ctx);
  if (!stream) return undefined;
  const sub = st.target.rtspUrl ? undefined : st.inspection?.streams[1]?.uri;
  const base = sub ? parseRtspUrl(sub).url : stream.url;
  return { url: withCredentials(base, stream.candidates[0]), secrets: allSecrets(ctx, st.target) };
}

/** The decode rung: ffprobe reads a few seconds of the stream. Never throws. */
export async function runDecode(st: CameraProbeState, ctx: LadderContext): Promise<RungResult> {
  const stream = streamOf(st, ctx);
  if (!stream) return rungFail('decode', 0, 'no_video', 'no stream URI known for this camera');
  // candidates come in order of preference: the set that worked last comes first
  const r = await probeDecode({
    url: withCredentials(stream.url, stream.candidates[0]),
    deadlineMs: ctx.decodeDeadlineMs,
    seconds: ctx.decodeSeconds,
    secrets: allSecrets(ctx, st.target),
  });
  if (!r.ok) return rungFail('decode', r.ms, r.reason === 'timeout' ? 'timeout' : r.reason, r.detail);
  st.stream = { ...r.metrics, rtspRttMs: st.stream?.rtspRttMs ?? null };
  return rungOk('decode', r.ms);
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
  const decodeOk = socketsOk && (!st.decode || st.decode.ok);
  const chain = [...st.liveness, ...(st.decode && socketsOk ? [st.decode] : [])];
  const failed = chain.find((r) => !r.ok);
  if (!failed) return { ok: true, degraded: decodeOk && st.faults.length > 0 };
  return { ok: false, rung: failed.rung, reason: failed.reason ?? 'rtsp_error', detail: failed.detail ?? '' };
}
