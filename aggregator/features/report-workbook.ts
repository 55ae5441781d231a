import ExcelJS from 'exceljs';
import type { Report } from './report.js';

const CATEGORY_ZH: Record<string, string> = { key_public_area: '重点公共区域', key_industry_part: '重点行业领域重要部位', other: '其他', unassigned: '未分类', all: '合计' };
const LOSS_ZH: Record<string, string> = { outbox_full: '缓存已满', torn_record: '记录写入中断', unreadable_record: '记录损坏' };
const hours = (ms: number) => Math.round((ms / 3600_000) * 100) / 100;

/** The report as a workbook for printing: a title, bilingual headers, percentages as percentages, widths that fit. */
export function reportWorkbook(r: Report): ExcelJS.Workbook {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'xueliang';
  wb.created = new Date(r.generatedAt);
  const sheet = (name: string, title: string, columns: Array<{ header: string; key: string; width: number; pct?: boolean }>, rows: Array<Record<string, unknown>>) => {
    const ws = wb.addWorksheet(name, { pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, paperSize: 9 } });
    ws.mergeCells(1, 1, 1, columns.length);
    ws.getCell(1, 1).value = title;
    ws.getCell(1, 1).font = { bold: true, size: 14 };
    ws.mergeCells(2, 1, 2, columns.length);
    ws.getCell(2, 1).value = `${r.period.from} – ${r.period.to} (${r.period.timeZone})${r.period.complete ? '' : ' 未结束 not closed yet'} · 生成 generated ${r.generatedAt}`;
    const header = ws.getRow(3);
    columns.forEach((c, i) => {
      header.getCell(i + 1).value = c.header;
      ws.getColumn(i + 1).width = c.width;
      if (c.pct) ws.getColumn(i + 1).numFmt = '0.00%';
    });
    header.font = { bold: true };
    header.alignment = { wrapText: true, vertical: 'middle' };
    for (const row of rows) ws.addRow(columns.map((c) => row[c.key] ?? null));
    ws.views = [{ state: 'frozen', ySplit: 3 }];
    ws.pageSetup.printTitlesRow = '3:3';
    return ws;
  };
  sheet(
    '考核 Assessment',
    `视频监控联网考核 Assessment ${r.region} ${r.period.label}`,
    [
      { header: '区域 Region', key: 'region', width: 12 },
      { header: '类别 Category', key: 'category', width: 22 },
      { header: '点位 Points', key: 'points', width: 10 },
      { header: '已覆盖 Covered', key: 'coveredPoints', width: 10 },
      { header: '覆盖率 Coverage', key: 'coverage', width: 11, pct: true },
      { header: '已建 Installed', key: 'installed', width: 10 },
      { header: '联网 Networked', key: 'networked', width: 10 },
      { header: '联网率 Networking', key: 'networking', width: 11, pct: true },
      { header: '完好 Intact', key: 'intact', width: 10 },
      { header: '完好率 Intact', key: 'intactRate', width: 11, pct: true },
      { header: '完好率目标 Target', key: 'target', width: 11, pct: true },
      { header: '在线小时 Online h', key: 'onlineH', width: 12 },
      { header: '未知小时 Unknown h', key: 'unknownH', width: 12 },
      { header: '观测小时 Observed h', key: 'observedH', width: 12 },
      { header: '在线率 Online', key: 'online', width: 11, pct: true },
      { header: '维护小时 Maintenance h', key: 'maintenanceH', width: 12 },
      { header: '录像完整率 Recording', key: 'recording', width: 12, pct: true },
    ],
    r.rows.map((x) => ({
      region: x.region,
      category: `${CATEGORY_ZH[x.category] ?? x.category} ${x.category}`,
      points: x.points,
      coveredPoints: x.coveredPoints,
      coverage: x.coverage.rate,
      installed: x.installed,
      networked: x.networked,
      networking: x.networking.rate,
      intact: x.intact,
      intactRate: x.intactRate.rate,
      target: x.target?.intact ?? null,
      onlineH: hours(x.onlineMs),
      unknownH: hours(x.unknownMs),
      observedH: hours(x.observedMs),
      online: x.onlineRate,
      maintenanceH: hours(x.maintenanceMs),
      recording: x.recordingRate,
    })),
  );
  sheet(
    '排名 Ranking',
    `下级区域排名 Ranking ${r.region} ${r.period.label}`,
    [
      { header: '名次 Rank', key: 'rank', width: 8 },
      { header: '区域 Region', key: 'region', width: 12 },
      { header: '完好率 Intact', key: 'intactRate', width: 12, pct: true },
      { header: '在线率 Online', key: 'onlineRate', width: 12, pct: true },
      { header: '已建 Installed', key: 'installed', width: 10 },
    ],
    r.ranking,
  );
  sheet(
    '频繁变化 Flapping',
    `频繁变化的摄像机 Flapping cameras ${r.region} ${r.period.label}`,
    [
      { header: '摄像机 Camera', key: 'cameraId', width: 26 },
      { header: '网关 Gateway', key: 'agentId', width: 16 },
      { header: '区域 Region', key: 'region', width: 12 },
      { header: '次数 Episodes', key: 'episodes', width: 10 },
      { header: '变化 Changes', key: 'changes', width: 10 },
    ],
    r.flapping,
  );
  sheet(
    '离线 Offline',
    `离线最久的摄像机 Longest offline ${r.region} ${r.period.label}`,
    [
      { header: '摄像机 Camera', key: 'cameraId', width: 26 },
      { header: '网关 Gateway', key: 'agentId', width: 16 },
      { header: '区域 Region', key: 'region', width: 12 },
      { header: '离线小时 Offline h', key: 'offlineH', width: 12 },
      { header: '离线次数 Outages', key: 'outages', width: 10 },
    ],
    r.longestOffline.map((c) => ({ ...c, offlineH: hours(c.offlineMs) })),
  );
  sheet(
    '修复 Repair',
    `平均修复时间 Mean time to repair ${r.region} ${r.period.label}`,
    [
      { header: '区域 Region', key: 'region', width: 12 },
      { header: '修复次数 Repairs', key: 'repairs', width: 10 },
      { header: '平均修复小时 Mean h', key: 'meanH', width: 14 },
    ],
    r.repairs.map((x) => ({ ...x, meanH: x.meanMs === null ? null : hours(x.meanMs) })),
  );
  sheet(
    '丢失事件 Losses',
    `网关报告丢失的事件 Events the gateways lost ${r.region} ${r.period.label}`,
    [
      { header: '网关 Gateway', key: 'agentId', width: 16 },
      { header: '原因 Cause', key: 'cause', width: 28 },
      { header: '数量 Count', key: 'count', width: 8 },
      { header: '事件 Events (session/seq)', key: 'events', width: 48 },
      { header: '报告时间 Reported', key: 'reportedAt', width: 24 },
    ],
    r.losses.map((l) => ({ agentId: l.agentId, cause: `${LOSS_ZH[l.cause ?? 'outbox_full']} ${l.cause ?? 'outbox_full'}`, count: l.count, events: lossEvents(l), reportedAt: l.reportedAt })),
  );
  return wb;
}

/** The lost events as session/seq: each one named, or the span of an overflow, or "?" when none could be read. */
function lossEvents(l: Report['losses'][number]): string {
  const ref = (x: unknown) => {
    const r = x as { session?: unknown; seq?: unknown } | null;
    return r && typeof r.session === 'string' ? `${r.session}/${String(r.seq)}` : '?';
  };
  if (l.events?.length) return l.events.map(ref).join(', ');
  if (l.cause === undefined || l.cause === 'outbox_full') return `${ref(l.from)} – ${ref(l.to)}`;
  return '?';
}
