import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { gb28181Response } from '../../protocols/http-api.js';
import { regionName as divisionName } from '../../protocols/index.js';
import { zoneOffsetMs } from '../../protocols/local-time.js';
import type { Gb28181Settings, GbUpstreamSettings } from '../../config/gb28181.js';
import { responseTo, uriUser, type SipRequest, type SipResponse } from '../adapters/sip/message.js';
import { SipTransactions, type SipTimers } from '../adapters/sip/transactions.js';
import { localAddressToward, SipEndpoint, type SipPeer } from '../adapters/sip/transport.js';
import type { AggregatorState } from '../features/state.js';
import type { Feature } from '../features/feature.js';
import { catalogIdOf, inScope, type CatalogCamera } from './catalog.js';
import { CatalogWatch } from './catalog-watch.js';
import type { CatalogSource } from './catalog-answer.js';
import { UpstreamLink, type GbFault, type UpstreamStatus } from './upstream.js';
import type { UpstreamAddress } from './sip-dialog.js';

/** `GET /api/gb28181` (the contract's view) */
export type Gb28181Status = z.infer<typeof gb28181Response> & { faults: Partial<Record<GbFault, number>> };

/** camera changes are looked at this often: with the NOTIFY gathering, within a second of the centre applying them */
const WATCH_MS = 100;
/** one log line per kind of fault at most this often (a flood does not flood the log) */
const FAULT_LOG_EVERY_MS = 60_000;

/**
 * GB/T 28181 upward (docs/domain.md §5): the centre registers with each
 * configured upper platform as a lower platform (下级平台) and keeps its
 * catalog and camera statuses true. One SIP port (UDP and TCP) serves all
 * of them; only their addresses are read.
 */
export class Gb28181Service implements Feature {
  readonly name = 'gb28181';
  private endpoint: SipEndpoint | undefined;
  private tx: SipTransactions | undefined;
  private links: UpstreamLink[] = [];
  /** upstream address → its links (several platforms may share a host) */
  private readonly byAddress = new Map<string, UpstreamLink[]>();
  private readonly failedAtStart: UpstreamStatus[] = [];
  private readonly watch = new CatalogWatch();
  private readonly dirty = new Set<string>();
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly faults: Partial<Record<GbFault, number>> = {};
  private readonly faultLogged = new Map<GbFault, number>();

  constructor(
    private readonly deps: {
      settings: Gb28181Settings;
      state: AggregatorState;
      log: Logger;
      now: () => number;
      timeZone: string;
      version: string;
      env?: NodeJS.ProcessEnv;
      /** shorter SIP timers for tests */
      timers?: SipTimers;
      random?: () => number;
    },
  ) {}

  /** A camera's status, state, binding or presence changed at the centre (RateCounters and the status handler tell). */
  changed(cameraId: string): void {
    if (!this.endpoint) return;
    this.dirty.add(cameraId);
    this.watchTimer ??= setTimeout(() => this.takeChanges(), WATCH_MS);
  }

  async start(): Promise<void> {
    const { settings, log } = this.deps;
    const resolved = new Map<GbUpstreamSettings, string>();
    for (const u of settings.upstream) {
      try {
        resolved.set(u, net.isIP(u.host) ? u.host : (await lookup(u.host)).address);
      } catch (err) {
        this.failedAtStart.push(this.failedStatus(u, `cannot resolve ${u.host}: ${(err as Error).message}`));
      }
    }
    this.endpoint = new SipEndpoint({
      host: settings.sip.host,
      port: settings.sip.port,
      allowed: (address) => this.byAddress.has(address),
      on: { message: (m, from) => this.tx?.receive(m, from), fault: (f, from, detail) => this.fault(f, `${from.transport} ${from.address}:${from.port} ${detail}`) },
    });
    try {
      await this.endpoint.start();
    } catch (err) {
      // another program holds the port (a second instance, a SIP server): every platform says why, nothing else stops
      const why = `our SIP port ${settings.sip.host}:${settings.sip.port} cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      this.endpoint = undefined;
      for (const u of resolved.keys()) this.failedAtStart.push(this.failedStatus(u, why));
      log.error({ why }, 'GB/T 28181 lower platform not started');
      return;
    }
    const endpoint = this.endpoint;
    this.tx = new SipTransactions({ send: (m, to) => endpoint.send(m, to), now: this.deps.now, timers: this.deps.timers, onRequest: (req, from, respond) => this.route(req, from, respond) });
    this.watch.prime(this.fleet());
    const port = endpoint.localPort;
    for (const [u, address] of resolved) {
      const password = this.password(u);
      if (typeof password !== 'string') {
        this.failedAtStart.push(this.failedStatus(u, password.error));
        log.error({ upstream: u.name ?? u.serverId, why: password.error }, 'GB/T 28181 upper platform not registered with: no password');
        continue;
      }
      const peer: SipPeer = { transport: u.transport, address, port: u.port };
      const wildcard = settings.sip.host === '0.0.0.0' || settings.sip.host === '::';
      const local = { address: settings.sip.advertise ?? (wildcard ? await localAddressToward(address, u.port) : settings.sip.host), port };
      const addr: UpstreamAddress = { settings: u, peer, local, userAgent: `xueliang/${this.deps.version}` };
      const tx = this.tx;
      const link = new UpstreamLink({
        settings: u,
        address: () => addr,
        password: () => password,
        request: (req) => tx.request(req, peer),
        source: this.source(),
        deviceName: settings.deviceName,
        version: this.deps.version,
        timeZoneOffset: (t) => zoneOffsetMs(t, this.deps.timeZone),
        now: this.deps.now,
        random: this.deps.random ?? Math.random,
        log: log.child({ upstream: u.name ?? u.serverId }),
        fault: (f, detail) => this.fault(f, detail),
      });
      this.links.push(link);
      const list = this.byAddress.get(address) ?? [];
      list.push(link);
      this.byAddress.set(address, list);
    }
    for (const l of this.links) l.start();
    log.info({ port, upstreams: this.links.map((l) => l.status().name), reported: this.watch.reportedCount, unreported: this.watch.unreportedCount }, 'GB/T 28181 lower platform started');
  }

  async stop(): Promise<void> {
    clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    await Promise.all(this.links.map((l) => l.stop()));
    this.tx?.close();
    await this.endpoint?.stop();
    this.endpoint = undefined;
    this.links = [];
    this.byAddress.clear();
  }

  status(): Gb28181Status {
    return { port: this.endpoint?.localPort ?? 0, upstreams: [...this.links.map((l) => l.status()), ...this.failedAtStart], reportedCameras: this.watch.reportedCount, unreportedCameras: this.watch.unreportedCount, faults: { ...this.faults } };
  }

  private failedStatus(u: GbUpstreamSettings, why: string): UpstreamStatus {
    return { name: u.name ?? u.serverId, serverId: u.serverId, localId: u.localId, host: u.host, port: u.port, transport: u.transport, state: 'failed', registeredSince: null, lastKeepalive: null, lastError: why, registrations: 0, keepalivesMissed: 0, subscriptions: 0, catalogsAnswered: 0, notifiesSent: 0, version: null };
  }

  /** The SIP password from its file or environment variable; never logged. */
  private password(u: GbUpstreamSettings): string | { error: string } {
    if (u.passwordEnv) {
      const v = (this.deps.env ?? process.env)[u.passwordEnv];
      return v ? v : { error: `environment variable ${u.passwordEnv} is not set` };
    }
    try {
      const v = readFileSync(u.passwordFile!, 'utf8').split(/\r?\n/)[0] ?? '';
      return v ? v : { error: `password file ${u.passwordFile} is empty` };
    } catch (err) {
      return { error: `password file ${u.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}` };
    }
  }

  private route(req: SipRequest, from: SipPeer, respond: (res: SipResponse) => void): void {
    const links = this.byAddress.get(from.address) ?? [];
    const user = uriUser(req.headers.get('from') ?? '');
    const link = links.find((l) => l.settings.serverId === user);
    if (!link) {
      this.fault('unknown_sender', `${req.method} from ${user ?? '?'} at ${from.address}`);
      return respond(responseTo(req, 403, 'Forbidden'));
    }
    link.handle(req, respond);
  }

  private fault(f: GbFault, detail: string): void {
    this.faults[f] = (this.faults[f] ?? 0) + 1;
    const t = this.deps.now();
    if (t - (this.faultLogged.get(f) ?? -Infinity) < FAULT_LOG_EVERY_MS) return;
    this.faultLogged.set(f, t);
    this.deps.log.warn({ fault: f, detail: detail.slice(0, 200), count: this.faults[f] }, 'GB/T 28181 input refused or ignored (one line per kind a minute; /api/gb28181 counts all)');
  }

  private takeChanges(): void {
    this.watchTimer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    const changes = ids.flatMap((id) => {
      const v = this.view(id);
      return this.watch.observe(id, v.camera, v.held);
    });
    if (changes.length > 0) for (const l of this.links) l.changed(changes);
  }

  /** A camera as the catalog says it, from the fleet model. */
  private view(cameraId: string): { held: 'present' | 'gone'; camera: CatalogCamera | undefined } {
    const { state } = this.deps;
    const c = state.cameras.get(cameraId);
    if (!c) return { held: 'gone', camera: undefined };
    const gbId = catalogIdOf(c.cameraId, c.status.gbId);
    if (!gbId) return { held: 'present', camera: undefined };
    const fact = state.counters.get(cameraId);
    const point = fact?.pointId ? state.pointOf(fact.pointId) : undefined;
    return {
      held: 'present',
      camera: {
        cameraId,
        gbId,
        name: c.status.name ?? (point?.name || cameraId),
        manufacturer: c.status.device?.manufacturer ?? '',
        model: c.status.device?.model ?? '',
        region: fact?.region ?? null,
        address: point?.name ?? '',
        longitude: point?.longitude,
        latitude: point?.latitude,
        state: fact?.state ?? state.effectiveState(c),
        rung: c.status.rung,
      },
    };
  }

  private *fleet(): Iterable<{ cameraId: string; camera: CatalogCamera | undefined }> {
    for (const id of this.deps.state.cameras.keys()) yield { cameraId: id, camera: this.view(id).camera };
  }

  private source(): CatalogSource {
    const { state } = this.deps;
    const reported = (roots: readonly string[]) => {
      const out: Array<{ gbId: string; region: string | null }> = [];
      for (const id of state.cameras.keys()) {
        const v = this.view(id).camera;
        if (v && inScope(v.region, roots)) out.push({ gbId: v.gbId, region: v.region });
      }
      return out;
    };
    return {
      reported,
      count: (roots) => (roots.length === 0 ? this.watch.reportedCount : reported(roots).length),
      byGbId: (gbId) => {
        // a camera reported under its own id may be newer than the watch's last look
        const id = this.watch.cameraIdOf(gbId) ?? gbId;
        const cam = this.view(id).camera;
        return cam?.gbId === gbId ? cam : undefined;
      },
      regionName: (code) => divisionName(code, state.regionNames) ?? code,
    };
  }
}
