import type { PointCategory } from '../../protocols/index.js';
import type { MediaProfile } from '../adapters/onvif/onvif-device.js';
import type { CameraTarget } from './camera-target.js';

/**
 * Channels of a device (docs/domain.md, "channel"): an NVR, DVR or video
 * encoder is one ONVIF device with one video source per input, each with its
 * own profiles (main, sub). Each source that has a profile is one camera.
 * A device with one source is one camera under the device's own id, as
 * before; with two or more, each is a channel `{deviceId}-ch{n}`.
 */

/** the most channels one device is taken to have (the largest NVRs have 256 inputs) */
export const MAX_CHANNELS = 256;

/** One video source of a device with the profiles that encode it, main first. */
export interface ChannelPlan {
  /** 1-based position of the source in the device's GetVideoSources order: the channel number people know */
  index: number;
  source: string;
  profiles: MediaProfile[];
}

/**
 * Groups a device's profiles by the video source they encode, in the
 * device's order of sources (GetVideoSources; when it gave none, the order
 * in which the profiles name them). A source no profile encodes has nothing
 * to watch and is no channel. Profiles that name no source belong to the one
 * channel when there is one; with several they cannot be placed and are left
 * out. Without any source token the device is one channel of all profiles.
 */
export function channelsOf(sources: readonly string[], profiles: readonly MediaProfile[]): ChannelPlan[] {
  const order = [...new Set(sources)];
  for (const p of profiles) if (p.sourceToken !== null && !order.includes(p.sourceToken)) order.push(p.sourceToken);
  const named = profiles.filter((p) => p.sourceToken !== null);
  if (named.length === 0) return profiles.length > 0 ? [{ index: 1, source: order[0] ?? '', profiles: [...profiles] }] : [];
  const plans: ChannelPlan[] = [];
  for (const [i, source] of order.entries()) {
    const own = profiles.filter((p) => p.sourceToken === source);
    if (own.length > 0) plans.push({ index: i + 1, source, profiles: own });
    if (plans.length >= MAX_CHANNELS) break;
  }
  const unnamed = profiles.filter((p) => p.sourceToken === null);
  if (plans.length === 1 && unnamed.length > 0) plans[0]!.profiles.push(...unnamed);
  return plans;
}

/** A channel as the config names it: its video source token and what to call and bind it to. */
export interface ChannelSetting {
  source: string;
  id?: string | undefined;
  gbId?: string | undefined;
  name?: string | undefined;
  pointId?: string | undefined;
  category?: PointCategory | undefined;
}

/** Where a device's channels are: their source tokens and numbers, as its last inspection found them. */
export type ChannelLayout = ReadonlyArray<{ source: string; index: number }>;

export const sameLayout = (a: ChannelLayout | undefined, b: ChannelLayout | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x.source === b![i]!.source && x.index === b![i]!.index);

/** The default id of a device's n-th channel. */
export const channelId = (deviceId: string, index: number): string => `${deviceId}-ch${index}`;

/**
 * The cameras a device target stands for: its channels when the device has
 * two or more (by its last known layout) or the config names channels for
 * it, else the device itself. A channel the config names and the layout
 * lacks is not watched (the caller says so); before any layout is known the
 * config's channels are taken in their order.
 */
export function expandDevice(device: CameraTarget, layout: ChannelLayout | undefined): { cameras: CameraTarget[]; unmatched: string[] } {
  const settings = device.channelSettings ?? [];
  const known = layout && layout.length > 0 ? layout : undefined;
  if (!device.xaddr || (settings.length === 0 && (!known || known.length < 2))) return { cameras: [device], unmatched: [] };
  const places = known ?? settings.map((s, i) => ({ source: s.source, index: i + 1 }));
  const cameras = places.map(({ source, index }) => {
    const s = settings.find((x) => x.source === source);
    const target: CameraTarget = {
      ...device,
      id: s?.id ?? s?.gbId ?? channelId(device.id, index),
      gbId: s?.gbId ?? null,
      name: s?.name ?? (device.name ? `${device.name} 通道${index}` : null),
      rtspUrl: undefined,
      // a device's point is one place; its channels are cameras of their own (the config binds each)
      pointId: s?.pointId ?? null,
      category: s?.category ?? device.category,
      channel: { deviceId: device.id, index, source },
      channelSettings: undefined,
    };
    return target;
  });
  const unmatched = settings.filter((s) => !places.some((p) => p.source === s.source)).map((s) => s.source);
  return { cameras, unmatched };
}
