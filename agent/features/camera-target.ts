import { createHash } from 'node:crypto';
import type { PointCategory } from '../../protocols/index.js';
import type { AgentConfig, StaticCamera } from '../../config/agent.js';
import { parseRtspUrl } from '../adapters/rtsp-url.js';
import type { ChannelSetting } from './channels.js';

/** What the agent watches: one camera, configured or discovered. */
export interface CameraTarget {
  id: string;
  /** GB/T 28181 id from the config, when there is one */
  gbId?: string | null | undefined;
  name: string | null;
  /** ONVIF device service URL, when the camera speaks ONVIF */
  xaddr: string | undefined;
  /** WS-Discovery endpoint reference, when discovered */
  endpoint: string | undefined;
  /** a configured RTSP URL (may carry credentials: never print it raw) */
  rtspUrl: string | undefined;
  /** name of the credential set the config pins, if any */
  credentialName: string | undefined;
  /** the config allows answering an RTSP Basic challenge (the password in clear) with its one login */
  allowBasicAuth?: boolean | undefined;
  pointId: string | null;
  category: PointCategory | null;
  origin: 'config' | 'discovery';
  /** one video source of a multi-channel device (NVR, DVR, encoder): the device's id, the channel's number (1-based, the device's order) and source token */
  channel?: { deviceId: string; index: number; source: string } | undefined;
  /** a device's target: what the config says of its channels (channels.ts expands it) */
  channelSettings?: ChannelSetting[] | undefined;
}

/** Normalises `host[:port]` or a URL into an ONVIF device service URL. */
export function normaliseXaddr(onvif: string): string {
  if (/^https?:\/\//i.test(onvif)) return onvif;
  return `http://${onvif}/onvif/device_service`;
}

/** host:port of an xaddr or RTSP URL, without credentials. */
export function addressOf(url: string): string {
  try {
    const u = new URL(url);
    const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'rtsp:' ? '554' : '80');
    return `${u.hostname}:${port}`;
  } catch {
    return 'invalid-address';
  }
}

const segmentSafe = (s: string) => s.replace(/[^A-Za-z0-9_.:-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);

/**
 * Id of a discovered ONVIF camera: from its endpoint reference, which the
 * device keeps across IP changes (never from the IP alone).
 */
export function idFromEndpoint(endpoint: string): string {
  const core = endpoint.replace(/^urn:uuid:/i, '').replace(/^uuid:/i, '');
  const safe = segmentSafe(core);
  return `onvif-${safe.length >= 8 ? safe : createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}`;
}

/** Id of a configured camera: `id`, else its GB/T 28181 id, else (RTSP-only cameras) derived from host and stream path. */
export function idOfStatic(c: StaticCamera): string {
  if (c.id) return c.id;
  if (c.gbId) return c.gbId;
  if (!c.rtsp) throw new Error('an ONVIF camera needs `id` or `gbId` (checked by the config schema)');
  const t = parseRtspUrl(c.rtsp);
  const u = new URL(t.url);
  const tail = createHash('sha256').update(`${u.pathname}${u.search}`).digest('hex').slice(0, 8);
  return `rtsp-${segmentSafe(`${t.host}-${t.port}${u.pathname.replace(/\//g, '-')}`).slice(0, 80)}-${tail}`;
}

export function targetsFromConfig(config: AgentConfig): CameraTarget[] {
  return config.cameras.map((c) => ({
    id: idOfStatic(c),
    gbId: c.gbId ?? null,
    name: c.name ?? null,
    xaddr: c.onvif !== undefined ? normaliseXaddr(c.onvif) : undefined,
    endpoint: undefined,
    rtspUrl: c.rtsp,
    credentialName: c.credential,
    allowBasicAuth: c.allowBasicAuth,
    pointId: c.pointId ?? null,
    category: c.category ?? null,
    origin: 'config',
    channelSettings: c.channels,
  }));
}
