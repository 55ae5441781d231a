import type { CameraState, FailureReason, OutageCause, Rung } from './messages.js';

/** The picture faults the agent can name (docs/domain.md §4). */
export const PICTURE_FAULTS = ['signal_loss', 'black_screen', 'blue_screen', 'frozen', 'blur', 'too_dark', 'too_bright', 'low_contrast', 'colour_cast', 'occlusion', 'scene_changed'] as const;
export type PictureFaultName = (typeof PICTURE_FAULTS)[number];

/** A language of the console, the exports and the CLI's tables. */
export type TermLang = 'zh' | 'en';
type Pair = readonly [zh: string, en: string];

/**
 * The machine's words in the operator's language: every camera state,
 * rung, failure reason and picture fault of the contract, in Chinese and in
 * English. One table for the console, the report's XLSX and CSV, and the
 * CLI; the compiler and a unit test hold it complete. What a device said
 * itself (a SOAP fault, an RTSP status line) is not a term: it is shown as
 * the device said it.
 */
export const TERMS: {
  state: Record<CameraState, Pair>;
  rung: Record<Rung, Pair>;
  reason: Record<FailureReason, Pair>;
  fault: Record<PictureFaultName, Pair>;
  cause: Record<OutageCause, Pair>;
} = {
  state: {
    online: ['在线', 'online'],
    degraded: ['画面异常', 'degraded'],
    offline: ['离线', 'offline'],
    unknown: ['未知', 'unknown'],
  },
  rung: {
    tcp: ['网络', 'network'],
    onvif: ['ONVIF', 'ONVIF'],
    rtsp: ['RTSP', 'RTSP'],
    decode: ['解码', 'decode'],
    picture: ['画面', 'picture'],
  },
  reason: {
    unreachable: ['无法连接', 'unreachable'],
    onvif_error: ['ONVIF 错误', 'ONVIF error'],
    auth_failed: ['认证失败', 'login refused'],
    rtsp_error: ['RTSP 错误', 'RTSP error'],
    busy: ['设备忙（连接数已满）', 'busy (session limit)'],
    no_video: ['无视频', 'no video'],
    degraded: ['画面异常', 'picture faults'],
    timeout: ['超时', 'timed out'],
    gateway_offline: ['网关离线', 'gateway offline'],
  },
  fault: {
    signal_loss: ['信号丢失', 'signal loss'],
    black_screen: ['黑屏', 'black screen'],
    blue_screen: ['蓝屏', 'blue screen'],
    frozen: ['画面冻结', 'frozen'],
    blur: ['模糊', 'blurred'],
    too_dark: ['过暗', 'too dark'],
    too_bright: ['过亮', 'too bright'],
    low_contrast: ['低对比度', 'low contrast'],
    colour_cast: ['偏色', 'colour cast'],
    occlusion: ['遮挡', 'occluded'],
    scene_changed: ['场景变化', 'scene changed'],
  },
  cause: {
    camera: ['前端故障', 'camera'],
    device: ['NVR/编码器故障', 'NVR/encoder'],
    network: ['网络故障', 'site network'],
    gateway: ['网关离线', 'gateway'],
  },
};

export type TermKind = keyof typeof TERMS;

/** A term in `lang`; a word the table does not know (a newer agent's) is shown as it came. */
export function term(kind: TermKind, value: string | null | undefined, lang: TermLang): string {
  if (value === null || value === undefined) return '';
  const table = TERMS[kind] as Record<string, Pair>;
  const pair = Object.prototype.hasOwnProperty.call(table, value) ? table[value] : undefined;
  return pair ? pair[lang === 'zh' ? 0 : 1] : value;
}

/** The language a request asks for: `lang` if given (zh, zh-CN, en…), else its Accept-Language; Chinese unless English comes first. */
export function termLang(lang: string | null | undefined, acceptLanguage?: string | null): TermLang {
  const pick = (s: string) => (/^en\b/i.test(s.trim()) ? 'en' : /^zh\b/i.test(s.trim()) ? 'zh' : undefined);
  if (lang) return pick(lang) ?? 'zh';
  for (const part of (acceptLanguage ?? '').split(',')) {
    const l = pick(part.split(';')[0] ?? '');
    if (l) return l;
  }
  return 'zh';
}
