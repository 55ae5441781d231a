import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { cliLang, EXIT, err, out, table, UsageError } from './output.js';
import { exportWords, type Report, reportWorkbook } from '../aggregator/index.js';

export const reportHelp = `xueliang report --region CODE (--month YYYY-MM | --day YYYY-MM-DD | --from ISO --to ISO) [--out FILE] [--frames] [--lang zh-CN|en] [--api URL]

The assessment report (考核) of a region over a period, from the aggregator:
per child region and category the points, installed, networked and intact
cameras, online time (unknown time apart), every rate with its counts and
target; the child regions ranked; the cameras offline longest; the mean time
to repair. Days and months are the aggregator's timeZone (default Asia/Shanghai).
  --region CODE   GB/T 2260 code, or all (default)
  --out FILE      .xlsx (formatted for printing), .csv or .json; without it a table is printed
  --frames        with an .xlsx: a sheet of the cameras degraded at the end, each with a
                  thumbnail of the frame its fault was raised on (the centre's evidence frames)
  --lang LANG     zh-CN: Chinese sheet names, headers, region names and categories; en: English
                  (default: Chinese when the locale is, LANG=zh_CN.UTF-8, else English)
  --api URL       the aggregator's HTTP API (default XUELIANG_API_URL, else http://127.0.0.1:8080)
  --token-file F  a file holding an API token (xueliang token create); else XUELIANG_API_TOKEN;
                  never on the command line`;


export async function runReport(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { region: { type: 'string' }, month: { type: 'string' }, day: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, api: { type: 'string' }, lang: { type: 'string' }, 'token-file': { type: 'string' }, frames: { type: 'boolean' } },
    strict: true,
  });
  const lang = cliLang(values.lang);
  const q = new URLSearchParams({ region: values.region ?? 'all' });
  if (values.month) q.set('month', values.month);
  else if (values.day) q.set('day', values.day);
  else if (values.from && values.to) (q.set('from', values.from), q.set('to', values.to));
  else throw new UsageError('give --month, --day, or --from and --to');
  const api = (values.api ?? process.env['XUELIANG_API_URL'] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : process.env['XUELIANG_API_TOKEN'];
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  let res: Response;
  try {
    res = await fetch(`${api}/api/report?${q}`, { signal: AbortSignal.timeout(60_000), headers });
  } catch (e) {
    err(`xueliang report: the aggregator at ${api} does not answer (${(e as Error).message}); give --api URL`);
    return EXIT.failed;
  }
  const body = (await res.json()) as Report | { error: { code: string; message: string } };
  if ('error' in body) {
    err(`xueliang report: ${body.error.message}${res.status === 401 ? ' (give an API token: XUELIANG_API_TOKEN or --token-file)' : ''}`);
    return EXIT.usage;
  }
  const file = values.out;
  if (!file) {
    const x = exportWords(lang);
    const { w } = x;
    out(`${x.regionName(body, body.region)}${body.region === 'all' ? '' : ` (${body.region})`} ${body.period.label} (${body.period.timeZone}${body.period.complete ? '' : `, ${w('notClosed')}`})`);
    out(table([w('region'), w('regionName'), w('category'), w('points'), w('coverage'), w('installed'), w('networking'), w('intactRate'), w('online')], body.rows.map((r) => [r.region, x.regionName(body, r.region), w(r.category), String(r.points), pctText(r.coverage.rate), String(r.installed), pctText(r.networking.rate), pctText(r.intactRate.rate), pctText(r.onlineRate)])));
    return EXIT.ok;
  }
  if (file.endsWith('.json')) await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  else if (file.endsWith('.csv')) await writeFile(file, await (await fetch(`${api}/api/report?${q}&format=csv&lang=${lang}`, { headers })).text());
  // the thumbnails are the centre's: it builds that workbook itself
  else if (file.endsWith('.xlsx') && values.frames) {
    const x = await fetch(`${api}/api/report?${q}&format=xlsx&frames=1&lang=${lang}`, { headers, signal: AbortSignal.timeout(120_000) });
    if (!x.ok) {
      err(`xueliang report: the aggregator answered ${x.status} to the workbook with frames`);
      return EXIT.failed;
    }
    await writeFile(file, Buffer.from(await x.arrayBuffer()));
  } else if (file.endsWith('.xlsx')) await reportWorkbook(body, lang).xlsx.writeFile(file);
  else throw new UsageError('--out takes a .xlsx, .csv or .json file');
  out(`${file}: ${body.region} ${body.period.label}, ${body.rows.length} rows`);
  return EXIT.ok;
}

const pctText = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(2)}%`);
