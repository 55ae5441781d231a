import ExcelJS from 'exceljs';
import { term, type TermLang } from '../../protocols/index.js';
import type { Report } from './report.js';
import { exportWords, type ExportWord } from './report-words.js';

const hours = (ms: number) => Math.round((ms / 3600_000) * 100) / 100;

/**
 * The report as a workbook for printing, in `lang` (Chinese by default):
 * sheet names, headers, region names, categories and causes in that
 * language; a title, percentages as percentages, widths that fit.
 */
/** The faulted frame of a degraded camera, for the workbook's thumbnails. */
export interface EvidenceThumb {
  at: string;
  faults: string[];
  jpeg: Buffer;
}

export function reportWorkbook(r: Report, lang: TermLang = 'zh', evidence?: ReadonlyMap<string, EvidenceThumb>): ExcelJS.Workbook {
  const x = exportWords(lang);
  const { w } = x;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'xueliang';
  wb.created = new Date(r.generatedAt);
  const scope = `${x.regionName(r, r.region)}${r.region === 'all' ? '' : ` (${r.region})`} ${r.period.label}`;
  const period = `${x.date(r.period.from, r.period.timeZone)} – ${x.date(r.period.to, r.period.timeZone)} (${r.period.timeZone})${r.period.complete ? '' : ` ${w('notClosed')}`} · ${w('generated')} ${x.date(r.generatedAt, r.period.timeZone, true)}`;
  type Column = { header: ExportWord; key: string; width: number; pct?: boolean };
  const sheet = (name: ExportWord, title: ExportWord, columns: Column[], rows: Array<Record<string, unknown>>) => {
    const ws = wb.addWorksheet(w(name), { pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, paperSize: 9 } });
    ws.mergeCells(1, 1, 1, columns.length);
    ws.getCell(1, 1).value = `${w(title)} ${scope}`;
    ws.getCell(1, 1).font = { bold: true, size: 14 };
    ws.mergeCells(2, 1, 2, columns.length);
    ws.getCell(2, 1).value = period;
    const header = ws.getRow(3);
    columns.forEach((c, i) => {
      header.getCell(i + 1).value = w(c.header);
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
  const region: Column[] = [
    { header: 'region', key: 'region', width: 11 },
    { header: 'regionName', key: 'regionName', width: 14 },
  ];
  const named = <T extends { region: string | null }>(row: T) => ({ ...row, regionName: x.regionName(r, row.region) });
  sheet(
    'assessment',
    'assessmentTitle',
    [
      ...region,
      { header: 'category', key: 'category', width: 20 },
      { header: 'points', key: 'points', width: 9 },
      { header: 'covered', key: 'coveredPoints', width: 9 },
      { header: 'coverage', key: 'coverage', width: 10, pct: true },
      { header: 'installed', key: 'installed', width: 9 },
      { header: 'networked', key: 'networked', width: 9 },
      { header: 'networking', key: 'networking', width: 10, pct: true },
      { header: 'intact', key: 'intact', width: 9 },
      { header: 'intactRate', key: 'intactRate', width: 10, pct: true },
      { header: 'target', key: 'target', width: 10, pct: true },
      { header: 'onlineH', key: 'onlineH', width: 11 },
      { header: 'unknownH', key: 'unknownH', width: 11 },
      { header: 'observedH', key: 'observedH', width: 11 },
      { header: 'online', key: 'online', width: 10, pct: true },
      { header: 'maintenanceH', key: 'maintenanceH', width: 11 },
      { header: 'recording', key: 'recording', width: 11, pct: true },
      { header: 'recorded', key: 'recorded', width: 9 },
      { header: 'register', key: 'register', width: 10, pct: true },
      { header: 'offlineCamera', key: 'offlineCamera', width: 11 },
      { header: 'offlineDevice', key: 'offlineDevice', width: 11 },
      { header: 'offlineNetwork', key: 'offlineNetwork', width: 11 },
      { header: 'unknownGateway', key: 'unknown', width: 11 },
    ],
    r.rows.map((row) =>
      named({
        region: row.region,
        category: w(row.category),
        points: row.points,
        coveredPoints: row.coveredPoints,
        coverage: row.coverage.rate,
        installed: row.installed,
        networked: row.networked,
        networking: row.networking.rate,
        intact: row.intact,
        intactRate: row.intactRate.rate,
        target: row.target?.intact ?? null,
        onlineH: hours(row.onlineMs),
        unknownH: hours(row.unknownMs),
        observedH: hours(row.observedMs),
        online: row.onlineRate,
        maintenanceH: hours(row.maintenanceMs),
        recording: row.recordingRate,
        recorded: row.recorded,
        register: row.register.rate,
        offlineCamera: row.offlineCamera,
        offlineDevice: row.offlineDevice,
        offlineNetwork: row.offlineNetwork,
        unknown: row.unknown,
      }),
    ),
  );
  sheet(
    'ranking',
    'rankingTitle',
    [{ header: 'rank', key: 'rank', width: 8 }, ...region, { header: 'intactRate', key: 'intactRate', width: 12, pct: true }, { header: 'online', key: 'onlineRate', width: 12, pct: true }, { header: 'installed', key: 'installed', width: 10 }],
    r.ranking.map(named),
  );
  sheet(
    'flapping',
    'flappingTitle',
    [{ header: 'camera', key: 'cameraId', width: 26 }, { header: 'gateway', key: 'agentId', width: 16 }, ...region, { header: 'episodes', key: 'episodes', width: 10 }, { header: 'changes', key: 'changes', width: 10 }],
    r.flapping.map(named),
  );
  sheet(
    'offline',
    'offlineTitle',
    [{ header: 'camera', key: 'cameraId', width: 26 }, { header: 'gateway', key: 'agentId', width: 16 }, ...region, { header: 'offlineH', key: 'offlineH', width: 12 }, { header: 'outages', key: 'outages', width: 10 }],
    r.longestOffline.map((c) => named({ ...c, offlineH: hours(c.offlineMs) })),
  );
  // behind a flag: the degraded cameras with a thumbnail of the frame their fault was raised on (exceljs images)
  if (evidence) {
    const ws = sheet(
      'degraded',
      'degradedTitle',
      [{ header: 'camera', key: 'cameraId', width: 26 }, { header: 'gateway', key: 'agentId', width: 16 }, ...region, { header: 'faults', key: 'faults', width: 18 }, { header: 'frameAt', key: 'frameAt', width: 20 }, { header: 'frame', key: 'frame', width: 24 }],
      (r.degraded ?? []).map((c) => {
        const e = evidence.get(c.cameraId);
        return named({ ...c, faults: e ? e.faults.map((f) => term('fault', f, lang)).join(lang === 'zh' ? '、' : ', ') : '', frameAt: e ? x.date(e.at, r.period.timeZone, true) : '', frame: e ? '' : w('noFrame') });
      }),
    );
    (r.degraded ?? []).forEach((c, i) => {
      const e = evidence.get(c.cameraId);
      if (!e) return;
      ws.getRow(4 + i).height = 72;
      const image = wb.addImage({ buffer: e.jpeg as unknown as ExcelJS.Buffer, extension: 'jpeg' });
      ws.addImage(image, { tl: { col: 6, row: 3 + i }, ext: { width: 160, height: 90 } });
    });
  }
  sheet(
    'repair',
    'repairTitle',
    [...region, { header: 'repairs', key: 'repairs', width: 10 }, { header: 'meanH', key: 'meanH', width: 14 }],
    r.repairs.map((row) => named({ ...row, meanH: row.meanMs === null ? null : hours(row.meanMs) })),
  );
  sheet(
    'losses',
    'lossesTitle',
    [
      { header: 'gateway', key: 'agentId', width: 16 },
      { header: 'cause', key: 'cause', width: 16 },
      { header: 'count', key: 'count', width: 8 },
      { header: 'events', key: 'events', width: 48 },
      { header: 'reported', key: 'reportedAt', width: 22 },
    ],
    r.losses.map((l) => ({ agentId: l.agentId, cause: w(l.cause ?? 'outbox_full'), count: l.count, events: lossEvents(l), reportedAt: x.date(l.reportedAt, r.period.timeZone, true) })),
  );
  return wb;
}

/** The lost events as session/seq: each one named, or the span of an overflow, or "?" when none could be read. */
function lossEvents(l: Report['losses'][number]): string {
  const ref = (v: unknown) => {
    const e = v as { session?: unknown; seq?: unknown } | null;
    return e && typeof e.session === 'string' ? `${e.session}/${String(e.seq)}` : '?';
  };
  if (l.events?.length) return l.events.map(ref).join(', ');
  if (l.cause === undefined || l.cause === 'outbox_full') return `${ref(l.from)} – ${ref(l.to)}`;
  return '?';
}
