import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import { term, type TermKind } from '../../../protocols/terms.js';
import type { Lang } from './format.js';

export type { Lang };

/** Every label of the console in both languages; zh-CN first. */
const WORDS = {
  title: ['雪亮工程 · 视频联网监测', 'Sharp Eyes · video network monitor'],
  overview: ['总览', 'Overview'],
  regions: ['区域', 'Regions'],
  problems: ['问题', 'Problems'],
  gateways: ['网关', 'Gateways'],
  plan: ['点位', 'Plan'],
  camera: ['摄像机', 'Camera'],
  language: ['English', '中文'],
  languageName: ['切换语言', 'Switch language'],
  all: ['全部', 'All'],
  wholeArea: ['全域', 'Whole area'],
  window: ['时段', 'Window'],
  today: ['今日', 'Today'],
  '24h': ['24 小时', '24 h'],
  '7d': ['7 天', '7 days'],
  '30d': ['30 天', '30 days'],
  coverage: ['覆盖率', 'Coverage'],
  networking: ['联网率', 'Networking'],
  intact: ['完好率', 'Intact'],
  register: ['建档率', 'On file'],
  registerGaps: ['档案不全的摄像机', 'Cameras with an incomplete record'],
  registerNote: ['一机一档：点位需具备必填项，设备需上报厂商、型号、序列号。', 'One record per camera: its point needs the required fields, its device must report maker, model and serial.'],
  missing: ['缺少', 'Missing'],
  gap_point: ['未绑定点位', 'no point'],
  gap_gbId: ['国标编码', 'GB/T 28181 id'],
  gap_name: ['点位名称', 'point name'],
  gap_address: ['安装地址', 'address'],
  gap_longitude: ['经度', 'longitude'],
  gap_latitude: ['纬度', 'latitude'],
  gap_category: ['点位类别', 'category'],
  gap_installedOn: ['安装日期', 'installed on'],
  gap_owner: ['建设单位', 'owner'],
  gap_maintainer: ['运维单位', 'maintainer'],
  gap_manufacturer: ['设备厂商', 'manufacturer'],
  gap_model: ['设备型号', 'model'],
  gap_serial: ['设备序列号', 'serial'],
  online: ['在线率', 'Online'],
  recording: ['录像完整率', 'Recording'],
  target: ['目标', 'Target'],
  noTarget: ['无国家目标', 'no national target'],
  noRate: ['无数据', 'no data'],
  key_public_area: ['重点公共区域', 'Key public areas'],
  key_industry_part: ['重点行业领域重要部位', 'Key industry parts'],
  other: ['其他', 'Other'],
  unassigned: ['未规划', 'Unplanned'],
  category: ['类别', 'Category'],
  region: ['区域', 'Region'],
  level: ['级别', 'Level'],
  province: ['省', 'Province'],
  city: ['市', 'City'],
  county: ['区县', 'County'],
  unit: ['基层', 'Unit'],
  cameras: ['摄像机', 'Cameras'],
  installed: ['已建', 'Installed'],
  points: ['点位', 'Points'],
  state: ['状态', 'State'],
  maintenance: ['维护中', 'In maintenance'],
  gatewaysOnline: ['网关在线', 'Gateways online'],
  trend: ['近 30 天在线率与完好率', 'Online and intact rate, last 30 days'],
  trendTable: ['逐日数据', 'Daily figures'],
  day: ['日期', 'Day'],
  loading: ['加载中…', 'Loading…'],
  failed: ['加载失败', 'Could not load'],
  retry: ['重试', 'Retry'],
  drill: ['下级区域', 'Child regions'],
  noChildren: ['没有下级区域的数据', 'No child regions with data'],
  sortBy: ['排序', 'Sort by'],
  problemsTitle: ['问题摄像机（按持续时间排序）', 'Cameras with problems, longest first'],
  allProblems: ['全部问题', 'All problems'],
  gateway: ['网关', 'Gateway'],
  point: ['点位', 'Point'],
  rung: ['检测层级', 'Rung'],
  reason: ['原因', 'Reason'],
  detail: ['详情', 'Detail'],
  since: ['开始于', 'Since'],
  duration: ['持续', 'For'],
  fault: ['画面故障', 'Picture fault'],
  anyFault: ['任意故障', 'Any fault'],
  search: ['搜索编号或名称', 'Search id or name'],
  prev: ['上一页', 'Previous'],
  next: ['下一页', 'Next'],
  ofTotal: ['共', 'of'],
  none: ['没有问题摄像机', 'No cameras with problems'],
  live: ['实时', 'Live'],
  liveOff: ['实时连接中断，正在重连', 'Live updates lost, reconnecting'],
  exportCsv: ['导出 CSV', 'Export CSV'],
  exportXlsx: ['导出考核表 XLSX', 'Assessment sheet XLSX'],
  exportDayXlsx: ['导出日报 XLSX', 'Day sheet XLSX'],
  month: ['月份', 'Month'],
  status: ['状态', 'Status'],
  measuredAt: ['测得于', 'Measured at'],
  lastConfirmed: ['最近确认', 'Last checked'],
  lastConfirmedHelp: ['网关最近一轮检测确认此状态的时间（状态只在变化时上报）', 'when its gateway last confirmed this status in a liveness round (statuses are sent only when they change)'],
  statusReported: ['状态上报', 'Status reported'],
  unconfirmed: ['网关已多轮未确认，按未知计', 'not confirmed by its gateway for several rounds: counted unknown'],
  rungs: ['逐层检测结果（最近一次上报的状态）', 'Rungs, as the last status reported them'],
  ok: ['正常', 'OK'],
  notOk: ['失败', 'Failed'],
  stale: ['未重新检测', 'not measured again'],
  device: ['设备信息', 'Device'],
  manufacturer: ['厂商', 'Manufacturer'],
  model: ['型号', 'Model'],
  firmware: ['固件', 'Firmware'],
  serial: ['序列号', 'Serial'],
  clockDrift: ['时钟偏差', 'Clock drift'],
  stream: ['码流', 'Stream'],
  codec: ['编码', 'Codec'],
  resolution: ['分辨率', 'Resolution'],
  fps: ['帧率', 'Frame rate'],
  bitrate: ['码率', 'Bitrate'],
  rtt: ['RTSP 往返', 'RTSP round trip'],
  faults: ['画面故障', 'Picture faults'],
  measured: ['测量值', 'Measured'],
  threshold: ['阈值', 'Threshold'],
  noFaults: ['无画面故障', 'No picture faults'],
  frames: ['参考帧与最新分析帧', 'Reference and latest analysed frame'],
  noFrames: ['该网关不上传画面：画面在网关本地分析，中心只收到测量值。', 'This gateway does not share frames: pictures are analysed on the gateway and only the measurements reach the centre.'],
  timeline: ['状态时间线', 'State timeline'],
  uptime: ['在线时长', 'Uptime'],
  observed: ['观测', 'observed'],
  unknownTime: ['未知', 'unknown'],
  notFound: ['没有这台摄像机', 'No such camera'],
  agentVersion: ['版本', 'Version'],
  config: ['配置', 'Config'],
  site: ['站点', 'Site'],
  gwOnline: ['在线', 'Online'],
  gwOffline: ['离线', 'Offline'],
  gwDownNote: ['网关离线时，其摄像机计为“未知”，不计为离线。', 'While a gateway is down its cameras count as unknown, not offline.'],
  noConfig: ['未下发', 'none pushed'],
  audit: ['审计', 'Audit'],
  auditNote: ['安全审计：谁在何时从何处修改或导出了什么。每条记录与前一条以哈希相连，可用 xueliang audit verify 校验。', 'Who changed or exported what, when and from where. Each record is chained to the one before by its hash: xueliang audit verify checks it.'],
  auditShow: ['查询', 'Show'],
  auditNext: ['下一页', 'Next page'],
  auditFirst: ['第一页', 'First page'],
  audit_at: ['时间', 'Time'],
  audit_actor: ['操作者', 'Actor'],
  audit_source: ['来源', 'From'],
  audit_action: ['操作', 'Action'],
  audit_target: ['对象', 'Target'],
  audit_detail: ['摘要', 'Summary'],
  audit_since: ['起', 'Since'],
  audit_until: ['止', 'Until'],
  gbUpstreams: ['上级平台（GB/T 28181 级联）', 'Upper platforms (GB/T 28181)'],
  gbNote: ['本中心作为下级平台向上级视频联网平台注册，上报目录与每台摄像机的在线状态（ON/OFF）。', 'This centre registers with the upper video platforms as a lower platform and reports its catalog and every camera\'s status (ON/OFF).'],
  gbPlatform: ['平台', 'Platform'],
  gbAddress: ['地址', 'Address'],
  gbRegistered: ['已注册', 'Registered'],
  gbRegistering: ['注册中', 'Registering'],
  gbFailed: ['注册被拒', 'Refused'],
  gbUnregistered: ['未注册', 'Not registered'],
  gbKeepalive: ['最近心跳', 'Last keepalive'],
  gbSubs: ['目录订阅', 'Subscriptions'],
  gbNotifies: ['已通知', 'Notified'],
  gbLastError: ['最近错误', 'Last error'],
  gbReported: ['已上报摄像机', 'Cameras reported'],
  gbUnreported: ['无有效国标编码、未上报', 'Without a valid GB/T 28181 id, not reported'],
  uncovered: ['未达要求的点位', 'Points with fewer cameras than required'],
  unclaimed: ['未绑定点位的摄像机', 'Cameras no point claims'],
  required: ['需要', 'Required'],
  name: ['名称', 'Name'],
  upload: ['上传点位表', 'Upload the point plan'],
  uploadHelp: ['CSV（带表头）或 JSON；需要管理令牌（http.token）。上传将替换整个点位表。', 'CSV with a header row, or JSON; needs the admin token (http.token). The upload replaces the whole plan.'],
  token: ['管理令牌', 'Admin token'],
  file: ['文件', 'File'],
  send: ['上传', 'Upload'],
  loaded: ['已载入点位', 'Points loaded'],
  rowErrors: ['有错误的行', 'Rows with errors'],
  line: ['行', 'Line'],
  nothing: ['无', 'None'],
  more: ['更多', 'more'],
  denominatorNote: ['分子 / 分母', 'numerator / denominator'],
  deviceSaid: ['原文', 'As reported'],
  deviceSaidHelp: ['设备或协议返回的原始信息，未翻译', 'what the device or protocol said, untranslated'],
} satisfies Record<string, [string, string]>;

export type Word = keyof typeof WORDS;

export function translate(lang: Lang, w: Word): string {
  return WORDS[w][lang === 'zh' ? 0 : 1];
}

export const LangContext = createContext<Lang>('zh');

/** The translator of the language in force. */
export function useT(): (w: Word) => string {
  const lang = useContext(LangContext);
  return (w) => translate(lang, w);
}

export function isWord(w: string): w is Word {
  return Object.prototype.hasOwnProperty.call(WORDS, w);
}

/** The contract's words (states, rungs, reasons, faults) in the language in force: one table for console, exports and CLI (protocols/terms.ts). */
export function useTerm(): (kind: TermKind, value: string | null | undefined) => string {
  const lang = useContext(LangContext);
  return (kind, value) => term(kind, value, lang);
}

/** A term as a heading or a label starts it: Offline, 离线. */
export function useTermHeading(): (kind: TermKind, value: string) => string {
  const term = useTerm();
  return (kind, value) => {
    const w = term(kind, value);
    return w.charAt(0).toUpperCase() + w.slice(1);
  };
}

/** A list of terms as the language writes it: 黑屏、画面冻结 / black screen, frozen. */
export function listOf(lang: Lang, items: string[]): string {
  return items.join(lang === 'zh' ? '、' : ', ');
}
