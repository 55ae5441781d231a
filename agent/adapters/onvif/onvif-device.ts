import { z } from 'zod';
import type { DeviceInfo } from '../../../protocols/index.js';
import type { AuthChallenge } from '../../lib/digest-auth.js';
import { NS, SoapError, soapCall } from './soap-client.js';

// xml2js (explicitArray off) gives a string for a leaf, an object for a
// parent, and an array only when an element repeats: normalise with these.
const leaf = z.union([z.string(), z.looseObject({ _: z.string() }).transform((o) => o._)]);
const many = <T extends z.ZodType>(item: T) =>
  z.union([z.array(item), item.transform((x) => [x])]).optional().transform((x) => x ?? []);
const attrs = z.looseObject({}).catchall(z.string());

export interface OnvifCredentials {
  username: string;
  password: string;
}

/** A device's SOAP context: where it is, how to log in, what it taught us. */
export interface OnvifSession {
  xaddr: string;
  credentials: OnvifCredentials | undefined;
  timeDiffMs: number;
  digest: AuthChallenge | undefined;
  deadlineMs: number;
}

async function call(s: OnvifSession, xaddr: string, body: string, xmlns: string[], auth = true): Promise<unknown> {
  const res = await soapCall({
    xaddr,
    body,
    xmlns,
    credentials: auth ? s.credentials : undefined,
    timeDiffMs: s.timeDiffMs,
    deadlineMs: s.deadlineMs,
    digest: s.digest,
  });
  s.digest = res.digest;
  return res.body;
}

function expect<T extends z.ZodType>(schema: T, body: unknown, op: string): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new SoapError('ONVIF_BAD_XML', `${op}: unexpected reply (${r.error.issues[0]?.path.join('.') ?? '?'}: ${r.error.issues[0]?.message ?? ''})`);
  return r.data;
}

// ------------------------------------------------------------ GetSystemDateAndTime
const dateTimeBody = z.looseObject({
  GetSystemDateAndTimeResponse: z.looseObject({
    SystemDateAndTime: z.looseObject({
      UTCDateTime: z
        .looseObject({
          Time: z.looseObject({ Hour: leaf, Minute: leaf, Second: leaf }),
          Date: z.looseObject({ Year: leaf, Month: leaf, Day: leaf }),
        })
        .optional(),
    }),
  }),
});

/** Parses a GetSystemDateAndTime body into the camera's UTC time (ms), or null when it gave none. */
export function parseSystemDateAndTime(body: unknown): number | null {
  const utc = expect(dateTimeBody, body, 'GetSystemDateAndTime').GetSystemDateAndTimeResponse.SystemDateAndTime.UTCDateTime;
  if (!utc) return null;
  const n = (s: string) => Number(s.trim());
  // Date.UTC sets all fields at once: no month-end roll-over (node-onvif's defect)
  const t = Date.UTC(n(utc.Date.Year), n(utc.Date.Month) - 1, n(utc.Date.Day), n(utc.Time.Hour), n(utc.Time.Minute), n(utc.Time.Second));
  return Number.isFinite(t) ? t : null;
}

/**
 * The camera's clock minus ours in ms (unauthenticated, as ONVIF allows),
 * taking the middle of the round trip as the moment the camera read its clock.
 */
export async function measureClockDrift(s: OnvifSession, now: () => number = Date.now): Promise<number | null> {
  const before = now();
  const body = await call(s, s.xaddr, '<tds:GetSystemDateAndTime/>', [NS.device, NS.schema], false);
  const after = now();
  const cam = parseSystemDateAndTime(body);
  if (cam === null) return null;
  // the camera reports whole seconds, truncated: its true time lies in [cam, cam + 1 s)
  return Math.round(cam + 500 - (before + after) / 2);
}

// ------------------------------------------------------------ GetDeviceInformation
const deviceInfoBody = z.looseObject({
  GetDeviceInformationResponse: z.looseObject({
    Manufacturer: leaf.optional(),
    Model: leaf.optional(),
    FirmwareVersion: leaf.optional(),
    SerialNumber: leaf.optional(),
    HardwareId: leaf.optional(),
  }),
});

export function parseDeviceInformation(body: unknown): DeviceInfo {
  const r = expect(deviceInfoBody, body, 'GetDeviceInformation').GetDeviceInformationResponse;
  const v = (x: string | undefined) => (x === undefined || x.trim() === '' ? null : x.trim());
  return { manufacturer: v(r.Manufacturer), model: v(r.Model), firmware: v(r.FirmwareVersion), serial: v(r.SerialNumber), hardwareId: v(r.HardwareId) };
}

export async function getDeviceInformation(s: OnvifSession): Promise<DeviceInfo> {
  return parseDeviceInformation(await call(s, s.xaddr, '<tds:GetDeviceInformation/>', [NS.device]));
}

// ------------------------------------------------------------ GetCapabilities
const capabilitiesBody = z.looseObject({
  GetCapabilitiesResponse: z.looseObject({
    Capabilities: z.looseObject({ Media: z.looseObject({ XAddr: leaf }).optional() }),
  }),
});

export function parseMediaXaddr(body: unknown): string | null {
  return expect(capabilitiesBody, body, 'GetCapabilities').GetCapabilitiesResponse.Capabilities.Media?.XAddr.trim() ?? null;
}

export async function getMediaXaddr(s: OnvifSession): Promise<string> {
  const body = await call(s, s.xaddr, '<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>', [NS.device]);
  return parseMediaXaddr(body) ?? s.xaddr;
}

// ------------------------------------------------------------ GetProfiles
export interface MediaProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  /** RateControl is optional in ONVIF: node-onvif's init() crashes without it; here it is null */
  fps: number | null;
  bitrateKbps: number | null;
  /** the video source (input, channel) the profile encodes: its VideoSourceConfiguration's SourceToken; null when the profile names none */
  sourceToken: string | null;
}

const profile = z.looseObject({
  $: attrs.optional(),
  Name: leaf.optional(),
  VideoSourceConfiguration: z.looseObject({ SourceToken: leaf.optional() }).optional(),
  VideoEncoderConfiguration: z
    .looseObject({
      Encoding: leaf.optional(),
      Resolution: z.looseObject({ Width: leaf, Height: leaf }).optional(),
      RateControl: z.looseObject({ FrameRateLimit: leaf.optional(), BitrateLimit: leaf.optional() }).optional(),
    })
    .optional(),
});
const profilesBody = z.looseObject({ GetProfilesResponse: z.looseObject({ Profiles: many(profile) }) });

export function parseProfiles(body: unknown): MediaProfile[] {
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' || !Number.isFinite(Number(s)) ? null : Number(s));
  return expect(profilesBody, body, 'GetProfiles')
    .GetProfilesResponse.Profiles.map((p) => {
      const enc = p.VideoEncoderConfiguration;
      return {
        token: p.$?.['token'] ?? '',
        name: p.Name ?? '',
        encoding: enc?.Encoding ?? null,
        width: num(enc?.Resolution?.Width),
        height: num(enc?.Resolution?.Height),
        fps: num(enc?.RateControl?.FrameRateLimit),
        bitrateKbps: num(enc?.RateControl?.BitrateLimit),
        sourceToken: p.VideoSourceConfiguration?.SourceToken?.trim() || null,
      };
    })
    .filter((p) => p.token !== '');
}

export async function getProfiles(s: OnvifSession, mediaXaddr: string): Promise<MediaProfile[]> {
  return parseProfiles(await call(s, mediaXaddr, '<trt:GetProfiles/>', [NS.media]));
}

// ------------------------------------------------------------ GetVideoSources
const videoSourcesBody = z.looseObject({ GetVideoSourcesResponse: z.looseObject({ VideoSources: many(z.looseObject({ $: attrs.optional() })) }) });

/** The device's video sources (inputs: one on a camera, one per channel on an NVR or encoder), their tokens in the device's order. */
export function parseVideoSources(body: unknown): string[] {
  const tokens = expect(videoSourcesBody, body, 'GetVideoSources').GetVideoSourcesResponse.VideoSources.map((v) => v.$?.['token']?.trim() ?? '');
  return [...new Set(tokens.filter((t) => t !== ''))];
}

export async function getVideoSources(s: OnvifSession, mediaXaddr: string): Promise<string[]> {
  return parseVideoSources(await call(s, mediaXaddr, '<trt:GetVideoSources/>', [NS.media]));
}

// ------------------------------------------------------------ GetStreamUri / GetSnapshotUri
const uriBody = (op: string) => z.looseObject({ [`${op}Response`]: z.looseObject({ MediaUri: z.looseObject({ Uri: leaf }) }) });

export function parseMediaUri(body: unknown, op: 'GetStreamUri' | 'GetSnapshotUri'): string {
  const r = expect(uriBody(op), body, op) as Record<string, { MediaUri: { Uri: string } }>;
  return r[`${op}Response`]!.MediaUri.Uri.trim();
}

const xmlText = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

export async function getStreamUri(s: OnvifSession, mediaXaddr: string, token: string): Promise<string> {
  const body =
    '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>' +
    `<trt:ProfileToken>${xmlText(token)}</trt:ProfileToken></trt:GetStreamUri>`;
  return parseMediaUri(await call(s, mediaXaddr, body, [NS.media, NS.schema]), 'GetStreamUri');
}

export async function getSnapshotUri(s: OnvifSession, mediaXaddr: string, token: string): Promise<string> {
  const body = `<trt:GetSnapshotUri><trt:ProfileToken>${xmlText(token)}</trt:ProfileToken></trt:GetSnapshotUri>`;
  return parseMediaUri(await call(s, mediaXaddr, body, [NS.media]), 'GetSnapshotUri');
}

// ------------------------------------------------------------ Profile G: recording search
const SEARCH_NS = 'http://www.onvif.org/ver10/search/wsdl';

const servicesBody = z.looseObject({
  GetServicesResponse: z.looseObject({ Service: many(z.looseObject({ Namespace: leaf, XAddr: leaf })) }),
});

/** The recording search service's address from GetServices; null when the device has none (no Profile G). */
export function parseSearchXaddr(body: unknown): string | null {
  const s = expect(servicesBody, body, 'GetServices').GetServicesResponse.Service.find((x) => x.Namespace.trim() === SEARCH_NS);
  return s ? s.XAddr.trim() : null;
}

export async function getSearchXaddr(s: OnvifSession): Promise<string | null> {
  const body = await call(s, s.xaddr, '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>', [NS.device]);
  return parseSearchXaddr(body);
}

/** A span of recorded data, ms epoch. */
export interface RecordedSpan {
  from: number;
  to: number;
}

const track = z.looseObject({ TrackType: leaf.optional(), DataFrom: leaf.optional(), DataTo: leaf.optional() });
const recordingInformation = z.looseObject({ RecordingToken: leaf.optional(), EarliestRecording: leaf.optional(), LatestRecording: leaf.optional(), Track: many(track) });
const searchResultsBody = z.looseObject({
  GetRecordingSearchResultsResponse: z.looseObject({
    ResultList: z.looseObject({ SearchState: leaf.optional(), RecordingInformation: many(recordingInformation) }),
  }),
});

/**
 * The video data spans of GetRecordingSearchResults: each recording's video
 * tracks from DataFrom to DataTo (its earliest to latest recording when the
 * tracks say nothing). Spans without a readable time are left out.
 */
export function parseRecordingSearchResults(body: unknown): { spans: RecordedSpan[]; completed: boolean } {
  const r = expect(searchResultsBody, body, 'GetRecordingSearchResults').GetRecordingSearchResultsResponse.ResultList;
  const spans: RecordedSpan[] = [];
  for (const rec of r.RecordingInformation) {
    const video = rec.Track.filter((t) => (t.TrackType ?? 'Video').trim() === 'Video');
    const pairs = video.length > 0 ? video.map((t) => [t.DataFrom, t.DataTo] as const) : [[rec.EarliestRecording, rec.LatestRecording] as const];
    for (const [a, b] of pairs) {
      const from = Date.parse(a?.trim() ?? '');
      const to = Date.parse(b?.trim() ?? '');
      if (Number.isFinite(from) && Number.isFinite(to) && to > from) spans.push({ from, to });
    }
  }
  return { spans, completed: (r.SearchState ?? 'Completed').trim() === 'Completed' };
}

const findRecordingsBody = z.looseObject({ FindRecordingsResponse: z.looseObject({ SearchToken: leaf }) });

/** FindRecordings, then GetRecordingSearchResults until the search completes (at most 5 rounds), then EndSearch. */
export async function findRecordedSpans(s: OnvifSession, searchXaddr: string): Promise<RecordedSpan[]> {
  const ns = [NS.search, NS.schema];
  const found = expect(findRecordingsBody, await call(s, searchXaddr, '<tse:FindRecordings><tse:Scope/><tse:MaxMatches>100</tse:MaxMatches><tse:KeepAliveTime>PT30S</tse:KeepAliveTime></tse:FindRecordings>', ns), 'FindRecordings');
  const token = xmlText(found.FindRecordingsResponse.SearchToken.trim());
  const spans: RecordedSpan[] = [];
  try {
    for (let round = 0; round < 5; round++) {
      const r = parseRecordingSearchResults(await call(s, searchXaddr, `<tse:GetRecordingSearchResults><tse:SearchToken>${token}</tse:SearchToken><tse:MaxResults>100</tse:MaxResults><tse:WaitTime>PT2S</tse:WaitTime></tse:GetRecordingSearchResults>`, ns));
      spans.push(...r.spans);
      if (r.completed) break;
    }
  } finally {
    await call(s, searchXaddr, `<tse:EndSearch><tse:SearchToken>${token}</tse:SearchToken></tse:EndSearch>`, ns).catch(() => undefined);
  }
  return spans;
}
