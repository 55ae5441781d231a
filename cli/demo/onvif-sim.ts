/**
 * A simulated ONVIF camera fleet that speaks the real protocols: SOAP over
 * HTTP with WS-Security UsernameToken verification (and optionally HTTP
 * Digest), and WS-Discovery over UDP (multicast and unicast). Used by the
 * tests and the demo; binds only the host it is given.
 */
import { createHash, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyDigest } from '../../agent/lib/digest-auth.js';

export type SimMisbehaviour = 'none' | 'garbage' | 'hang' | 'truncated' | 'huge' | 'close';

export interface SimDeviceSpec {
  uuid?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  mac?: string;
  /** stream URIs per profile, main first (a camera: one video source) */
  streams: string[];
  /**
   * an NVR or video encoder: one video source per channel (VideoSource_1…),
   * each with its profiles (main, sub) and their stream URIs; `streams` is
   * then not used
   */
  channels?: Array<{ streams: string[] }>;
  username?: string;
  password?: string;
  /** require HTTP Digest on top of WS-Security, as many Hikvision/Dahua firmwares do */
  httpDigest?: boolean;
  /** camera clock minus real clock, ms */
  clockOffsetMs?: number;
  misbehave?: SimMisbehaviour;
  /** answer discovery probes (default true) */
  discoverable?: boolean;
  /** ONVIF Profile G: the spans this device has recorded (ms epoch); without it the device has no recording search */
  recordings?: Array<{ from: number; to: number }>;
}

export interface SimOptions {
  host?: string;
  devices: SimDeviceSpec[];
  discovery?: {
    port?: number;
    /** join 239.255.255.250 on this local interface address */
    multicastInterface?: string;
    /** put every device's ProbeMatch into one reply */
    multiMatch?: boolean;
  };
}

export interface SimDevice extends Required<Omit<SimDeviceSpec, 'username' | 'password' | 'recordings' | 'channels'>> {
  /** the channels now (an NVR); setChannels changes them, as a reconfigured NVR would */
  channels: Array<{ streams: string[] }> | undefined;
  setChannels(channels: Array<{ streams: string[] }> | undefined): void;
  recordings: Array<{ from: number; to: number }> | undefined;
  username: string | undefined;
  password: string | undefined;
  xaddr: string;
  port: number;
  /** SOAP requests served, by operation */
  calls: Map<string, number>;
  setMisbehave(m: SimMisbehaviour): void;
}

export interface OnvifSimulator {
  devices: SimDevice[];
  discoveryPort: number | undefined;
  close(): Promise<void>;
}

const REALM = 'xueliang-sim';

const soapEnvelope = (body: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error">' +
  `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

const notAuthorized = soapEnvelope(
  '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>' +
    '<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not Authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>',
);

const xmlEscape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const tag = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>([^<]*)</(?:\\w+:)?${name}>`).exec(xml)?.[1];

/** Checks a WS-Security UsernameToken PasswordDigest, as a camera does. */
function wsSecurityOk(xml: string, user: string, pass: string): boolean {
  const username = tag(xml, 'Username');
  const digest = tag(xml, 'Password');
  const nonce = tag(xml, 'Nonce');
  const created = tag(xml, 'Created');
  if (username === undefined || digest === undefined || nonce === undefined || created === undefined) return false;
  const unescaped = username.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  if (unescaped !== user) return false;
  const expected = createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(pass, 'utf8')]))
    .digest('base64');
  return expected === digest;
}

function utcParts(t: number) {
  const d = new Date(t);
  return (
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>`
  );
}

/**
 * The device's video sources with their profiles: a camera has one
 * (profile_0, profile_1, … as before), an NVR one per channel
 * (VideoSource_n with ch{n}_0 main and ch{n}_1 sub).
 */
function sourcesOf(dev: SimDevice): Array<{ token: string; streams: string[]; profile: (i: number) => string }> {
  if (!dev.channels) return [{ token: 'VideoSource_1', streams: dev.streams, profile: (i) => `profile_${i}` }];
  return dev.channels.map((c, n) => ({ token: `VideoSource_${n + 1}`, streams: c.streams, profile: (i) => `ch${n + 1}_${i}` }));
}

function answer(dev: SimDevice, op: string, xml: string): string | undefined {
  switch (op) {
    case 'GetSystemDateAndTime':
      return soapEnvelope(
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>${utcParts(Date.now() + dev.clockOffsetMs)}</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
      );
    case 'GetDeviceInformation':
      return soapEnvelope(
        `<tds:GetDeviceInformationResponse><tds:Manufacturer>${xmlEscape(dev.manufacturer)}</tds:Manufacturer><tds:Model>${xmlEscape(dev.model)}</tds:Model>` +
          `<tds:FirmwareVersion>${xmlEscape(dev.firmware)}</tds:FirmwareVersion><tds:SerialNumber>${xmlEscape(dev.serial)}</tds:SerialNumber><tds:HardwareId>${xmlEscape(dev.mac)}</tds:HardwareId></tds:GetDeviceInformationResponse>`,
      );
    case 'GetCapabilities':
      return soapEnvelope(
        `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>${xmlEscape(dev.xaddr.replace('device_service', 'media_service'))}</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
      );
    case 'GetVideoSources':
      return soapEnvelope(
        `<trt:GetVideoSourcesResponse>${sourcesOf(dev)
          .map((src) => `<trt:VideoSources token="${src.token}"><tt:Framerate>10</tt:Framerate><tt:Resolution><tt:Width>320</tt:Width><tt:Height>240</tt:Height></tt:Resolution></trt:VideoSources>`)
          .join('')}</trt:GetVideoSourcesResponse>`,
      );
    case 'GetProfiles':
      return soapEnvelope(
        `<trt:GetProfilesResponse>${sourcesOf(dev)
          .flatMap((src) =>
            src.streams.map(
              (_, i) =>
                `<trt:Profiles token="${src.profile(i)}" fixed="true"><tt:Name>${i === 0 ? 'main' : `sub${i}`}</tt:Name>` +
                `<tt:VideoSourceConfiguration token="vsc_${src.token}"><tt:Name>${src.token}</tt:Name><tt:UseCount>${src.streams.length}</tt:UseCount><tt:SourceToken>${src.token}</tt:SourceToken><tt:Bounds x="0" y="0" width="320" height="240"></tt:Bounds></tt:VideoSourceConfiguration>` +
                `<tt:VideoEncoderConfiguration token="enc_${src.profile(i)}"><tt:Name>enc</tt:Name><tt:Encoding>H264</tt:Encoding>` +
                `<tt:Resolution><tt:Width>320</tt:Width><tt:Height>240</tt:Height></tt:Resolution>` +
                // the sub profile leaves RateControl out, as some firmwares do
                (i === 0 ? '<tt:RateControl><tt:FrameRateLimit>10</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>300</tt:BitrateLimit></tt:RateControl>' : '') +
                '</tt:VideoEncoderConfiguration></trt:Profiles>',
            ),
          )
          .join('')}</trt:GetProfilesResponse>`,
      );
    case 'GetStreamUri': {
      const token = tag(xml, 'ProfileToken') ?? '';
      const uri = sourcesOf(dev)
        .flatMap((src) => src.streams.map((u, i) => ({ token: src.profile(i), u })))
        .find((p) => p.token === token)?.u;
      if (uri === undefined) return undefined;
      return soapEnvelope(`<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${xmlEscape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`);
    }
    case 'GetServices': {
      const svc = (ns: string, path: string) => `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${xmlEscape(dev.xaddr.replace('device_service', path))}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
      return soapEnvelope(
        `<tds:GetServicesResponse>${svc('http://www.onvif.org/ver10/device/wsdl', 'device_service')}${svc('http://www.onvif.org/ver10/media/wsdl', 'media_service')}` +
          `${dev.recordings ? svc('http://www.onvif.org/ver10/search/wsdl', 'search_service') : ''}</tds:GetServicesResponse>`,
      );
    }
    case 'GetRecordingSummary': {
      if (!dev.recordings) return undefined;
      const from = Math.min(...dev.recordings.map((r) => r.from));
      const to = Math.max(...dev.recordings.map((r) => r.to));
      return soapEnvelope(`<tse:GetRecordingSummaryResponse xmlns:tse="http://www.onvif.org/ver10/search/wsdl"><tse:Summary><tt:DataFrom>${new Date(from).toISOString()}</tt:DataFrom><tt:DataUntil>${new Date(to).toISOString()}</tt:DataUntil><tt:NumberRecordings>${dev.recordings.length}</tt:NumberRecordings></tse:Summary></tse:GetRecordingSummaryResponse>`);
    }
    case 'FindRecordings':
      if (!dev.recordings) return undefined;
      return soapEnvelope('<tse:FindRecordingsResponse xmlns:tse="http://www.onvif.org/ver10/search/wsdl"><tse:SearchToken>search-1</tse:SearchToken></tse:FindRecordingsResponse>');
    case 'GetRecordingSearchResults': {
      if (!dev.recordings) return undefined;
      // one recording per continuous span, as an NVR that starts a new recording after every gap lists them
      const infos = dev.recordings
        .map(
          (r, i) =>
            `<tt:RecordingInformation><tt:RecordingToken>rec-${i}</tt:RecordingToken><tt:Source><tt:SourceId>cam</tt:SourceId><tt:Name>cam</tt:Name></tt:Source>` +
            `<tt:EarliestRecording>${new Date(r.from).toISOString()}</tt:EarliestRecording><tt:LatestRecording>${new Date(r.to).toISOString()}</tt:LatestRecording><tt:Content>main</tt:Content>` +
            `<tt:Track><tt:TrackToken>video-${i}</tt:TrackToken><tt:TrackType>Video</tt:TrackType><tt:Description>video</tt:Description><tt:DataFrom>${new Date(r.from).toISOString()}</tt:DataFrom><tt:DataTo>${new Date(r.to).toISOString()}</tt:DataTo></tt:Track>` +
            '<tt:RecordingStatus>Stopped</tt:RecordingStatus></tt:RecordingInformation>',
        )
        .join('');
      return soapEnvelope(`<tse:GetRecordingSearchResultsResponse xmlns:tse="http://www.onvif.org/ver10/search/wsdl"><tse:ResultList><tt:SearchState>Completed</tt:SearchState>${infos}</tse:ResultList></tse:GetRecordingSearchResultsResponse>`);
    }
    case 'EndSearch':
      if (!dev.recordings) return undefined;
      return soapEnvelope('<tse:EndSearchResponse xmlns:tse="http://www.onvif.org/ver10/search/wsdl"><tse:Endpoint>2026-01-01T00:00:00Z</tse:Endpoint></tse:EndSearchResponse>');
    case 'GetSnapshotUri':
      return soapEnvelope(`<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${xmlEscape(dev.xaddr.replace('/onvif/device_service', '/snapshot.jpg'))}</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>`);
    default:
      return undefined;
  }
}

function probeMatch(dev: SimDevice): string {
  return (
    `<d:ProbeMatch><a:EndpointReference><a:Address>${dev.uuid}</a:Address></a:EndpointReference>` +
    '<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>' +
    `<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/hardware/${encodeURIComponent(dev.model)} onvif://www.onvif.org/name/${encodeURIComponent(dev.manufacturer)} onvif://www.onvif.org/location/country/china</d:Scopes>` +
    `<d:XAddrs>${dev.xaddr}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch>`
  );
}

function probeMatches(relatesTo: string, devs: SimDevice[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
    `<SOAP-ENV:Header><a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${xmlEscape(relatesTo)}</a:RelatesTo>` +
    '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></SOAP-ENV:Header>' +
    `<SOAP-ENV:Body><d:ProbeMatches>${devs.map(probeMatch).join('')}</d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export async function startOnvifSimulator(opts: SimOptions): Promise<OnvifSimulator> {
  const host = opts.host ?? '127.0.0.1';
  const servers: http.Server[] = [];
  const devices: SimDevice[] = [];

  for (const [i, spec] of opts.devices.entries()) {
    const server = http.createServer();
    const hanging = new Set<http.ServerResponse>();
    server.on('connection', (s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
    const port = (server.address() as AddressInfo).port;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    let misbehave = spec.misbehave ?? 'none';
    const dev: SimDevice = {
      uuid: spec.uuid ?? `urn:uuid:${randomUUID()}`,
      manufacturer: spec.manufacturer ?? 'Xueliang-Sim',
      model: spec.model ?? 'SIM-IPC-1',
      firmware: spec.firmware ?? '1.0.0',
      serial: spec.serial ?? `SIM${String(i + 1).padStart(6, '0')}`,
      mac: spec.mac ?? `02:00:00:00:${String(Math.floor(i / 256) % 100).padStart(2, '0')}:${(i % 256).toString(16).padStart(2, '0')}`,
      streams: spec.streams,
      username: spec.username,
      password: spec.password,
      httpDigest: spec.httpDigest ?? false,
      clockOffsetMs: spec.clockOffsetMs ?? 0,
      misbehave,
      discoverable: spec.discoverable ?? true,
      recordings: spec.recordings,
      channels: spec.channels,
      setChannels(channels) {
        dev.channels = channels;
      },
      xaddr: `http://${hostPart}:${port}/onvif/device_service`,
      port,
      calls: new Map(),
      setMisbehave(m) {
        misbehave = m;
        dev.misbehave = m;
      },
    };
    devices.push(dev);
    server.on('close', () => hanging.forEach((r) => r.destroy()));
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 256 * 1024) chunks.push(c);
      });
      req.on('end', () => {
        const xml = Buffer.concat(chunks).toString('utf8');
        const op = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(xml)?.[1] ?? '';
        dev.calls.set(op, (dev.calls.get(op) ?? 0) + 1);
        const send = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
          res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8', ...headers });
          res.end(body);
        };
        switch (misbehave) {
          case 'hang':
            hanging.add(res);
            return;
          case 'garbage':
            return send(200, '\u0000\u0001garbage<<<not xml');
          case 'truncated':
            return send(200, answer(dev, op, xml)?.slice(0, 120) ?? '<SOAP-ENV:Env');
          case 'huge':
            return send(200, `<a>${'x'.repeat(3 * 1024 * 1024)}</a>`);
          case 'close':
            req.socket.destroy();
            return;
          default:
        }
        if (op !== 'GetSystemDateAndTime' && dev.username !== undefined) {
          if (dev.httpDigest && !verifyDigest(req.headers.authorization, 'POST', (u) => (u === dev.username ? dev.password : undefined), REALM)) {
            return send(401, notAuthorized, { 'WWW-Authenticate': `Digest realm="${REALM}", qop="auth", nonce="${randomUUID().replace(/-/g, '')}=", algorithm=MD5` });
          }
          if (!wsSecurityOk(xml, dev.username, dev.password ?? '')) return send(400, notAuthorized);
        }
        const out = answer(dev, op, xml);
        if (out === undefined) {
          return send(
            400,
            soapEnvelope('<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Action not supported</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>'),
          );
        }
        send(200, out);
      });
    });
  }

  let udp: dgram.Socket | undefined;
  let discoveryPort: number | undefined;
  if (opts.discovery) {
    const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
    const mcast = opts.discovery.multicastInterface;
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      // multicast needs the wildcard bind to receive group traffic
      sock.bind({ port: opts.discovery?.port ?? 0, address: mcast ? '0.0.0.0' : host }, () => resolve());
    });
    sock.on('error', () => {});
    if (mcast) sock.addMembership('239.255.255.250', mcast);
    discoveryPort = sock.address().port;
    sock.on('message', (msg, rinfo) => {
      const text = msg.toString('utf8');
      if (!/Probe\b/.test(text) || /ProbeMatches/.test(text)) return;
      const relatesTo = tag(text, 'MessageID') ?? '';
      const visible = devices.filter((d) => d.discoverable);
      const replies = opts.discovery?.multiMatch ? [visible] : visible.map((d) => [d]);
      for (const group of replies) {
        if (group.length === 0) continue;
        sock.send(Buffer.from(probeMatches(relatesTo, group)), rinfo.port, rinfo.address);
      }
    });
    udp = sock;
  }

  let closed = false;
  return {
    devices,
    discoveryPort,
    async close() {
      // a test may close a camera on purpose and again when it ends
      if (closed) return;
      closed = true;
      udp?.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
