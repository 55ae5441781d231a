import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { gbUpstreamView } from '../../protocols/http-api.js';
import { responseTo, type SipRequest, type SipResponse } from '../adapters/sip/message.js';
import { newTag } from '../adapters/sip/transactions.js';
import { encodedLength, readCommand, writeManscdp, ManscdpError, type ManscdpCommand, type XmlFields } from '../adapters/sip/manscdp.js';
import type { GbUpstreamSettings } from '../../config/gb28181.js';
import { cameraItem, inScope, statusItem, statusWord, type CatalogCamera } from './catalog.js';
import type { CatalogChange } from './catalog-watch.js';
import { Registration } from './registration.js';
import { isCatalogEvent, mergePending, remainingSeconds, SubscriptionBook, type PendingEvents, type Subscription } from './subscriptions.js';
import { MANSCDP_TYPE, outgoingRequest, type UpstreamAddress } from './sip-dialog.js';
import { CatalogAnswer, type CatalogSource } from './catalog-answer.js';

/** What goes wrong with what an upper platform sends us, counted by kind. */
export type GbFault = 'malformed' | 'oversized' | 'not_allowed' | 'too_many_connections' | 'unknown_sender' | 'unknown_method' | 'unknown_cmdtype' | 'bad_body' | 'rate_limited' | 'subscribe_refused' | 'invite_refused' | 'unknown_device';

/** `GET /api/gb28181`: one upper platform as we see it (the contract's view). */
export type UpstreamStatus = z.infer<typeof gbUpstreamView>;

/** requests an upper platform may send in a burst, and per second after it */
const BURST = 200;
const PER_SECOND = 100;
/** a catalog query within this long of the last one is refused (each one walks the fleet: a query flood is no CPU flood) */
const CATALOG_MIN_GAP_MS = 2000;
/** changes are gathered this long before they go out: within a second of the centre applying them */
const NOTIFY_GATHER_MS = 200;

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * One upper platform: our registration and keepalives, its queries
 * (Catalog, DeviceStatus, DeviceInfo) answered, its catalog subscriptions
 * fed with NOTIFYs of what changed, INVITE and the rest refused.
 */
export class UpstreamLink {
  readonly registration: Registration;
  private readonly subs: SubscriptionBook;
  private readonly pending = new Map<string, { events: PendingEvents; change: CatalogChange }>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private misses = 0;
  private lastKeepalive: number | null = null;
  private catalogsAnswered = 0;
  private lastCatalogAt = -Infinity;
  private notifiesSent = 0;
  private tokens = BURST;
  private tokensAt = 0;
  private readonly answer: CatalogAnswer;
  private readonly fromTag = newTag();
  private cseq = 0;

  constructor(
    private readonly deps: {
      settings: GbUpstreamSettings;
      address: () => UpstreamAddress;
      password: () => string;
      request: (req: SipRequest) => Promise<SipResponse>;
      source: CatalogSource;
      deviceName: string;
      version: string;
      timeZoneOffset: (t: number) => number;
      now: () => number;
      random: () => number;
      log: Logger;
      fault: (f: GbFault, detail: string) => void;
    },
  ) {
    this.subs = new SubscriptionBook(deps.now);
    this.registration = new Registration({
      address: deps.address,
      password: deps.password,
      request: deps.request,
      now: deps.now,
      random: deps.random,
      log: deps.log,
      onRegistered: () => this.startKeepalive(),
      onLost: () => {
        this.stopKeepalive();
        // a catalog half sent to a platform that forgot us is not worth finishing: it asks again once we are back
        this.answer.abort();
      },
    });
    this.answer = new CatalogAnswer({ settings: deps.settings, source: deps.source, send: (body) => this.message(body), log: deps.log });
  }

  get settings(): GbUpstreamSettings {
    return this.deps.settings;
  }

  start(): void {
    this.registration.start();
  }

  async stop(): Promise<void> {
    this.stopKeepalive();
    clearTimeout(this.notifyTimer);
    this.answer.abort();
    this.pending.clear();
    this.subs.clear();
    await this.registration.stop();
  }

  status(): UpstreamStatus {
    const s = this.deps.settings;
    const r = this.registration;
    return { name: s.name ?? s.serverId, serverId: s.serverId, localId: s.localId, host: s.host, port: s.port, transport: s.transport, state: r.state, registeredSince: iso(r.since), lastKeepalive: iso(this.lastKeepalive), lastError: r.lastError, registrations: r.count, keepalivesMissed: this.misses, subscriptions: this.subs.size, catalogsAnswered: this.catalogsAnswered, notifiesSent: this.notifiesSent, version: r.peerVersion };
  }

  // ------------------------------------------------------------ keepalive
  private startKeepalive(): void {
    this.stopKeepalive();
    this.misses = 0;
    this.keepaliveTimer = setInterval(() => void this.keepalive(), this.deps.settings.keepaliveSeconds * 1000);
    void this.keepalive();
  }

  private stopKeepalive(): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  private async keepalive(): Promise<void> {
    const s = this.deps.settings;
    const body = writeManscdp('Notify', [['CmdType', 'Keepalive'], ['SN', this.sn()], ['DeviceID', s.localId], ['Status', 'OK']], s.charset);
    let res: SipResponse;
    try {
      res = await this.message(body);
    } catch (err) {
      return this.missed(`no answer to a keepalive (${(err as Error).message})`);
    }
    if (res.status === 404 || res.status === 403) {
      // the platform does not know us (it restarted, or dropped us): register again now
      this.registration.again(`keepalive answered ${res.status} ${res.reason}`);
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      this.misses = 0;
      this.lastKeepalive = this.deps.now();
      return;
    }
    this.missed(`keepalive answered ${res.status} ${res.reason}`);
  }

  private missed(why: string): void {
    this.misses += 1;
    this.deps.log.warn({ misses: this.misses, of: this.deps.settings.keepaliveMisses, why }, 'keepalive to the upper platform not answered');
    if (this.misses >= this.deps.settings.keepaliveMisses) this.registration.again(`${this.misses} keepalives unanswered`);
  }

  private snSeq = Math.floor(Math.random() * 100_000);
  private sn(): number {
    this.snSeq = (this.snSeq + 1) % 1_000_000_000;
    return this.snSeq;
  }

  /** A MESSAGE to the upper platform with a MANSCDP body; a 404 answer means it forgot us. */
  private async message(body: Buffer): Promise<SipResponse> {
    const req = outgoingRequest(this.deps.address(), 'MESSAGE', { callId: randomBytes(10).toString('hex'), cseq: ++this.cseq, fromTag: this.fromTag, body });
    const res = await this.deps.request(req);
    if (res.status === 404 && this.registration.state === 'registered') this.registration.again(`MESSAGE answered 404 ${res.reason}`);
    return res;
  }

  // ------------------------------------------------------------ requests from the platform
  /** A request from this platform (its address and From checked by the caller). */
  handle(req: SipRequest, respond: (res: SipResponse) => void): void {
    if (!this.allow()) {
      this.deps.fault('rate_limited', req.method);
      return respond(responseTo(req, 503, 'Service Unavailable', { headers: [['Retry-After', '5']] }));
    }
    switch (req.method) {
      case 'MESSAGE':
        return this.onMessage(req, respond);
      case 'SUBSCRIBE':
        return this.onSubscribe(req, respond);
      case 'INVITE':
        // media is not ours: the cameras' streams are reached through the gateways' own platforms
        this.deps.fault('invite_refused', req.uri);
        this.deps.log.info({ uri: req.uri }, 'INVITE refused: this lower platform carries status, not video');
        return respond(responseTo(req, 488, 'Not Acceptable Here', { toTag: newTag(), headers: [['Warning', '399 xueliang "status only: no media through this platform"']] }));
      case 'OPTIONS':
        return respond(responseTo(req, 200, 'OK', { toTag: newTag(), headers: [['Allow', 'MESSAGE, SUBSCRIBE, OPTIONS']] }));
      case 'BYE':
      case 'CANCEL':
        return respond(responseTo(req, 481, 'Call/Transaction Does Not Exist'));
      default:
        this.deps.fault('unknown_method', req.method);
        return respond(responseTo(req, 405, 'Method Not Allowed', { headers: [['Allow', 'MESSAGE, SUBSCRIBE, OPTIONS']] }));
    }
  }

  private allow(): boolean {
    const t = this.deps.now();
    this.tokens = Math.min(BURST, this.tokens + ((t - this.tokensAt) / 1000) * PER_SECOND);
    this.tokensAt = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private command(req: SipRequest, respond: (res: SipResponse) => void): ManscdpCommand | undefined {
    try {
      return readCommand(req.body, this.deps.settings.charset);
    } catch (err) {
      const why = err instanceof ManscdpError ? err.message : 'unreadable body';
      this.deps.fault('bad_body', why);
      this.deps.log.warn({ method: req.method, why }, 'unreadable MANSCDP body from the upper platform');
      respond(responseTo(req, 400, 'Bad Request', { headers: [['Warning', `399 xueliang "${why.replace(/"/g, "'").slice(0, 120)}"`]] }));
      return undefined;
    }
  }

  private onMessage(req: SipRequest, respond: (res: SipResponse) => void): void {
    const cmd = this.command(req, respond);
    if (!cmd) return;
    const s = this.deps.settings;
    if (cmd.kind !== 'Query' || !['Catalog', 'DeviceStatus', 'DeviceInfo'].includes(cmd.cmdType)) {
      this.deps.fault('unknown_cmdtype', `${cmd.kind}/${cmd.cmdType}`);
      this.deps.log.info({ kind: cmd.kind, cmdType: cmd.cmdType }, 'MESSAGE the lower platform does not handle');
      return respond(responseTo(req, 400, 'Unsupported CmdType'));
    }
    const camera = cmd.deviceId === s.localId ? undefined : this.deps.source.byGbId(cmd.deviceId);
    if (cmd.deviceId !== s.localId && (!camera || !inScope(camera.region, s.regions))) {
      this.deps.fault('unknown_device', cmd.deviceId);
      return respond(responseTo(req, 404, 'Not Found'));
    }
    if (cmd.cmdType === 'Catalog') {
      const t = this.deps.now();
      if (t - this.lastCatalogAt < CATALOG_MIN_GAP_MS) {
        this.deps.fault('rate_limited', 'Catalog');
        return respond(responseTo(req, 503, 'Service Unavailable', { headers: [['Retry-After', '2']] }));
      }
      this.lastCatalogAt = t;
    }
    respond(responseTo(req, 200, 'OK'));
    if (cmd.cmdType === 'Catalog') {
      this.catalogsAnswered += 1;
      this.answer.run(cmd.sn);
      return;
    }
    const body = cmd.cmdType === 'DeviceStatus' ? this.deviceStatus(cmd, camera) : this.deviceInfo(cmd, camera);
    this.message(writeManscdp('Response', body, s.charset)).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, cmdType: cmd.cmdType }, 'answer to the upper platform not delivered'));
  }

  private deviceTime(): string {
    const t = this.deps.now();
    return new Date(t + this.deps.timeZoneOffset(t)).toISOString().slice(0, 19);
  }

  private deviceStatus(cmd: ManscdpCommand, camera: CatalogCamera | undefined): XmlFields {
    const on = camera ? statusWord(camera.state) === 'ON' : true;
    return [
      ['CmdType', 'DeviceStatus'],
      ['SN', cmd.sn],
      ['DeviceID', cmd.deviceId],
      ['Result', 'OK'],
      ['Online', on ? 'ONLINE' : 'OFFLINE'],
      ['Status', on ? 'OK' : 'ERROR'],
      ['Encode', camera ? (on ? 'ON' : 'OFF') : undefined],
      ['Record', camera ? 'OFF' : undefined],
      ['DeviceTime', this.deviceTime()],
      ['Alarmstatus', { attrs: { Num: 0 }, children: [] }],
    ];
  }

  private deviceInfo(cmd: ManscdpCommand, camera: CatalogCamera | undefined): XmlFields {
    if (camera) return [['CmdType', 'DeviceInfo'], ['SN', cmd.sn], ['DeviceID', cmd.deviceId], ['DeviceName', camera.name], ['Result', 'OK'], ['Manufacturer', camera.manufacturer], ['Model', camera.model], ['Firmware', ''], ['Channel', 1]];
    return [
      ['CmdType', 'DeviceInfo'],
      ['SN', cmd.sn],
      ['DeviceID', cmd.deviceId],
      ['DeviceName', this.deps.deviceName],
      ['Result', 'OK'],
      ['Manufacturer', 'xueliang'],
      ['Model', 'xueliang-aggregator'],
      ['Firmware', this.deps.version],
      ['Channel', this.deps.source.count(this.deps.settings.regions)],
    ];
  }

  private onSubscribe(req: SipRequest, respond: (res: SipResponse) => void): void {
    if (!isCatalogEvent(req.headers.get('event'))) {
      this.deps.fault('subscribe_refused', req.headers.get('event') ?? 'no Event');
      return respond(responseTo(req, 489, 'Bad Event', { headers: [['Allow-Events', 'Catalog']] }));
    }
    let sn = 0;
    if (req.body.length > 0) {
      const cmd = this.command(req, respond);
      if (!cmd) return;
      sn = cmd.sn;
    }
    const out = this.subs.subscribe(req, sn);
    const s = this.deps.settings;
    if (out.kind === 'refused') {
      this.deps.fault('subscribe_refused', `${out.status} ${out.reason}`);
      this.deps.log.warn({ status: out.status, reason: out.reason }, 'catalog subscription refused');
      return respond(responseTo(req, out.status, out.reason, out.status === 423 ? { headers: [['Min-Expires', '30']] } : {}));
    }
    const ok = writeManscdp('Response', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', s.localId], ['Result', 'OK']], s.charset);
    const a = this.deps.address();
    const contact: [string, string] = ['Contact', `<sip:${s.localId}@${a.local.address}:${a.local.port}>`];
    if (out.kind === 'ended') {
      this.deps.log.info({ callId: req.headers.get('call-id') }, 'catalog subscription ended by the upper platform');
      return respond(responseTo(req, 200, 'OK', { toTag: out.sub?.ourTag ?? newTag(), body: ok, headers: [['Expires', '0'], contact, ['Content-Type', MANSCDP_TYPE]] }));
    }
    if (out.kind === 'subscribed') this.deps.log.info({ expires: out.expires }, 'the upper platform subscribed to our catalog');
    respond(responseTo(req, 200, 'OK', { toTag: out.sub.ourTag, body: ok, headers: [['Expires', String(out.expires)], contact, ['Content-Type', MANSCDP_TYPE]] }));
  }

  // ------------------------------------------------------------ notifications
  /** Catalog changes the centre applied: gathered and sent to the subscriptions within a second. */
  changed(changes: readonly CatalogChange[]): void {
    if (this.subs.size === 0) return;
    const roots = this.deps.settings.regions;
    for (const c of changes) {
      const was = c.regionBefore === undefined ? false : inScope(c.regionBefore, roots);
      const is = c.camera ? inScope(c.camera.region, roots) : false;
      // a camera that moved into or out of this platform's regions is an ADD or a DEL here
      const event = !was && !is ? undefined : !was ? 'ADD' : !is ? 'DEL' : c.event;
      if (event === undefined) continue;
      const held = this.pending.get(c.gbId);
      const events = mergePending(held?.events, event);
      if (events) this.pending.set(c.gbId, { events, change: c });
      else this.pending.delete(c.gbId);
    }
    if (this.pending.size > 0)
      this.notifyTimer ??= setTimeout(() => {
        // one flush at a time: a camera's OFF and its ON, gathered in two flushes, reach the platform in that order
        this.flushing = this.flushing.then(() => this.flush()).catch((err: Error) => this.deps.log.error({ err: { message: err.message } }, 'catalog notifications not sent'));
      }, NOTIFY_GATHER_MS);
  }

  private flushing: Promise<void> = Promise.resolve();

  private async flush(): Promise<void> {
    this.notifyTimer = undefined;
    if (this.pending.size === 0) return;
    const s = this.deps.settings;
    const items: XmlFields[] = [];
    for (const [gbId, p] of this.pending) {
      for (const e of p.events) {
        // ADD and UPDATE carry the whole item as it is now; the rest its id, event and status
        const cam = e === 'ADD' || e === 'UPDATE' ? this.deps.source.byGbId(gbId) : undefined;
        if (cam) items.push(cameraItem(cam, s.localId, e));
        else items.push(statusItem(gbId, e === 'ADD' || e === 'UPDATE' ? 'DEL' : e, e === 'DEL' || e === 'ADD' || e === 'UPDATE' ? undefined : e === 'ON' || e === 'DEFECT' ? 'ON' : 'OFF'));
      }
    }
    this.pending.clear();
    const subs = this.subs.active();
    if (subs.length === 0 || items.length === 0) return;
    for (const batch of packItems(items, s.notifyMaxBytes, s.charset)) for (const sub of subs) await this.notify(sub, batch);
  }

  private async notify(sub: Subscription, items: XmlFields[]): Promise<void> {
    const s = this.deps.settings;
    const body = writeManscdp('Notify', [['CmdType', 'Catalog'], ['SN', sub.sn], ['DeviceID', s.localId], ['SumNum', items.length], ['DeviceList', { attrs: { Num: items.length }, children: items.map((i) => ['Item', i] as [string, XmlFields]) }]], s.charset);
    const req = outgoingRequest(this.deps.address(), 'NOTIFY', {
      uri: sub.target,
      to: sub.theirFrom,
      fromTag: sub.ourTag,
      callId: sub.callId,
      cseq: ++sub.cseq,
      body,
      headers: [['Event', sub.event], ['Subscription-State', `active;expires=${remainingSeconds(sub, this.deps.now())}`]],
    });
    try {
      const res = await this.deps.request(req);
      this.notifiesSent += 1;
      // the subscriber forgot the dialog (RFC 6665 §4.1.3): it subscribes again when it wants
      if (res.status === 481) this.subs.forget(sub.callId);
    } catch (err) {
      this.deps.log.warn({ err: { message: (err as Error).message }, items: items.length }, 'catalog NOTIFY not answered');
    }
  }
}

/** Splits items into NOTIFY bodies of at most `maxBytes` (an item larger alone still goes, alone). */
export function packItems(items: readonly XmlFields[], maxBytes: number, charset: 'GB2312' | 'UTF-8'): XmlFields[][] {
  const out: XmlFields[][] = [];
  let cur: XmlFields[] = [];
  // the envelope around the items: declaration, Notify, CmdType, SN, DeviceID, SumNum, DeviceList
  let size = 300;
  for (const item of items) {
    const n = encodedLength([['Item', item]], charset);
    if (cur.length > 0 && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 300;
    }
    cur.push(item);
    size += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
