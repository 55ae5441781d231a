import { isGbId, regionAncestors, type CameraState, type Rung } from '../../protocols/index.js';
import type { XmlFields } from '../adapters/sip/manscdp.js';

/**
 * What the upper GB/T 28181 platform sees of our cameras (docs/domain.md §5):
 * a catalog of region items (行政区划) and camera items, each camera ON or
 * OFF, and on change one of the catalog events. Pure: built from a view of
 * the fleet model, tested directly.
 */

/** A camera as the catalog needs it. */
export interface CatalogCamera {
  cameraId: string;
  /** its GB/T 28181 id: the config's gbId, else its id when that is one */
  gbId: string;
  name: string;
  manufacturer: string;
  model: string;
  /** GB/T 2260 code (6 or 8 digits) of its region, or null when nothing places it */
  region: string | null;
  /** the point's name, where it is (Address) */
  address: string;
  longitude: number | undefined;
  latitude: number | undefined;
  /** effective state at the centre */
  state: CameraState;
  /** lowest failed rung of its last check */
  rung: Rung | null;
}

export type CatalogStatus = 'ON' | 'OFF';
export type CatalogEvent = 'ON' | 'OFF' | 'VLOST' | 'DEFECT' | 'ADD' | 'DEL' | 'UPDATE';

/** The id a camera is known by upward: its configured GB/T 28181 id, else its own id when that is a valid one; none otherwise. */
export function catalogIdOf(cameraId: string, gbId: string | null | undefined): string | undefined {
  if (gbId && isGbId(gbId)) return gbId;
  return isGbId(cameraId) ? cameraId : undefined;
}

/** online and degraded show a picture: ON; offline and unknown: OFF (compared case-sensitively upward). */
export function statusWord(state: CameraState): CatalogStatus {
  return state === 'online' || state === 'degraded' ? 'ON' : 'OFF';
}

/** The event a state stands for: no video (offline at the decode rung) VLOST, picture faults DEFECT, other offline or unknown OFF, else ON. */
export function stateEvent(state: CameraState, rung: Rung | null): 'ON' | 'OFF' | 'VLOST' | 'DEFECT' {
  if (state === 'online') return 'ON';
  if (state === 'degraded') return 'DEFECT';
  if (state === 'offline' && rung === 'decode') return 'VLOST';
  return 'OFF';
}

/** A GB/T 2260 code as a GB/T 28181 行政区划 DeviceID: 330000 → 33, 330100 → 3301, 330106 → 330106, 33010601 as it is. */
export function regionDeviceId(code: string): string {
  if (code.length === 8) return code;
  if (code.endsWith('0000')) return code.slice(0, 2);
  if (code.endsWith('00')) return code.slice(0, 4);
  return code;
}

/** Whether a region lies under one of `roots` (all when none are given). */
export function inScope(region: string | null, roots: readonly string[]): boolean {
  if (roots.length === 0) return true;
  if (region === null) return false;
  const up = regionAncestors(region);
  return roots.some((r) => up.includes(r));
}

/** The region items the catalog needs for cameras in these regions: each region and the levels above it, down to the roots; parents first. */
export function regionTree(regions: Iterable<string>, roots: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of regions) {
    for (const a of regionAncestors(r)) {
      // above a configured root is not ours to report
      if (roots.length > 0 && !roots.some((root) => regionAncestors(a).includes(root))) continue;
      out.add(a);
    }
  }
  return [...out].sort((a, b) => regionDeviceId(a).length - regionDeviceId(b).length || a.localeCompare(b));
}

/** The parent a region hangs under: the next level up when the tree has it, else our platform. */
function regionParent(code: string, tree: ReadonlySet<string>, platformId: string): string {
  const up = regionAncestors(code).slice(1).find((a) => tree.has(a));
  return up === undefined ? platformId : regionDeviceId(up);
}

/** A 行政区划 item. */
export function regionItem(code: string, name: string, tree: ReadonlySet<string>, platformId: string): XmlFields {
  return [
    ['DeviceID', regionDeviceId(code)],
    ['Name', name],
    ['ParentID', regionParent(code, tree, platformId)],
  ];
}

/** A camera item of a catalog answer or an ADD/UPDATE notification. */
export function cameraItem(c: CatalogCamera, platformId: string, event?: CatalogEvent): XmlFields {
  const civil = c.region === null ? undefined : regionDeviceId(c.region);
  return [
    ['DeviceID', c.gbId],
    ['Name', c.name],
    ['Manufacturer', c.manufacturer],
    ['Model', c.model],
    ['Owner', civil ?? platformId],
    ['CivilCode', civil ?? platformId.slice(0, 6)],
    ['Address', c.address],
    ['Parental', '0'],
    ['ParentID', civil ?? platformId],
    ['SafetyWay', '0'],
    ['RegisterWay', '1'],
    ['Secrecy', '0'],
    ['Status', statusWord(c.state)],
    ['Longitude', c.longitude],
    ['Latitude', c.latitude],
    ['Event', event],
  ];
}

/** A status notification's item: the id, the event and the status it leaves (WVP reads DeviceID and Event). */
export function statusItem(gbId: string, event: CatalogEvent, status: CatalogStatus | undefined): XmlFields {
  return [
    ['DeviceID', gbId],
    ['Event', event],
    ['Status', status],
  ];
}

/** What of a camera's item, besides its status, the upper platform holds: a change of it is an UPDATE. */
export function describe(c: CatalogCamera): string {
  return [c.name, c.manufacturer, c.model, c.region ?? '', c.address, c.longitude ?? '', c.latitude ?? ''].join('\u0001');
}
