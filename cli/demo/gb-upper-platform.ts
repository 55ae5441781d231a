import { randomBytes } from 'node:crypto';
import { SipHeaders, responseTo, serializeSip, uriUser, type SipMessage, type SipRequest, type SipResponse } from '../../aggregator/adapters/sip/message.js';
import { verifyAuthorization, digestParams } from '../../aggregator/adapters/sip/digest.js';
import { SipEndpoint, type SipPeer } from '../../aggregator/adapters/sip/transport.js';
import { SipTransactions, newBranch, newTag, type SipTimers } from '../../aggregator/adapters/sip/transactions.js';
import { childText, decodeBody, readXml, writeManscdp, type XmlElement } from '../../aggregator/adapters/sip/manscdp.js';

/**
 * An upper GB/T 28181 platform (上级平台) on loopback, behaving as
 * WVP-GB28181-pro does toward a lower platform that registers with it:
 * - REGISTER: 401 with a Digest challenge (realm = its domain, qop="auth",
 *   MD5), 403 on a wrong password, 200 with a Date header; Expires 0 ends it.
 * - a MESSAGE from an id not registered (it restarted, or expired us): 404.
 * - Keepalive: 200; offline after `keepaliveTimeoutMs` without one (3 × 60 s in WVP).
 * - catalog: `queryCatalog` sends Query/Catalog and assembles the
 *   Response/Catalog MESSAGEs by SN until SumNum items have come; it fails
 *   the assembly when the first chunk takes over 2 min or a gap over 5 s
 *   (WVP's timers, shortened by `catalogGapMs` in tests); `Status` is ON only
 *   when it is exactly "ON".
 * - SUBSCRIBE Catalog and the NOTIFYs that follow, kept in order with their arrival time.
 * Its SIP parsing is the product's adapter (bytes to messages); what it
 * decides is its own.
 */
export interface CatalogItem {
  deviceId: string;
  fields: Record<string, string>;
  online: boolean;
}

export interface NotifyRecord {
  at: number;
  items: Array<{ deviceId: string; event: string | undefined; status: string | undefined; fields: Record<string, string> }>;
  bytes: number;
}

interface Device {
  id: string;
  peer: SipPeer;
  expiresAt: number;
  lastKeepalive: number;
  registeredAt: number;
}

interface Assembly {
  sn: number;
  sumNum: number | undefined;
  items: Map<string, CatalogItem>;
  startedAt: number;
  lastAt: number;
  messages: number;
  bodyBytes: number;
  resolve: (c: CatalogItem[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

function itemFields(el: XmlElement): Record<string, string> {
  return Object.fromEntries(el.children.map((c) => [c.name, c.text.trim()]));
}

export class UpperPlatform {
  readonly serverId: string;
  readonly domain: string;
  password: string;
  readonly devices = new Map<string, Device>();
  readonly registers: Array<{ at: number; deviceId: string | undefined; outcome: number; gbVer: string | undefined; expires: string | undefined }> = [];
  readonly keepalives: Array<{ at: number; deviceId: string }> = [];
  readonly notifies: NotifyRecord[] = [];
  readonly responses: Array<{ at: number; root: XmlElement }> = [];
  readonly refusedInvites: number[] = [];
  /** MESSAGEs from unregistered ids answered 404 */
  notFound = 0;
  private endpoint: SipEndpoint | undefined;
  private tx: SipTransactions | undefined;
  private nonces = new Set<string>();
  private readonly assemblies = new Map<number, Assembly>();
  private arrived = 0;
  /** messages the lossy link dropped */
  dropped = 0;
  private sn = 1000;
  private port = 0;
  /** bytes of every SIP request it received (heads and bodies) */
  bytesIn = 0;
  /** the last catalog assembled: how many messages and body bytes, and how long from the query to the last item */
  lastCatalog: { items: number; messages: number; bodyBytes: number; ms: number } | undefined;
  /** the platform answers nothing at all while true (a hung or unreachable server) */
  silent = false;

  constructor(
    private readonly opts: {
      serverId?: string;
      domain?: string;
      password: string;
      keepaliveTimeoutMs?: number;
      /** WVP: the first catalog chunk within 2 min, gaps under 5 s */
      catalogFirstMs?: number;
      catalogGapMs?: number;
      timers?: SipTimers;
      /** the lower platform's address: only it is read */
      allowed?: (address: string) => boolean;
      /** a lossy link: every Nth message that reaches it is dropped unread (UDP retransmission must carry it) */
      dropEvery?: number;
      /** a platform of the 2016 revision that refuses a REGISTER carrying X-GB-Ver (400) */
      refuseGbVer?: boolean;
    },
  ) {
    this.serverId = opts.serverId ?? '34020000002000000001';
    this.domain = opts.domain ?? '3402000000';
    this.password = opts.password;
  }

  get sipPort(): number {
    return this.port;
  }

  async start(port = 0): Promise<void> {
    this.endpoint = new SipEndpoint({ host: '127.0.0.1', port, allowed: this.opts.allowed ?? (() => true), on: { message: (m, from) => this.arrive(m, from), fault: () => undefined } });
    await this.endpoint.start();
    const endpoint = this.endpoint;
    this.port = endpoint.localPort;
    this.tx = new SipTransactions({ send: (m, to) => endpoint.send(m, to), now: Date.now, timers: this.opts.timers, onRequest: (req, from, respond) => this.onRequest(req, from, respond) });
  }

  private arrive(m: SipMessage, from: SipPeer): void {
    if (this.silent) return;
    const every = this.opts.dropEvery;
    if (every && ++this.arrived % every === 0) {
      this.dropped += 1;
      return;
    }
    this.tx?.receive(m, from);
  }

  /** Stops, forgetting every registration (a restart is stop() then start(samePort)). */
  async stop(): Promise<void> {
    this.tx?.close();
    await this.endpoint?.stop();
    this.devices.clear();
    this.nonces.clear();
    for (const a of this.assemblies.values()) {
      clearTimeout(a.timer);
      a.reject(new Error('platform stopped'));
    }
    this.assemblies.clear();
  }

  /** Whether a device is registered and its keepalives are on time. */
  online(deviceId: string): boolean {
    const d = this.devices.get(deviceId);
    if (!d) return false;
    const now = Date.now();
    return d.expiresAt > now && now - d.lastKeepalive <= (this.opts.keepaliveTimeoutMs ?? 180_000);
  }

  private onRequest(req: SipRequest, from: SipPeer, respond: (r: SipResponse) => void): void {
    this.bytesIn += serializeSip(req).length;
    const user = uriUser(req.headers.get('from') ?? '');
    if (req.method === 'REGISTER') return this.onRegister(req, from, user, respond);
    if (!user || !this.devices.has(user)) {
      this.notFound += 1;
      return respond(responseTo(req, 404, 'Not Found'));
    }
    if (req.method === 'MESSAGE') return this.onMessage(req, user, respond);
    if (req.method === 'NOTIFY') return this.onNotify(req, respond);
    respond(responseTo(req, 405, 'Method Not Allowed'));
  }

  private onRegister(req: SipRequest, from: SipPeer, user: string | undefined, respond: (r: SipResponse) => void): void {
    const auth = req.headers.get('authorization');
    const expires = req.headers.get('expires');
    if (this.opts.refuseGbVer && req.headers.get('x-gb-ver') !== undefined) {
      this.registers.push({ at: Date.now(), deviceId: user, outcome: 400, gbVer: req.headers.get('x-gb-ver'), expires });
      return respond(responseTo(req, 400, 'Bad Request'));
    }
    const record = (outcome: number) => this.registers.push({ at: Date.now(), deviceId: user, outcome, gbVer: req.headers.get('x-gb-ver'), expires });
    if (!auth) {
      const nonce = randomBytes(16).toString('hex');
      this.nonces.add(nonce);
      record(401);
      return respond(responseTo(req, 401, 'Unauthorized', { toTag: newTag(), headers: [['WWW-Authenticate', `Digest realm="${this.domain}", nonce="${nonce}", qop="auth", algorithm=MD5`]] }));
    }
    const nonce = digestParams(auth).get('nonce') ?? '';
    const check = verifyAuthorization(auth, { realm: this.domain, nonce, method: 'REGISTER', password: this.password });
    if (!this.nonces.has(nonce) || !check.ok || check.username !== user || !user) {
      record(403);
      return respond(responseTo(req, 403, 'Forbidden', { toTag: newTag() }));
    }
    const secs = Number(expires ?? 3600);
    const now = Date.now();
    if (secs === 0) this.devices.delete(user);
    else this.devices.set(user, { id: user, peer: from, expiresAt: now + secs * 1000, lastKeepalive: now, registeredAt: now });
    record(200);
    respond(responseTo(req, 200, 'OK', { toTag: newTag(), headers: [['Expires', String(secs)], ['Date', new Date(now + 8 * 3600_000).toISOString().slice(0, 23)]] }));
  }

  /** The body read and the request answered: 200, or 400 when the body is no XML (WVP's answer too). */
  private accept(req: SipRequest, respond: (r: SipResponse) => void): XmlElement | undefined {
    try {
      const root = readXml(decodeBody(req.body, 'GB2312'));
      respond(responseTo(req, 200, 'OK'));
      return root;
    } catch {
      respond(responseTo(req, 400, 'Bad Request'));
      return undefined;
    }
  }

  private onMessage(req: SipRequest, user: string, respond: (r: SipResponse) => void): void {
    const root = this.accept(req, respond);
    if (!root) return;
    const cmd = childText(root, 'CmdType');
    if (root.name === 'Notify' && cmd === 'Keepalive') {
      const d = this.devices.get(user)!;
      d.lastKeepalive = Date.now();
      this.keepalives.push({ at: d.lastKeepalive, deviceId: user });
      return;
    }
    if (root.name === 'Response' && cmd === 'Catalog') return this.catalogChunk(root, req.body.length);
    if (root.name === 'Response') this.responses.push({ at: Date.now(), root });
  }

  private catalogChunk(root: XmlElement, bytes: number): void {
    const sn = Number(childText(root, 'SN'));
    const a = this.assemblies.get(sn);
    if (!a) return;
    a.bodyBytes += bytes;
    a.sumNum = Number(childText(root, 'SumNum'));
    a.messages += 1;
    a.lastAt = Date.now();
    const list = root.children.find((c) => c.name === 'DeviceList');
    for (const el of list?.children ?? []) {
      const fields = itemFields(el);
      const id = fields['DeviceID'] ?? '';
      a.items.set(id, { deviceId: id, fields, online: fields['Status'] === 'ON' });
    }
    this.arm(a, this.opts.catalogGapMs ?? 5000);
    if (a.items.size >= a.sumNum) {
      clearTimeout(a.timer);
      this.assemblies.delete(sn);
      this.lastCatalog = { items: a.items.size, messages: a.messages, bodyBytes: a.bodyBytes, ms: a.lastAt - a.startedAt };
      a.resolve([...a.items.values()]);
    }
  }

  private arm(a: Assembly, ms: number): void {
    clearTimeout(a.timer);
    a.timer = setTimeout(() => {
      this.assemblies.delete(a.sn);
      a.reject(new Error(`catalog ${a.sn} incomplete: ${a.items.size} of ${a.sumNum ?? '?'} items after ${a.messages} messages (no chunk for ${ms} ms)`));
    }, ms);
  }

  private onNotify(req: SipRequest, respond: (r: SipResponse) => void): void {
    const root = this.accept(req, respond);
    if (!root) return;
    const list = root.children.find((c) => c.name === 'DeviceList');
    this.notifies.push({
      at: Date.now(),
      bytes: req.body.length,
      items: (list?.children ?? []).map((el) => {
        const fields = itemFields(el);
        return { deviceId: fields['DeviceID'] ?? '', event: fields['Event'], status: fields['Status'], fields };
      }),
    });
  }

  private device(deviceId: string): Device {
    const d = this.devices.get(deviceId);
    if (!d) throw new Error(`${deviceId} is not registered`);
    return d;
  }

  /** A request to a registered lower platform, as WVP builds it. */
  private request(d: Device, method: string, body: Buffer | undefined, headers: Array<[string, string]> = [], dialog?: { callId: string; fromTag: string; cseq: number }): Promise<SipResponse> {
    const h = new SipHeaders();
    h.add('Via', `SIP/2.0/${d.peer.transport.toUpperCase()} 127.0.0.1:${this.port};rport;branch=${newBranch()}`);
    h.add('From', `<sip:${this.serverId}@${this.domain}>;tag=${dialog?.fromTag ?? newTag()}`);
    h.add('To', `<sip:${d.id}@${this.domain}>`);
    h.add('Call-ID', dialog?.callId ?? randomBytes(8).toString('hex'));
    h.add('CSeq', `${dialog?.cseq ?? 1} ${method}`);
    h.add('Max-Forwards', '70');
    h.add('Contact', `<sip:${this.serverId}@127.0.0.1:${this.port}>`);
    for (const [n, v] of headers) h.add(n, v);
    if (body) h.add('Content-Type', 'Application/MANSCDP+xml');
    return this.tx!.request({ kind: 'request', method, uri: `sip:${d.id}@${d.peer.address}:${d.peer.port}`, headers: h, body: body ?? Buffer.alloc(0) }, d.peer);
  }

  /** Query/Catalog and the assembled answer (rejects when the lower platform refuses, or the chunks stop coming). */
  async queryCatalog(deviceId: string): Promise<CatalogItem[]> {
    const d = this.device(deviceId);
    const sn = ++this.sn;
    const done = new Promise<CatalogItem[]>((resolve, reject) => {
      const a: Assembly = { sn, sumNum: undefined, items: new Map(), startedAt: Date.now(), lastAt: Date.now(), messages: 0, bodyBytes: 0, resolve, reject, timer: undefined };
      this.assemblies.set(sn, a);
      this.arm(a, this.opts.catalogFirstMs ?? 120_000);
    });
    const res = await this.request(d, 'MESSAGE', writeManscdp('Query', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', deviceId]], 'GB2312'));
    if (res.status !== 200) {
      const a = this.assemblies.get(sn);
      clearTimeout(a?.timer);
      this.assemblies.delete(sn);
      throw new Error(`Query/Catalog answered ${res.status} ${res.reason}`);
    }
    return done;
  }

  /** A Query of another CmdType (DeviceStatus, DeviceInfo): the answer MESSAGE's root, or the SIP refusal. */
  async query(deviceId: string, cmdType: string, targetId = deviceId, timeoutMs = 5000): Promise<XmlElement | SipResponse> {
    const d = this.device(deviceId);
    const sn = ++this.sn;
    const res = await this.request(d, 'MESSAGE', writeManscdp('Query', [['CmdType', cmdType], ['SN', sn], ['DeviceID', targetId]], 'GB2312'));
    if (res.status !== 200) return res;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.responses.find((x) => childText(x.root, 'SN') === String(sn));
      if (r) return r.root;
      await new Promise((r2) => setTimeout(r2, 20));
    }
    throw new Error(`no ${cmdType} answer within ${timeoutMs} ms`);
  }

  /** SUBSCRIBE Catalog (Expires 0 ends it); the dialog to refresh or end it with. */
  async subscribeCatalog(deviceId: string, expires: number, dialog?: { callId: string; fromTag: string; cseq: number }): Promise<{ res: SipResponse; dialog: { callId: string; fromTag: string; cseq: number } }> {
    const d = this.device(deviceId);
    const dlg = dialog ? { ...dialog, cseq: dialog.cseq + 1 } : { callId: randomBytes(8).toString('hex'), fromTag: newTag(), cseq: 1 };
    const sn = ++this.sn;
    const res = await this.request(d, 'SUBSCRIBE', writeManscdp('Query', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', deviceId]], 'GB2312'), [['Event', `Catalog;id=${sn}`], ['Expires', String(expires)]], dlg);
    return { res, dialog: dlg };
  }

  /** Any request, as given (the bad-input tests). */
  raw(deviceId: string, method: string, body: Buffer | undefined, headers: Array<[string, string]> = []): Promise<SipResponse> {
    return this.request(this.device(deviceId), method, body, headers);
  }
}
