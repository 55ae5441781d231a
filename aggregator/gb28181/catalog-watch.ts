import { describe, stateEvent, type CatalogCamera, type CatalogEvent } from './catalog.js';

/** A change the upper platforms should hear of; `regionBefore` lets each decide whether the camera entered or left its scope. */
export interface CatalogChange {
  gbId: string;
  event: CatalogEvent;
  /** the camera now (absent after DEL) */
  camera: CatalogCamera | undefined;
  /** its region when last reported (undefined for a camera new to the catalog) */
  regionBefore: string | null | undefined;
}

/** What was last reported of a camera: compact, a million of them fit. */
interface Reported {
  gbId: string;
  region: string | null;
  event: 'ON' | 'OFF' | 'VLOST' | 'DEFECT';
  /** FNV-1a of the descriptive fields (name, maker, model, region, address, position) */
  desc: number;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Turns what a camera is now into the catalog events since it was last
 * reported: ADD for one new to the catalog (or under a new GB/T 28181 id,
 * after a DEL of the old one), DEL for one gone or without a valid id now,
 * UPDATE when its name, maker, model, region, address or position changed,
 * and ON / OFF / VLOST / DEFECT when its state's event changed (docs/domain.md §5).
 */
export class CatalogWatch {
  private readonly reported = new Map<string, Reported>();
  /** cameras the centre holds that have no valid GB/T 28181 id: not reported, counted */
  private readonly unreported = new Set<string>();
  /** camera ids by the GB/T 28181 id they are reported under */
  private readonly byGb = new Map<string, string>();

  /** The camera reported under a GB/T 28181 id. */
  cameraIdOf(gbId: string): string | undefined {
    return this.byGb.get(gbId);
  }

  get reportedCount(): number {
    return this.reported.size;
  }

  get unreportedCount(): number {
    return this.unreported.size;
  }

  /** Takes the fleet as it is without telling anyone (the catalog query is the full picture). */
  prime(cameras: Iterable<{ cameraId: string; camera: CatalogCamera | undefined }>): void {
    this.reported.clear();
    this.unreported.clear();
    this.byGb.clear();
    for (const c of cameras) this.observe(c.cameraId, c.camera, 'present');
  }

  /**
   * A camera changed: `camera` is what the catalog would say now, undefined
   * when it has no valid GB/T 28181 id (`present`) or the centre holds it no more (`gone`).
   */
  observe(cameraId: string, camera: CatalogCamera | undefined, held: 'present' | 'gone'): CatalogChange[] {
    if (camera === undefined && held === 'present') this.unreported.add(cameraId);
    else this.unreported.delete(cameraId);
    const before = this.reported.get(cameraId);
    const out: CatalogChange[] = [];
    if (before && (camera === undefined || camera.gbId !== before.gbId)) {
      this.reported.delete(cameraId);
      if (this.byGb.get(before.gbId) === cameraId) this.byGb.delete(before.gbId);
      out.push({ gbId: before.gbId, event: 'DEL', camera: undefined, regionBefore: before.region });
    }
    if (!camera) return out;
    const now: Reported = { gbId: camera.gbId, region: camera.region, event: stateEvent(camera.state, camera.rung), desc: fnv1a(describe(camera)) };
    this.reported.set(cameraId, now);
    this.byGb.set(camera.gbId, cameraId);
    const was = before && before.gbId === camera.gbId ? before : undefined;
    if (!was) {
      out.push({ gbId: camera.gbId, event: 'ADD', camera, regionBefore: undefined });
      return out;
    }
    if (was.desc !== now.desc) out.push({ gbId: camera.gbId, event: 'UPDATE', camera, regionBefore: was.region });
    if (was.event !== now.event) out.push({ gbId: camera.gbId, event: now.event, camera, regionBefore: was.region });
    return out;
  }
}
