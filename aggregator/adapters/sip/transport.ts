import dgram from 'node:dgram';
import net from 'node:net';
import { contentLength, headEnd, MAX_SIP_BYTES, parseSipHead, parseSipMessage, checkMandatory, serializeSip, SipParseError, type SipMessage } from './message.js';

export type SipTransportKind = 'udp' | 'tcp';

/** Where a message came from or goes to. */
export interface SipPeer {
  transport: SipTransportKind;
  address: string;
  port: number;
}

/** Why a datagram or a connection's bytes were not taken. */
export type SipInputFault = 'malformed' | 'oversized' | 'not_allowed' | 'too_many_connections';

export interface SipEndpointEvents {
  message: (m: SipMessage, from: SipPeer) => void;
  fault: (fault: SipInputFault, from: SipPeer, detail: string) => void;
}

/** most TCP connections held at once (the upper platforms we register with, and their retries) */
const MAX_CONNECTIONS = 32;
/** a TCP connection that sends nothing this long is closed */
const IDLE_MS = 10 * 60_000;

const plainAddress = (a: string) => a.replace(/^::ffff:/, '');

/**
 * The SIP port of the centre: one UDP socket and one TCP listener on the same
 * port, and TCP connections made to the upper platforms. Bytes from an
 * address `allowed` refuses are dropped (UDP) or the connection closed
 * (TCP), before any parsing. Each TCP connection frames messages by
 * Content-Length and holds at most one message's bytes (64 KB); past that,
 * or on a head it cannot read, the connection is closed.
 */
export class SipEndpoint {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Map<string, net.Socket>();
  private port = 0;

  constructor(
    private readonly deps: {
      host: string;
      port: number;
      /** whether bytes from this address are read at all */
      allowed: (address: string) => boolean;
      on: SipEndpointEvents;
    },
  ) {}

  /** Binds UDP and TCP on one port (port 0: a free one, the same for both). */
  async start(): Promise<void> {
    // with port 0 the UDP socket picks the port and TCP takes the same one; rarely taken already: try again
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(this.deps.host) ? 'udp6' : 'udp4' });
      udp.on('message', (b, r) => this.datagram(b, { transport: 'udp', address: plainAddress(r.address), port: r.port }));
      udp.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.deps.port, this.deps.host, () => resolve());
      });
      const port = udp.address().port;
      const tcp = net.createServer((s) => this.accept(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, this.deps.host, () => resolve());
        });
      } catch (err) {
        udp.close();
        if (this.deps.port === 0 && attempt < 5) continue;
        throw err;
      }
      tcp.on('error', () => undefined);
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      return;
    }
  }

  /** The port both transports listen on. */
  get localPort(): number {
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = this.tcp = undefined;
    await Promise.all([udp ? new Promise<void>((r) => udp.close(() => r())) : undefined, tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined]);
  }

  /** Sends a message; over TCP on the connection to that peer, opened when there is none. False when it could not be handed over. */
  send(m: SipMessage, to: SipPeer): boolean {
    const bytes = serializeSip(m);
    if (bytes.length > MAX_SIP_BYTES) return false;
    if (to.transport === 'udp') {
      if (!this.udp) return false;
      this.udp.send(bytes, to.port, to.address);
      return true;
    }
    const key = `${to.address}:${to.port}`;
    let s = this.conns.get(key);
    if (!s) {
      if (!this.tcp) return false;
      s = net.connect({ host: to.address, port: to.port });
      this.track(s, { transport: 'tcp', address: to.address, port: to.port });
    }
    s.write(bytes);
    return true;
  }

  private datagram(b: Buffer, from: SipPeer): void {
    if (!this.deps.allowed(from.address)) return this.deps.on.fault('not_allowed', from, `${b.length} bytes`);
    // a CRLF keep-alive (RFC 5626) carries nothing
    if (b.length <= 4 && b.toString('latin1').trim() === '') return;
    if (b.length > MAX_SIP_BYTES) return this.deps.on.fault('oversized', from, `${b.length} bytes`);
    let m: SipMessage;
    try {
      m = parseSipMessage(b);
    } catch (err) {
      return this.deps.on.fault('malformed', from, err instanceof SipParseError ? err.message : 'unreadable');
    }
    this.deps.on.message(m, from);
  }

  private accept(s: net.Socket): void {
    const from: SipPeer = { transport: 'tcp', address: plainAddress(s.remoteAddress ?? ''), port: s.remotePort ?? 0 };
    if (!this.deps.allowed(from.address)) {
      s.destroy();
      return this.deps.on.fault('not_allowed', from, 'TCP connection');
    }
    if (this.conns.size >= MAX_CONNECTIONS) {
      s.destroy();
      return this.deps.on.fault('too_many_connections', from, `${this.conns.size} open`);
    }
    this.track(s, from);
  }

  /** Reads messages off a TCP connection, framed by Content-Length. */
  private track(s: net.Socket, peer: SipPeer): void {
    const key = `${peer.address}:${peer.port}`;
    this.conns.set(key, s);
    s.setTimeout(IDLE_MS, () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.conns.get(key) === s) this.conns.delete(key);
    });
    let buf: Buffer = Buffer.alloc(0);
    const fail = (fault: SipInputFault, detail: string) => {
      this.deps.on.fault(fault, peer, detail);
      buf = Buffer.alloc(0);
      s.destroy();
    };
    s.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      for (let guard = 0; guard < 1000 && buf.length > 0; guard++) {
        // CRLF keep-alives between messages
        let skip = 0;
        while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
        if (skip > 0) buf = buf.subarray(skip);
        if (buf.length === 0) return;
        const end = headEnd(buf);
        if (end < 0) {
          if (buf.length > MAX_SIP_BYTES) fail('oversized', `no end of head within ${MAX_SIP_BYTES} bytes`);
          return;
        }
        let m: SipMessage;
        let len: number | undefined;
        try {
          m = parseSipHead(buf.subarray(0, end));
          len = contentLength(m.headers);
        } catch (err) {
          return fail('malformed', err instanceof SipParseError ? err.message : 'unreadable');
        }
        // over a stream, Content-Length is what says where the message ends (RFC 3261 §18.3)
        if (len === undefined) return fail('malformed', 'no Content-Length over TCP');
        if (end + len > MAX_SIP_BYTES) return fail('oversized', `message of ${end + len} bytes`);
        if (buf.length < end + len) return;
        m.body = Buffer.from(buf.subarray(end, end + len));
        buf = buf.subarray(end + len);
        try {
          checkMandatory(m);
        } catch (err) {
          this.deps.on.fault('malformed', peer, (err as Error).message);
          continue;
        }
        this.deps.on.message(m, peer);
      }
    });
  }
}

/**
 * The local address this host would use toward `host` (a UDP socket's
 * connect sends nothing): what goes into Via and Contact when we listen on
 * every address.
 */
export async function localAddressToward(host: string, port: number): Promise<string> {
  const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(port, host, () => resolve());
    });
    return plainAddress(s.address().address);
  } finally {
    s.close();
  }
}
