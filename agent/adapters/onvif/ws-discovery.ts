import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { parseSoapBody, textOf } from './soap-client.js';

export const WS_DISCOVERY_ADDRESS = '239.255.255.250';
const MAX_DATAGRAM = 65_507;

/** One device that answered a probe. */
export interface DiscoveredDevice {
  /** WS-Addressing endpoint reference: the device's stable identity (urn:uuid:…) */
  endpoint: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** the address the answer came from */
  from: string;
  /** the local interface it reached us on (name), or 'unicast' */
  via: string;
}

export interface DiscoveryProblem {
  where: string;
  message: string;
}

export interface ProbeOptions {
  /** interface names to probe on; default: all up, non-loopback IPv4 interfaces with MULTICAST */
  interfaces?: string[] | undefined;
  multicast: boolean;
  /** unicast targets (IPv4 addresses) */
  unicast: string[];
  port: number;
  windowMs: number;
  /** called for each problem (bad datagram, send error): nothing is silently swallowed */
  onProblem?: (p: DiscoveryProblem) => void;
}

export function probeMessage(messageId: string, types: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
    `<s:Header><a:MessageID>uuid:${messageId}</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    `<s:Body><d:Probe><d:Types>${types}</d:Types></d:Probe></s:Body></s:Envelope>`
  );
}

const leaf = z.union([z.string(), z.looseObject({ _: z.string() }).transform((o) => o._)]);
const probeMatch = z.looseObject({
  EndpointReference: z.looseObject({ Address: leaf }),
  Types: leaf.optional(),
  Scopes: leaf.optional(),
  XAddrs: leaf.optional(),
});
const probeMatches = z.looseObject({
  ProbeMatches: z.looseObject({
    ProbeMatch: z.union([z.array(probeMatch), probeMatch.transform((m) => [m])]),
  }),
});

const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);

/**
 * Parses a ProbeMatches datagram. Every ProbeMatch it carries is returned
 * (node-onvif drops replies with more than one). Throws on anything else.
 */
export async function parseProbeMatches(xml: string): Promise<Array<Omit<DiscoveredDevice, 'from' | 'via'>>> {
  const body = await parseSoapBody(xml);
  const r = probeMatches.safeParse(body);
  if (!r.success) throw new Error(`not a ProbeMatches reply (${textOf(body).slice(0, 80) || 'empty body'})`);
  return r.data.ProbeMatches.ProbeMatch.map((m) => ({
    endpoint: m.EndpointReference.Address.trim(),
    xaddrs: words(m.XAddrs).filter((x) => /^https?:\/\//.test(x)),
    scopes: words(m.Scopes),
    types: words(m.Types),
  })).filter((d) => d.endpoint.length > 0);
}

/** IPv4 interfaces that are up and can multicast (from /sys flags), loopback excluded. */
export function multicastInterfaces(only?: string[]): Array<{ name: string; address: string }> {
  const out: Array<{ name: string; address: string }> = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (only && !only.includes(name)) continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4');
    if (!v4) continue;
    if (!only) {
      if (v4.internal) continue;
      let flags = 0;
      try {
        flags = parseInt(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
      } catch {
        continue;
      }
      const IFF_UP = 0x1;
      const IFF_MULTICAST = 0x1000;
      if ((flags & IFF_UP) === 0 || (flags & IFF_MULTICAST) === 0) continue;
    }
    out.push({ name, address: v4.address });
  }
  return out;
}

/** Expands IPv4 CIDRs into host addresses; refuses ranges larger than /16. */
export function expandCidrs(cidrs: string[]): string[] {
  const hosts: string[] = [];
  for (const cidr of cidrs) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
    if (!m) throw new Error(`${cidr}: not an IPv4 address or CIDR range`);
    const octets = m.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) throw new Error(`${cidr}: octet out of range`);
    const bits = m[5] === undefined ? 32 : Number(m[5]);
    if (bits < 16 || bits > 32) throw new Error(`${cidr}: use a prefix from /16 to /32`);
    const base = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    const size = 2 ** (32 - bits);
    const net = bits === 32 ? base : (base & (~(size - 1) >>> 0)) >>> 0;
    // skip network and broadcast addresses of ranges with room for them
    const first = size > 2 ? 1 : 0;
    const last = size > 2 ? size - 2 : size - 1;
    for (let i = first; i <= last; i++) {
      const a = (net + i) >>> 0;
      hosts.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`);
    }
  }
  return hosts;
}

/**
 * Sends WS-Discovery probes (multicast on each interface, unicast to each
 * target) and collects the answers for `windowMs`. Devices are deduplicated
 * by endpoint reference. Every socket is closed when the window ends.
 */
export async function wsDiscover(opts: ProbeOptions): Promise<DiscoveredDevice[]> {
  const found = new Map<string, DiscoveredDevice>();
  const problem = (where: string, message: string) => opts.onProblem?.({ where, message });
  const sockets: dgram.Socket[] = [];
  const pending: Array<Promise<void>> = [];

  const listen = (sock: dgram.Socket, via: string) => {
    sock.on('message', (msg, rinfo) => {
      if (msg.length > MAX_DATAGRAM) return;
      pending.push(
        parseProbeMatches(msg.toString('utf8')).then(
          (devices) => {
            for (const d of devices) {
              const prev = found.get(d.endpoint);
              if (!prev) found.set(d.endpoint, { ...d, from: rinfo.address, via });
              else prev.xaddrs = [...new Set([...prev.xaddrs, ...d.xaddrs])];
            }
          },
          (err: Error) => problem(`${rinfo.address}:${rinfo.port}`, `ignored a bad discovery reply: ${err.message}`),
        ),
      );
    });
    sock.on('error', (err) => problem(via, err.message));
    sockets.push(sock);
  };

  const bind = (sock: dgram.Socket, address?: string) =>
    new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address, port: 0 }, () => {
        sock.off('error', reject);
        resolve();
      });
    });

  const sendAll = (sock: dgram.Socket, address: string, where: string) => {
    for (const types of ['dn:NetworkVideoTransmitter', 'tds:Device']) {
      const buf = Buffer.from(probeMessage(randomUUID(), types));
      sock.send(buf, opts.port, address, (err) => {
        if (err) problem(where, `probe to ${address} not sent: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      });
    }
  };

  try {
    if (opts.multicast) {
      const ifaces = multicastInterfaces(opts.interfaces);
      if (ifaces.length === 0) problem('multicast', 'no IPv4 interface that can multicast');
      for (const iface of ifaces) {
        const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
        try {
          await bind(sock, iface.address);
          sock.setMulticastInterface(iface.address);
          sock.setMulticastTTL(1);
          listen(sock, iface.name);
          sendAll(sock, WS_DISCOVERY_ADDRESS, iface.name);
        } catch (err) {
          sock.close();
          problem(iface.name, `cannot probe: ${(err as Error).message}`);
        }
      }
    }
    if (opts.unicast.length > 0) {
      const sock = dgram.createSocket('udp4');
      await bind(sock);
      listen(sock, 'unicast');
      // pace the unicast sweep so a /16 does not flood the LAN: 500 hosts per 50 ms
      for (let i = 0; i < opts.unicast.length; i += 500) {
        for (const host of opts.unicast.slice(i, i + 500)) sendAll(sock, host, 'unicast');
        if (i + 500 < opts.unicast.length) await new Promise((r) => setTimeout(r, 50));
      }
    }
    await new Promise((r) => setTimeout(r, opts.windowMs));
    await Promise.allSettled(pending);
  } finally {
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
  return [...found.values()];
}
