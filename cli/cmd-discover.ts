import { parseArgs } from 'node:util';
import { maskUrlPassword, scrubSecrets } from '../platform/redact.js';
import type { CredentialSet } from '../config/agent.js';
import { EXIT, err, out, table, UsageError } from './output.js';
import { expandCidrs, wsDiscover, type DiscoveredDevice, idFromEndpoint, clockDrift, inspectOnvif, type OnvifInspection, errorMessage, channelId } from '../agent/index.js';

export const discoverHelp = `xueliang discover [options]

Finds ONVIF cameras: a WS-Discovery probe on every IPv4 interface that can
multicast, and unicast probes to the ranges you give. Each camera found is
then asked for its model, serial and stream URIs.
  --cidr RANGE        also probe every host of RANGE by unicast (repeatable; /16 at most)
  --no-multicast      only unicast probes
  --interface NAME    multicast only on NAME (repeatable)
  --user U --password P   log in to read stream URIs (or env XUELIANG_CAMERA_PASSWORD)
  --window MS         how long to wait for answers (default 3000)
  --port N            WS-Discovery port (default 3702)
  --json              print JSON for scripts`;

export interface DiscoverRow {
  suggestedId: string;
  endpoint: string;
  address: string;
  xaddr: string;
  via: string;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  /**
   * what the device's WS-Discovery scopes say (onvif://www.onvif.org/name/…,
   * …/hardware/…): free text the installer may have set, not the device
   * information; shown apart from manufacturer and model
   */
  scopeName: string | null;
  scopeHardware: string | null;
  clockDriftMs: number | null;
  /** stream URIs, password masked */
  streams: string[];
  /** an NVR, DVR or encoder: its channels (the agent watches each as a camera, `{suggestedId}-ch{n}`); empty for a camera */
  channels: Array<{ channel: number; source: string; suggestedId: string; streams: string[] }>;
  error: string | null;
}

export async function runDiscover(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cidr: { type: 'string', multiple: true },
      'no-multicast': { type: 'boolean' },
      interface: { type: 'string', multiple: true },
      user: { type: 'string' },
      password: { type: 'string' },
      window: { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const windowMs = Number(values.window ?? 3000);
  const port = Number(values.port ?? 3702);
  if (!Number.isInteger(windowMs) || windowMs < 100 || windowMs > 60_000) throw new UsageError('--window takes milliseconds from 100 to 60000');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port takes a UDP port');
  let unicast: string[];
  try {
    unicast = expandCidrs(values.cidr ?? []);
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
  const password = values.password ?? process.env['XUELIANG_CAMERA_PASSWORD'];
  const creds: CredentialSet[] = values.user ? [{ name: 'cli', username: values.user, password: password ?? '' }] : [];
  const problems: string[] = [];
  const devices = await wsDiscover({
    interfaces: values.interface,
    multicast: !values['no-multicast'],
    unicast,
    port,
    windowMs,
    onProblem: (p) => problems.push(`${p.where}: ${p.message}`),
  });
  const rows = await Promise.all(devices.map((d) => describe(d, creds)));
  rows.sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
  if (values.json) {
    out(JSON.stringify({ cameras: rows, problems }, null, 2));
    return EXIT.ok;
  }
  for (const p of problems) err(`warning: ${p}`);
  if (rows.length === 0) {
    out(`No ONVIF camera answered within ${windowMs} ms.`);
    out('Check that this machine is on the cameras\' network; where multicast is blocked, add --cidr 192.168.1.0/24.');
    return EXIT.ok;
  }
  out(
    table(
      ['ADDRESS', 'MANUFACTURER', 'MODEL', 'SERIAL', 'SUGGESTED ID', 'STREAMS'],
      rows.flatMap((r) => [
        [r.address, r.manufacturer ?? fromScope(r.scopeName), r.model ?? fromScope(r.scopeHardware), r.serial ?? '?', r.suggestedId, r.error ? `(${r.error})` : r.channels.length > 0 ? `(${r.channels.length} channels:)` : r.streams.join(' ')],
        // an NVR's channels, each a camera: their source tokens are what `channels:` in the agent config names
        ...r.channels.map((c) => ['', `  channel ${c.channel}`, c.source, '', c.suggestedId, c.streams.join(' ') || '(no stream URI)']),
      ]),
    ),
  );
  const cameras = rows.reduce((n, r) => n + Math.max(1, r.channels.length), 0);
  out(`\n${rows.length} device(s), ${cameras} camera(s).${creds.length === 0 && rows.some((r) => r.streams.length === 0) ? ' Give --user and --password to read stream URIs.' : ''}`);
  return EXIT.ok;
}

async function describe(d: DiscoveredDevice, creds: CredentialSet[]): Promise<DiscoverRow> {
  const xaddr = d.xaddrs[0] ?? '';
  const row: DiscoverRow = {
    suggestedId: idFromEndpoint(d.endpoint),
    endpoint: d.endpoint,
    address: hostPort(xaddr) ?? d.from,
    xaddr,
    via: d.via,
    manufacturer: null,
    model: null,
    firmware: null,
    serial: null,
    scopeName: scope(d.scopes, 'name'),
    scopeHardware: scope(d.scopes, 'hardware'),
    clockDriftMs: null,
    streams: [],
    channels: [],
    error: null,
  };
  if (!xaddr) return { ...row, error: 'no service address in its answer' };
  try {
    row.clockDriftMs = await clockDrift(xaddr, 5000).catch(() => null);
    const insp: OnvifInspection = await inspectOnvif({ xaddr, candidates: [...creds, ...(creds.length ? [] : [undefined])], timeDiffMs: row.clockDriftMs ?? 0, deadlineMs: 5000 });
    Object.assign(row, { manufacturer: insp.device.manufacturer, model: insp.device.model, firmware: insp.device.firmware, serial: insp.device.serial });
    row.streams = insp.streams.map((s) => maskUrlPassword(s.uri));
    if (insp.channels.length >= 2) {
      row.channels = insp.channels.map((c) => ({ channel: c.index, source: c.source, suggestedId: channelId(row.suggestedId, c.index), streams: c.streams.map((x) => maskUrlPassword(x.uri)) }));
    }
  } catch (e) {
    row.error = scrubSecrets(errorMessage(e), creds.map((c) => c.password));
  }
  return row;
}

/** Without device information, the scope's words as a hint that says where it came from. */
const fromScope = (v: string | null) => (v ? `? (scope: ${v})` : '?');

function hostPort(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return undefined;
  }
}

function scope(scopes: string[], key: string): string | null {
  const s = scopes.find((x) => x.startsWith(`onvif://www.onvif.org/${key}/`));
  return s ? decodeURIComponent(s.slice(`onvif://www.onvif.org/${key}/`.length)) : null;
}
