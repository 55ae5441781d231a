import { localParts, regionName, type TermLang } from '../../protocols/index.js';
import type { Report } from './report.js';

/** The words of the report's exports (XLSX sheets and CSV), Chinese first; terms of the contract come from protocols/terms.ts. */
export const EXPORT_WORDS = {
  assessment: ['考核', 'Assessment'],
  assessmentTitle: ['视频监控联网考核', 'Video network assessment'],
  ranking: ['排名', 'Ranking'],
  rankingTitle: ['下级区域排名', 'Child regions ranked'],
  flapping: ['频繁变化', 'Flapping'],
  flappingTitle: ['状态频繁变化的摄像机', 'Cameras whose state flaps'],
  offline: ['离线', 'Offline'],
  offlineTitle: ['离线最久的摄像机', 'Cameras offline longest'],
  repair: ['修复', 'Repair'],
  degraded: ['画面异常', 'Degraded'],
  degradedTitle: ['期末画面异常的摄像机及故障画面', 'Cameras with picture faults at the end, with the faulted frame'],
  frame: ['故障画面', 'Frame'],
  faults: ['画面故障', 'Faults'],
  frameAt: ['画面时间', 'Frame time'],
  noFrame: ['中心无此摄像机的故障画面', 'no faulted frame at the centre'],
  repairTitle: ['平均修复时间', 'Mean time to repair'],
  losses: ['丢失事件', 'Losses'],
  lossesTitle: ['网关报告丢失的事件', 'Events the gateways reported lost'],
  region: ['区域代码', 'Region'],
  regionName: ['区域名称', 'Region name'],
  category: ['类别', 'Category'],
  points: ['点位', 'Points'],
  covered: ['已覆盖点位', 'Covered points'],
  coverage: ['覆盖率', 'Coverage'],
  installed: ['已建', 'Installed'],
  networked: ['联网', 'Networked'],
  networking: ['联网率', 'Networking'],
  intact: ['完好', 'Intact'],
  intactRate: ['完好率', 'Intact rate'],
  target: ['完好率目标', 'Intact target'],
  onlineH: ['在线小时', 'Online h'],
  unknownH: ['未知小时', 'Unknown h'],
  observedH: ['观测小时', 'Observed h'],
  online: ['在线率', 'Online rate'],
  maintenanceH: ['维护小时', 'Maintenance h'],
  recording: ['录像完整率', 'Recording'],
  recordingCameras: ['录像检查摄像机', 'Recording cameras'],
  recordingUnsupported: ['不支持录像检索', 'Recording unsupported'],
  recorded: ['已建档', 'On file'],
  register: ['建档率', 'Register'],
  offlineCamera: ['未联网：前端故障', 'Down: camera'],
  offlineDevice: ['未联网：NVR/编码器', 'Down: NVR/encoder'],
  offlineNetwork: ['未联网：网络故障', 'Down: network'],
  unknownGateway: ['未联网：网关离线', 'Down: gateway'],
  rank: ['名次', 'Rank'],
  camera: ['摄像机', 'Camera'],
  gateway: ['网关', 'Gateway'],
  episodes: ['次数', 'Episodes'],
  changes: ['变化', 'Changes'],
  offlineH: ['离线小时', 'Offline h'],
  outages: ['离线次数', 'Outages'],
  repairs: ['修复次数', 'Repairs'],
  meanH: ['平均修复小时', 'Mean h'],
  cause: ['原因', 'Cause'],
  count: ['数量', 'Count'],
  events: ['事件（会话/序号）', 'Events (session/seq)'],
  reported: ['报告时间', 'Reported'],
  generated: ['生成', 'generated'],
  notClosed: ['未结束', 'not closed yet'],
  wholeArea: ['全域', 'Whole area'],
  key_public_area: ['重点公共区域', 'Key public areas'],
  key_industry_part: ['重点行业领域重要部位', 'Key industry parts'],
  other: ['其他', 'Other'],
  unassigned: ['未分类', 'Unassigned'],
  all: ['合计', 'All'],
  outbox_full: ['缓存已满', 'outbox full'],
  torn_record: ['记录写入中断', 'record torn'],
  unreadable_record: ['记录损坏', 'record damaged'],
} as const satisfies Record<string, readonly [string, string]>;

export type ExportWord = keyof typeof EXPORT_WORDS;

/** The exports' translator in `lang`; a key it does not know (a newer category) is shown as it is. */
export function exportWords(lang: TermLang) {
  const w = (k: ExportWord | string): string => (Object.prototype.hasOwnProperty.call(EXPORT_WORDS, k) ? EXPORT_WORDS[k as ExportWord][lang === 'zh' ? 0 : 1] : k);
  return {
    w,
    /** a region as the report names it: its name, or the code when none is known (never blank) */
    regionName: (r: Report, code: string | null) => (code === null ? '' : code === 'all' ? w('wholeArea') : (r.names[code] ?? regionName(code) ?? code)),
    /** an instant as a date in the report's time zone: 2026年12月4日 08:00, or 4 Dec 2026 08:00 */
    date: (iso: string, timeZone: string, withTime = false) => {
      const p = localParts(Date.parse(iso), timeZone);
      const hm = withTime ? ` ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}` : '';
      return lang === 'zh' ? `${p.year}年${p.month}月${p.day}日${hm}` : `${p.day} ${MONTHS[p.month - 1]} ${p.year}${hm}`;
    },
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
