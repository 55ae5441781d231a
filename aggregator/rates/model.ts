import type { CameraCategory, CameraState, PointCategory, StateMark } from '../../protocols/index.js';

/** A planned camera position (点位) from the point plan. */
export interface PlanPoint {
  id: string;
  name: string;
  /** GB/T 2260 region key (6 or 8 digits) */
  region: string;
  category: PointCategory;
  /** GB/T 28181 code of the point (国标编码), when the plan gives one: a camera with this id binds to the point */
  gbId?: string | undefined;
  /** cameras the point needs to count as covered (default 1) */
  required: number;
  /** the name of its region, given by the plan (for codes the division data has not) */
  regionName?: string | undefined;
  /** where the point is, WGS 84 degrees (both or neither) */
  longitude?: number | undefined;
  latitude?: number | undefined;
  /** the record (一机一档): where it is installed, when, who built it (建设单位) and who maintains it (运维单位) */
  address?: string | undefined;
  installedOn?: string | undefined;
  owner?: string | undefined;
  maintainer?: string | undefined;
}

/** What the rate maths needs to know about one installed camera. */
export interface CameraFact {
  id: string;
  agentId: string;
  /** the point it is bound to, when the plan has that point */
  pointId: string | null;
  region: string | null;
  /** its point's category; `unassigned` when no point and no agent config gives one */
  category: CameraCategory;
  /** effective state: `unknown` while its gateway is gone */
  state: CameraState;
  /** the NVR or encoder it is a channel of (its status's deviceId), when it is one */
  deviceId?: string | null | undefined;
  /** number of video-quality faults in its last status */
  faults: number;
  /** under a maintenance window now: counted apart, outside networking and intact (docs/domain.md §1) */
  maintenance?: boolean | undefined;
  /** its record is complete (建档率, docs/domain.md §1) */
  recorded?: boolean | undefined;
  /** why it is down, as its gateway judged (camera, its NVR, its site network); counted while it is offline */
  cause?: 'camera' | 'device' | 'network' | null | undefined;
  /** its state marks, by reference (the fleet model's own array): the online walk reads them without a lookup per camera */
  marks?: readonly StateMark[] | undefined;
}

export type CategoryKey = CameraCategory | 'all';
/** Columns of every rate table: the plan's categories, cameras nobody planned, and the whole. */
export const CATEGORY_KEYS: readonly CategoryKey[] = ['key_public_area', 'key_industry_part', 'other', 'unassigned', 'all'];
/** The key of the whole deployment in region maps. */
export const ALL_REGIONS = 'all';

/** Raw counts behind the rates of one (region, category) cell. */
export interface Counts {
  points: number;
  coveredPoints: number;
  installed: number;
  /** online or degraded: the stream reaches the centre */
  networked: number;
  /** online without picture faults */
  intact: number;
  online: number;
  degraded: number;
  offline: number;
  unknown: number;
  /** installed cameras under a maintenance window now: not in `installed` nor in the states above */
  maintenance: number;
  /** installed cameras whose record is complete (建档率); absent from the rollups of tiers that predate it */
  recorded: number;
  /** offline cameras by cause (docs/domain.md, "Causes"); the unknown ones are the gateways' */
  offlineCamera: number;
  offlineDevice: number;
  offlineNetwork: number;
}

export const emptyCounts = (): Counts => ({ points: 0, coveredPoints: 0, installed: 0, networked: 0, intact: 0, online: 0, degraded: 0, offline: 0, unknown: 0, maintenance: 0, recorded: 0, offlineCamera: 0, offlineDevice: 0, offlineNetwork: 0 });

export interface Ratio {
  numerator: number;
  denominator: number;
  /** null when the denominator is 0: no rate, not 100% and not 0% */
  rate: number | null;
}

export const ratio = (numerator: number, denominator: number): Ratio => ({ numerator, denominator, rate: denominator === 0 ? null : numerator / denominator });

export interface RateSet {
  coverage: Ratio;
  networking: Ratio;
  intact: Ratio;
  /** 建档率: installed cameras with a complete record ÷ installed cameras */
  register: Ratio;
  counts: Counts;
}

export function rateSet(c: Counts): RateSet {
  return { coverage: ratio(c.coveredPoints, c.points), networking: ratio(c.networked, c.installed), intact: ratio(c.intact, c.installed), register: ratio(c.recorded, c.installed), counts: { ...c } };
}

export const isNetworked = (s: CameraState) => s === 'online' || s === 'degraded';
export const isIntact = (f: Pick<CameraFact, 'state' | 'faults'>) => f.state === 'online' && f.faults === 0;
