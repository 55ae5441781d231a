import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import type OnvifSoapModule from 'node-onvif/lib/modules/soap.js';
import { z } from 'zod';
import { authorizationHeader, parseChallenge, type AuthChallenge } from '../../lib/digest-auth.js';
import { XueliangError } from '../../lib/errors.js';

const require = createRequire(import.meta.url);
const onvifSoap = require('node-onvif/lib/modules/soap.js') as typeof OnvifSoapModule;
// node-onvif draws WS-Security nonces from Math.random; use the CSPRNG instead.
onvifSoap._createNonce = (digits: number) => randomBytes(digits);

export const MAX_SOAP_BYTES = 1024 * 1024;

export const NS = {
  device: 'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"',
  media: 'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"',
  schema: 'xmlns:tt="http://www.onvif.org/ver10/schema"',
  search: 'xmlns:tse="http://www.onvif.org/ver10/search/wsdl"',
};

export type SoapErrorCode = 'ONVIF_UNREACHABLE' | 'ONVIF_TIMEOUT' | 'ONVIF_AUTH' | 'ONVIF_FAULT' | 'ONVIF_HTTP' | 'ONVIF_BAD_XML';

export class SoapError extends XueliangError {
  constructor(
    override readonly code: SoapErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

export interface SoapRequest {
  xaddr: string;
  /** the body element, e.g. `<tds:GetDeviceInformation/>` */
  body: string;
  xmlns: string[];
  credentials?: { username: string; password: string } | undefined;
  /** camera clock minus ours, so the WS-Security timestamp matches its clock */
  timeDiffMs?: number;
  deadlineMs: number;
  /** HTTP Digest challenge remembered for this device */
  digest?: AuthChallenge | undefined;
}

export interface SoapResponse {
  /** the parsed SOAP Body (namespace prefixes removed), still unchecked */
  body: unknown;
  /** Digest challenge in force, to remember for the next call */
  digest: AuthChallenge | undefined;
}

const envelope = z.looseObject({ Body: z.unknown() });
const faultBody = z.looseObject({
  Fault: z.looseObject({
    Code: z.unknown().optional(),
    Reason: z.unknown().optional(),
  }),
});

/** Collects every text node under a parsed xml2js value (for fault reasons and codes). */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(textOf).filter(Boolean).join(' ');
  if (v && typeof v === 'object') {
    return Object.entries(v)
      .filter(([k]) => k !== '$')
      .map(([, x]) => textOf(x))
      .filter(Boolean)
      .join(' ');
  }
  return '';
}

function isAuthFault(text: string): boolean {
  return /NotAuthorized|not ?authori[sz]ed|Sender not Authorized|FailedAuthentication|InvalidSecurity|authority failure|password|unauthori/i.test(text);
}

/**
 * One ONVIF SOAP call. The envelope (WS-Security UsernameToken) is built and
 * the reply parsed by node-onvif; the transport is ours, because node-onvif's
 * has a fixed 3 s timeout, no HTTP Digest, no HTTPS and no size limit.
 */
export async function soapCall(req: SoapRequest): Promise<SoapResponse> {
  const xml = onvifSoap.createRequestSoap({
    body: req.body,
    xmlns: req.xmlns,
    diff: req.timeDiffMs ?? 0,
    ...(req.credentials ? { user: escapeXml(req.credentials.username), pass: req.credentials.password } : {}),
  });
  const deadline = Date.now() + req.deadlineMs;
  let digest = req.digest;
  let res = await post(req.xaddr, xml, deadline, digest && req.credentials ? digest : undefined, req.credentials);
  if (res.status === 401 && req.credentials) {
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (challenge && challenge.nonce !== digest?.nonce) {
      digest = challenge;
      res = await post(req.xaddr, xml, deadline, digest, req.credentials);
    }
  }
  let parsed: unknown;
  try {
    parsed = await onvifSoap.parse(res.text);
  } catch (err) {
    if (res.status === 401) throw new SoapError('ONVIF_AUTH', 'credentials rejected (HTTP 401)');
    if (res.status !== 200) throw new SoapError('ONVIF_HTTP', `HTTP ${res.status} with a body that is not XML`);
    throw new SoapError('ONVIF_BAD_XML', `malformed XML from the device: ${String((err as Error).message).split('\n')[0]}`);
  }
  const env = envelope.safeParse(parsed);
  if (!env.success || env.data.Body === undefined) {
    if (res.status === 401) throw new SoapError('ONVIF_AUTH', 'credentials rejected (HTTP 401)');
    throw new SoapError('ONVIF_BAD_XML', `HTTP ${res.status}: the reply is not a SOAP envelope`);
  }
  const fault = faultBody.safeParse(env.data.Body);
  if (fault.success) {
    const code = textOf(fault.data.Fault.Code);
    const reason = textOf(fault.data.Fault.Reason);
    const text = `${code} ${reason}`.trim().replace(/\s+/g, ' ').slice(0, 300);
    if (res.status === 401 || isAuthFault(text)) throw new SoapError('ONVIF_AUTH', `credentials rejected: ${text}`);
    throw new SoapError('ONVIF_FAULT', `SOAP fault: ${text}`);
  }
  if (res.status === 401) throw new SoapError('ONVIF_AUTH', 'credentials rejected (HTTP 401)');
  if (res.status !== 200) throw new SoapError('ONVIF_HTTP', `HTTP ${res.status}`);
  return { body: env.data.Body, digest };
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function post(
  xaddr: string,
  xml: string,
  deadline: number,
  digest: AuthChallenge | undefined,
  credentials: { username: string; password: string } | undefined,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(xaddr);
    } catch {
      reject(new SoapError('ONVIF_UNREACHABLE', 'invalid service address'));
      return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      reject(new SoapError('ONVIF_TIMEOUT', 'deadline passed before the request was sent'));
      return;
    }
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/soap+xml; charset=utf-8',
      'Content-Length': Buffer.byteLength(xml),
      Connection: 'close',
    };
    const path = `${url.pathname}${url.search}`;
    if (digest && credentials) headers['Authorization'] = authorizationHeader(digest, credentials, 'POST', path);
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    const fail = (e: SoapError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = mod.request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path,
        method: 'POST',
        headers,
        agent: false,
        // cameras ship self-signed certificates; the link is checked by WS-Security/Digest, not TLS
        ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_SOAP_BYTES) {
            fail(new SoapError('ONVIF_BAD_XML', `reply larger than ${MAX_SOAP_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        // the reply had begun: TCP worked, the service broke it off
        res.on('error', (e) => fail(new SoapError('ONVIF_HTTP', `reply broken off: ${e.message}`)));
      },
    );
    let connected = false;
    req.on('socket', (sock) => {
      if (!sock.connecting) connected = true;
      else sock.once('connect', () => (connected = true));
    });
    const timer = setTimeout(
      () =>
        fail(
          connected
            ? new SoapError('ONVIF_TIMEOUT', 'no complete SOAP reply within the deadline')
            : new SoapError('ONVIF_UNREACHABLE', 'TCP connect timed out'),
        ),
      remaining,
    );
    // after the TCP connect, a reset or an unparsable reply (header overflow, garbage) is the service failing, not the network
    // (a reset proves a listener answered even when it came before node saw the connect: a closed port refuses)
    req.on('error', (e: NodeJS.ErrnoException) => fail(connected || e.code === 'ECONNRESET' || e.code === 'EPIPE' ? new SoapError('ONVIF_HTTP', `connection broken after connect: ${e.code ?? e.message}`) : new SoapError('ONVIF_UNREACHABLE', `${e.code ?? e.message}`)));
    req.end(xml);
  });
}

/** Parses a SOAP document (as a device sent it) into its Body, prefixes stripped. */
export async function parseSoapBody(xml: string): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = await onvifSoap.parse(xml);
  } catch (err) {
    throw new SoapError('ONVIF_BAD_XML', `malformed XML: ${String((err as Error).message).split('\n')[0]}`);
  }
  const env = envelope.safeParse(parsed);
  if (!env.success || env.data.Body === undefined) throw new SoapError('ONVIF_BAD_XML', 'not a SOAP envelope');
  return env.data.Body;
}
