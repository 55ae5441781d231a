import type { DeviceInfo } from '../../protocols/index.js';
import {
  getDeviceInformation,
  getMediaXaddr,
  getProfiles,
  getSnapshotUri,
  getStreamUri,
  getVideoSources,
  measureClockDrift,
  type MediaProfile,
  type OnvifSession,
} from '../adapters/onvif/onvif-device.js';
import { SoapError } from '../adapters/onvif/soap-client.js';
import type { CredentialSet } from '../../config/agent.js';
import { channelsOf } from './channels.js';

/** A channel's streams: main first, then the sub-stream when it has one. */
export type ChannelStreams = Array<{ profile: string; uri: string }>;

/** What an authenticated ONVIF inspection learnt about a device. */
export interface OnvifInspection {
  device: DeviceInfo;
  credential: CredentialSet | undefined;
  mediaXaddr: string;
  profiles: MediaProfile[];
  /** stream URIs of the camera (of the channel, in a channel's view), main first; absent where the device refused */
  streams: ChannelStreams;
  snapshotUri: string | null;
  /** every channel of the device (one on a camera), in the device's order: its number, video source and streams */
  channels: Array<{ index: number; source: string; streams: ChannelStreams }>;
}

/** What a channel sees of its device's inspection: the device's facts, its own streams (none when the device no longer has its source). */
export function channelView(device: OnvifInspection, source: string): OnvifInspection {
  return { ...device, streams: device.channels.find((c) => c.source === source)?.streams ?? [], snapshotUri: null };
}

/** Credential sets to try, in order: the one that worked last, then the pinned or configured ones, then none. */
export function credentialOrder(all: CredentialSet[], pinned: string | undefined, remembered: string | undefined): Array<CredentialSet | undefined> {
  if (pinned !== undefined) return [all.find((c) => c.name === pinned)];
  const order: Array<CredentialSet | undefined> = [];
  const first = all.find((c) => c.name === remembered);
  if (first) order.push(first);
  for (const c of all) if (c !== first) order.push(c);
  order.push(undefined);
  return order;
}

const sessionFor = (xaddr: string, c: CredentialSet | undefined, timeDiffMs: number, deadlineMs: number): OnvifSession => ({
  xaddr,
  credentials: c ? { username: c.username, password: c.password } : undefined,
  timeDiffMs,
  digest: undefined,
  deadlineMs,
});

/**
 * Finds the credential set the device accepts (GetDeviceInformation),
 * then reads media service, profiles, stream and snapshot URIs. An auth
 * failure moves to the next set; any other error ends the inspection.
 */
export async function inspectOnvif(opts: {
  xaddr: string;
  candidates: Array<CredentialSet | undefined>;
  timeDiffMs: number;
  deadlineMs: number;
}): Promise<OnvifInspection> {
  let lastAuth: SoapError | undefined;
  for (const cred of opts.candidates) {
    const s = sessionFor(opts.xaddr, cred, opts.timeDiffMs, opts.deadlineMs);
    let device: DeviceInfo;
    try {
      device = await getDeviceInformation(s);
    } catch (err) {
      if (err instanceof SoapError && err.code === 'ONVIF_AUTH') {
        lastAuth = err;
        continue;
      }
      throw err;
    }
    const mediaXaddr = await getMediaXaddr(s).catch(() => opts.xaddr);
    const profiles = await getProfiles(s, mediaXaddr);
    // an NVR or encoder: one channel per video source (a device without GetVideoSources is read from its profiles)
    const sources = await getVideoSources(s, mediaXaddr).catch(() => []);
    const channels: OnvifInspection['channels'] = [];
    let lastError: unknown;
    for (const plan of channelsOf(sources, profiles)) {
      const streams: ChannelStreams = [];
      // main and sub-stream: what the checks read
      for (const p of plan.profiles.slice(0, 2)) {
        try {
          streams.push({ profile: p.token, uri: await getStreamUri(s, mediaXaddr, p.token) });
        } catch (err) {
          lastError = err;
        }
      }
      channels.push({ index: plan.index, source: plan.source, streams });
    }
    if (!channels.some((c) => c.streams.length > 0)) {
      if (lastError) throw lastError;
      throw new SoapError('ONVIF_FAULT', 'the device offers no stream URI');
    }
    const streams = channels[0]!.streams;
    const snapshotUri = profiles[0] ? await getSnapshotUri(s, mediaXaddr, profiles[0].token).catch(() => null) : null;
    return { device, credential: cred, mediaXaddr, profiles, streams, snapshotUri, channels };
  }
  throw lastAuth ?? new SoapError('ONVIF_AUTH', 'no credential set configured for this device');
}

/** Cheap authenticated liveness call with the remembered credentials. */
export async function onvifAuthCheck(xaddr: string, cred: CredentialSet | undefined, timeDiffMs: number, deadlineMs: number): Promise<DeviceInfo> {
  return getDeviceInformation(sessionFor(xaddr, cred, timeDiffMs, deadlineMs));
}

export async function clockDrift(xaddr: string, deadlineMs: number): Promise<number | null> {
  return measureClockDrift(sessionFor(xaddr, undefined, 0, deadlineMs));
}
