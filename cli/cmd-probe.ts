import { parseArgs } from 'node:util';
import { term, type RungResult } from '../protocols/index.js';
import { pictureSettings } from '../config/picture.js';
import { maskUrlPassword } from '../platform/redact.js';
import type { CredentialSet } from '../config/agent.js';
import { cliLang, EXIT, out, table, UsageError } from './output.js';
import { normaliseXaddr, type CameraTarget, newProbeState, pictureUrlOf, runDecode, runLiveness, verdictOf, analysePicture, type PictureMetrics, faultsOf, inNightWindow, judgePicture, pictureRung, type Verdict, parseRtspUrl, errorMessage } from '../agent/index.js';

export const probeHelp = `xueliang probe <rtsp-url | onvif-address> [options]

Runs the whole check ladder once against one camera and prints each rung with
its timing and the verdict: TCP → ONVIF → RTSP DESCRIBE → ffmpeg decode (the first keyframe).
  rtsp://[user:pass@]host[:port]/path   an RTSP stream
  http://host[:port]/onvif/device_service, or host[:port]   an ONVIF camera
  --user U --password P   credentials (or env XUELIANG_CAMERA_PASSWORD)
  --seconds N         with --picture: the longest stretch of stream the picture check reads (default 10; it stops at 3 keyframes)
  --deadline MS       deadline of the socket rungs (default 10000); decode gets twice that
  --picture           also judge the picture: every metric with its threshold and verdict
  --save-frame FILE   with --picture: save a full-resolution frame as JPEG
  --json              print JSON for scripts
  --lang zh-CN|en     words of the table (default: Chinese when the locale is, else English);
                      what the device said itself (a SOAP fault, an RTSP status line) is shown as it said it
Exit code 0 when every rung passes, 1 when one fails or the picture is degraded, 2 on wrong usage.`;

export async function runProbe(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      password: { type: 'string' },
      seconds: { type: 'string' },
      deadline: { type: 'string' },
      json: { type: 'boolean' },
      picture: { type: 'boolean' },
      'save-frame': { type: 'string' },
      lang: { type: 'string' },
    },
    strict: true,
  });
  const lang = cliLang(values.lang);
  const zh = lang === 'zh';
  const where = positionals[0];
  if (!where || positionals.length > 1) throw new UsageError('give one RTSP URL or ONVIF address');
  const seconds = Number(values.seconds ?? 10);
  const deadline = Number(values.deadline ?? 10_000);
  if (!(seconds >= 1 && seconds <= 60)) throw new UsageError('--seconds takes 1 <= N <= 60');
  if (!(deadline >= 100 && deadline <= 120_000)) throw new UsageError('--deadline takes 100..120000 ms');
  const password = values.password ?? process.env['XUELIANG_CAMERA_PASSWORD'];
  const credentials: CredentialSet[] = values.user ? [{ name: 'cli', username: values.user, password: password ?? '' }] : [];

  const isRtsp = where.startsWith('rtsp://');
  if (isRtsp) {
    try {
      parseRtspUrl(where);
    } catch (e) {
      throw new UsageError(`${maskUrlPassword(where)}: ${errorMessage(e)}`);
    }
  }
  const target: CameraTarget = {
    id: 'probe',
    name: null,
    xaddr: isRtsp ? undefined : normaliseXaddr(where),
    endpoint: undefined,
    rtspUrl: isRtsp ? where : undefined,
    credentialName: undefined,
    pointId: null,
    category: null,
    origin: 'config',
  };
  const ctx = { credentials, livenessDeadlineMs: deadline, decodeDeadlineMs: deadline * 2 };
  const st = newProbeState(target);
  st.liveness = await runLiveness(st, ctx);
  if (st.liveness.every((r) => r.ok)) st.decode = await runDecode(st, ctx);
  let picture: { verdicts: Verdict[]; metrics: PictureMetrics | null; frame: string | null } | undefined;
  if (values.picture && st.decode?.ok) {
    const target = pictureUrlOf(st, ctx);
    if (target) {
      const settings = pictureSettings.parse({ seconds, deadlineMs: Math.max(deadline * 2, 20_000) });
      const r = await analysePicture({ url: target.url, seconds: settings.seconds, keyframes: settings.keyframes, deadlineMs: settings.deadlineMs, secrets: target.secrets, snapshotJpeg: values['save-frame'] });
      if (r.ok) {
        const verdicts = judgePicture(r.metrics, settings.thresholds, { blurBaseline: null, night: inNightWindow(Date.now(), settings.nightFrom, settings.nightTo) });
        st.faults = faultsOf(verdicts);
        st.picture = { ...pictureRung(r.ms, st.faults), streamUri: target.publicUrl };
        picture = { verdicts, metrics: r.metrics, frame: values['save-frame'] ?? null };
      } else {
        st.picture = { rung: 'picture', ok: false, ms: Math.round(r.ms), reason: r.reason === 'timeout' || r.reason === 'busy' ? r.reason : 'no_video', detail: r.detail, at: new Date().toISOString(), streamUri: target.publicUrl };
      }
    }
  }
  const rungs: RungResult[] = [...st.liveness, ...(st.decode ? [st.decode] : []), ...(st.picture ? [st.picture] : [])];
  const verdict = verdictOf(st);
  const streamUri = st.target.rtspUrl ?? st.inspection?.streams[0]?.uri;
  const report = {
    target: maskUrlPassword(where),
    verdict: !verdict.ok ? 'failed' : verdict.degraded ? 'degraded' : 'ok',
    failedRung: verdict.ok ? null : verdict.rung,
    reason: verdict.ok ? null : verdict.reason,
    rungs,
    device: st.inspection?.device ?? null,
    streams: st.inspection?.streams.map((s) => ({ profile: s.profile, uri: maskUrlPassword(s.uri) })) ?? (streamUri ? [{ profile: null, uri: maskUrlPassword(streamUri) }] : []),
    stream: st.stream,
    clockDriftMs: st.clockDriftMs,
    faults: st.faults,
    picture: picture ?? null,
  };
  if (values.json) {
    out(JSON.stringify(report, null, 2));
  } else {
    out(`${zh ? '检测' : 'Probing'} ${report.target}`);
    if (report.device) out(zh ? `设备：${report.device.manufacturer ?? '?'} ${report.device.model ?? '?'}，固件 ${report.device.firmware ?? '?'}，序列号 ${report.device.serial ?? '?'}` : `Device: ${report.device.manufacturer ?? '?'} ${report.device.model ?? '?'}, firmware ${report.device.firmware ?? '?'}, serial ${report.device.serial ?? '?'}`);
    if (report.clockDriftMs !== null) out(`${zh ? '时钟偏差' : 'Clock drift'}: ${(report.clockDriftMs / 1000).toFixed(1)} s${Math.abs(report.clockDriftMs) > 5000 ? (zh ? '  （超过 5 秒：WS-Security 登录与取证时间戳会出错）' : '  (over 5 s: breaks WS-Security logins and evidence timestamps)') : ''}`);
    for (const s of report.streams) out(`${zh ? '码流' : 'Stream'}${s.profile ? ` (${s.profile})` : ''}: ${s.uri}`);
    out('');
    out(table(zh ? ['检测层级', '结果', '耗时', '详情'] : ['RUNG', 'RESULT', 'TIME', 'DETAIL'], rungs.map((r) => [term('rung', r.rung, lang), r.ok ? (zh ? '正常' : 'ok') : `${zh ? '失败' : 'FAIL'} ${term('reason', r.reason, lang)}`, `${Math.round(r.ms)} ms`, r.detail ?? ''])));
    const m = st.stream;
    if (m && st.decode?.ok) out(`\nVideo: ${m.codec ?? '?'} ${m.width ?? '?'}x${m.height ?? '?'} @ ${m.fps ?? '?'} fps, first keyframe decoded${m.bitrate ? `, ${Math.round(m.bitrate / 1000)} kbit/s` : ''}`);
    if (picture) {
      out('\nPicture (one check; blur and scene need a baseline the agent learns over time):');
      out(table(zh ? ['规则', '测量值', '阈值', '判定'] : ['RULE', 'MEASURED', 'THRESHOLD', 'VERDICT'], picture.verdicts.map((v) => [term('fault', v.rule, lang), v.value === null ? '-' : String(v.value), v.threshold === null ? '-' : String(v.threshold), v.fault ? (zh ? '故障' : 'FAULT') : v.skipped ? `${zh ? '不适用' : 'n/a'} (${v.skipped})` : zh ? '正常' : 'ok'])));
      if (picture.frame) out(`Frame saved to ${picture.frame}`);
    }
    const degraded = verdict.ok && verdict.degraded;
    if (zh) out(`\n结论：${!verdict.ok ? `在${term('rung', verdict.rung, lang)}层失败（${term('reason', verdict.reason, lang)}）：${verdict.detail}` : degraded ? `画面异常——码流正常，但画面有：${st.faults.map((f) => term('fault', f.fault, lang)).join('、')}` : '正常——各层检测均通过'}`);
    else out(`\nVerdict: ${!verdict.ok ? `FAILED at ${verdict.rung} (${term('reason', verdict.reason, lang)}): ${verdict.detail}` : degraded ? `DEGRADED — the stream works but the picture shows: ${st.faults.map((f) => term('fault', f.fault, lang)).join(', ')}` : 'OK — every rung passed'}`);
  }
  return verdict.ok && !verdict.degraded ? EXIT.ok : EXIT.failed;
}
