import type { Logger } from 'pino';
import type { SipResponse } from '../adapters/sip/message.js';
import { writeManscdp, type XmlFields } from '../adapters/sip/manscdp.js';
import type { GbUpstreamSettings } from '../../config/gb28181.js';
import { cameraItem, regionItem, regionTree, statusItem, type CatalogCamera } from './catalog.js';

/** What the catalog is made of: the fleet as the upper platform sees it. */
export interface CatalogSource {
  /** the cameras reported upward (a valid GB/T 28181 id) in these regions (all when none): their catalog ids and regions */
  reported(roots: readonly string[]): Array<{ gbId: string; region: string | null }>;
  /** a reported camera as it is now */
  byGbId(gbId: string): CatalogCamera | undefined;
  /** how many cameras are reported in these regions */
  count(roots: readonly string[]): number;
  /** a region's name (the plan's, else the division data's, else the code) */
  regionName(code: string): string;
}

/** the next chunk goes when the last is answered, or after this long (WVP's pace) */
const NEXT_CHUNK_MS = 100;
/** chunks sent and not yet answered, at most (a slow platform is not flooded) */
const MAX_UNANSWERED = 32;

/**
 * The answer to a `Query/Catalog` (GB/T 28181 §9.5.1, A.2.6.4): the region
 * tree and the reported cameras as `Response/Catalog` MESSAGEs of
 * `catalogChunk` items, each saying `SumNum`, the next after the last is
 * answered or 100 ms. Which items is fixed when the query comes (SumNum is
 * promised); each item says the camera as it is when its chunk goes. A new
 * query ends the one still being answered.
 */
export class CatalogAnswer {
  private run_ = 0;

  constructor(
    private readonly deps: {
      settings: GbUpstreamSettings;
      source: CatalogSource;
      send: (body: Buffer) => Promise<SipResponse>;
      log: Logger;
    },
  ) {}

  abort(): void {
    this.run_ += 1;
  }

  run(sn: number): void {
    const me = ++this.run_;
    void this.send(me, sn).catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, sn }, 'catalog answer stopped'));
  }

  private async send(me: number, sn: number): Promise<void> {
    const { settings: s, source } = this.deps;
    const started = Date.now();
    const cameras = source.reported(s.regions);
    const regions = regionTree(
      cameras.flatMap((c) => (c.region === null ? [] : [c.region])),
      s.regions,
    );
    const tree = new Set(regions);
    const total = regions.length + cameras.length;
    const itemAt = (i: number): XmlFields => {
      if (i < regions.length) return regionItem(regions[i]!, source.regionName(regions[i]!), tree, s.localId);
      const c = cameras[i - regions.length]!;
      const cam = source.byGbId(c.gbId);
      // a camera that left since the query still fills its place (SumNum was promised); its DEL follows
      return cam ? cameraItem(cam, s.localId) : statusItem(c.gbId, 'OFF', 'OFF').filter(([k]) => k !== 'Event');
    };
    const waiting = new Set<Promise<unknown>>();
    let failed = 0;
    for (let i = 0; i === 0 || i < total; i += s.catalogChunk) {
      if (me !== this.run_) return;
      const items: XmlFields[] = [];
      for (let j = i; j < Math.min(total, i + s.catalogChunk); j++) items.push(itemAt(j));
      const body = writeManscdp('Response', [['CmdType', 'Catalog'], ['SN', sn], ['DeviceID', s.localId], ['SumNum', total], ['DeviceList', { attrs: { Num: items.length }, children: items.map((it) => ['Item', it] as [string, XmlFields]) }]], s.charset);
      const sent = this.deps.send(body).then(
        (r) => {
          if (r.status >= 300) failed += 1;
        },
        () => {
          failed += 1;
        },
      );
      waiting.add(sent);
      void sent.finally(() => waiting.delete(sent));
      await Promise.race([sent, new Promise((r) => setTimeout(r, NEXT_CHUNK_MS))]);
      while (waiting.size >= MAX_UNANSWERED) await Promise.race(waiting);
    }
    await Promise.all(waiting);
    this.deps.log.info({ sn, items: total, cameras: cameras.length, regions: regions.length, chunk: s.catalogChunk, unanswered: failed, ms: Date.now() - started }, 'catalog answered to the upper platform');
  }
}
