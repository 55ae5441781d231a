import { SipHeaders, type SipRequest } from '../adapters/sip/message.js';
import { newBranch, newTag } from '../adapters/sip/transactions.js';
import type { SipPeer } from '../adapters/sip/transport.js';
import type { GbUpstreamSettings } from '../../config/gb28181.js';

export const MANSCDP_TYPE = 'Application/MANSCDP+xml';

/** How we address one upper platform: its ids and where it is, and where we are as it reaches us. */
export interface UpstreamAddress {
  settings: GbUpstreamSettings;
  /** where its SIP port is (host resolved) */
  peer: SipPeer;
  /** our address and port as it reaches us */
  local: { address: string; port: number };
  userAgent: string;
}

/** Our SIP URI at this platform, and its own. */
export const ourUri = (a: UpstreamAddress) => `sip:${a.settings.localId}@${a.settings.domain}`;
export const theirUri = (a: UpstreamAddress) => `sip:${a.settings.serverId}@${a.settings.domain}`;

/** A request we start (RFC 3261 §8.1.1): a fresh branch, our From with a tag, Max-Forwards, our Contact. */
export function outgoingRequest(
  a: UpstreamAddress,
  method: string,
  opts: { uri?: string; to?: string; fromTag?: string; callId: string; cseq: number; body?: Buffer; contentType?: string; headers?: Array<[string, string]> },
): SipRequest {
  const h = new SipHeaders();
  h.add('Via', `SIP/2.0/${a.peer.transport.toUpperCase()} ${a.local.address}:${a.local.port};rport;branch=${newBranch()}`);
  h.add('From', `<${ourUri(a)}>;tag=${opts.fromTag ?? newTag()}`);
  h.add('To', opts.to ?? `<${theirUri(a)}>`);
  h.add('Call-ID', opts.callId);
  h.add('CSeq', `${opts.cseq} ${method}`);
  h.add('Max-Forwards', '70');
  h.add('Contact', `<sip:${a.settings.localId}@${a.local.address}:${a.local.port}>`);
  h.add('User-Agent', a.userAgent);
  for (const [n, v] of opts.headers ?? []) h.add(n, v);
  if (opts.body) h.add('Content-Type', opts.contentType ?? MANSCDP_TYPE);
  return { kind: 'request', method, uri: opts.uri ?? theirUri(a), headers: h, body: opts.body ?? Buffer.alloc(0) };
}
