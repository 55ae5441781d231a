import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { fromLocal, topics } from '../../protocols/index.js';
import { SqliteStore } from '../../aggregator/adapters/sqlite-store.js';
import { AggregatorState } from '../../aggregator/features/state.js';
import { DailyTrend } from '../../aggregator/features/daily-trend.js';
import { dayTotals, type ReportDeps } from '../../aggregator/features/report.js';
import { createPipeline } from '../../aggregator/ingest/pipeline.js';
import type { ChangeSink } from '../../aggregator/store/changes.js';

// Issue 31: closed days are stored, not recomputed. A real SQLite store, the
// fleet model and the ingest pipeline; a clock the test moves.
const TZ = 'Asia/Shanghai';
const H = 3600_000;
const day = (d: number) => fromLocal(2026, 12, d, TZ);
const iso = (ms: number) => new Date(ms).toISOString();
const t = topics();

describe('daily totals', () => {
  it('daily totals: the trend of closed days is read from stored rows (pruning the history changes nothing), a late event for a closed day updates its row', async () => {
    let now = day(4) + 12 * H; // 4 December, noon in Shanghai
    const log = pino({ level: 'silent' });
    const store = new SqliteStore({ file: ':memory:', log });
    await store.open();
    let historyAt: (at: number) => void = () => undefined;
    const changes: ChangeSink = {
      record: (c) => {
        store.record(c);
        if (c.kind === 'mark' || c.kind === 'markProven' || c.kind === 'cameraRemoved') historyAt(c.at);
      },
    };
    const state = new AggregatorState({ changes, log, now: () => now });
    const ingest = createPipeline({ fleet: state, log, rates: { observe: () => undefined, markDirty: () => undefined }, ownTier: undefined, topicRoot: t.root, maxPayloadBytes: 64 * 1024 });
    const send = (topic: string, payload: unknown) => ingest({ topic, payload: Buffer.from(JSON.stringify(payload)), responseTopic: undefined, correlationData: undefined });
    const report = (): ReportDeps => ({ store, agentRegion: () => '330106', timeZone: TZ, now });
    const trend = new DailyTrend({ store, state, report, now: () => now, timeZone: TZ, log });
    historyAt = (at) => trend.historyAt(at);

    await state.setPlan([{ id: 'P1', name: '文三路', region: '330106', category: 'key_public_area', required: 1 }]);
    send(t.agentState('gw'), { state: 'online', session: 's1', agentVersion: '0.1.0', startedAt: iso(day(1)), site: null, region: '330106', lastSeq: 0 });
    let seq = 0;
    const change = (at: number, from: string, to: string) => send(t.events('gw'), { type: 'state', session: 's1', seq: ++seq, ts: iso(at), cameraId: 'c1', from, to, rung: to === 'offline' ? 'tcp' : null, reason: to === 'offline' ? 'unreachable' : null });
    // c1 came up on 1 December; on the 2nd it was down from 10:00 to 16:00
    change(day(1), 'unknown', 'online');
    send(t.cameraStatus('gw', 'c1'), { cameraId: 'c1', name: null, state: 'online', since: iso(day(2) + 16 * H), checkedAt: iso(now - 1000), rung: null, reason: null, detail: null, consecutiveFailures: 0, source: 'rtsp', address: 'h:554', streamUri: null, stream: null, device: null, clockDriftMs: null, pointId: 'P1', category: null, faults: [], rungs: [] });
    change(day(2) + 10 * H, 'online', 'offline');
    change(day(2) + 16 * H, 'offline', 'online');
    await store.flush();

    const rate = (points: Awaited<ReturnType<DailyTrend['series']>>) => points.map((p) => [p.day, p.online.rate, p.intact.numerator, p.intact.denominator, p.complete]);
    const first = await trend.series('330106', 4, 'all');
    expect(rate(first)).toEqual([
      ['2026-12-01', 1, 1, 1, true],
      ['2026-12-02', 18 / 24, 1, 1, true],
      ['2026-12-03', 1, 1, 1, true],
      ['2026-12-04', 1, 1, 1, false],
    ]);
    // the closed days are rows of the store now: per region of the tree and the whole
    expect((await store.dailyTotals('330106', 'all', '2026-12-01', '2026-12-03')).map((r) => [r.day, r.onlineMs, r.observedMs])).toEqual([
      ['2026-12-01', 24 * H, 24 * H],
      ['2026-12-02', 18 * H, 24 * H],
      ['2026-12-03', 24 * H, 24 * H],
    ]);
    expect((await store.dailyTotals('330000', 'key_public_area', '2026-12-02', '2026-12-02'))[0]).toMatchObject({ onlineMs: 18 * H, installed: 1, networked: 1, intact: 1 });

    // a late event (a gateway's outbox, replayed): c1 was down on the 3rd from 08:00 to 20:00
    change(day(3) + 8 * H, 'online', 'offline');
    change(day(3) + 20 * H, 'offline', 'online');
    await store.flush();
    // the stored row stands until the next turn works the day out again; then it says what happened
    expect(rate(await trend.series('330106', 4, 'all'))[2]).toEqual(['2026-12-03', 1, 1, 1, true]);
    await trend.close();
    const after = await trend.series('330106', 4, 'all');
    expect(rate(after)[2]).toEqual(['2026-12-03', 12 / 24, 1, 1, true]);

    // the history of those days pruned: walking it now would say something else, the trend does not
    await store.prune(day(4));
    state.pruned(day(4));
    const walked = await dayTotals(report(), [{ from: day(2), to: day(3) }]);
    expect(walked[0]!.get('330106\u0000all')?.onlineMs).not.toBe(18 * H);
    now += 2 * H;
    const later = await trend.series('330106', 4, 'all');
    expect(rate(later).slice(0, 3)).toEqual(rate(after).slice(0, 3));
    await store.close();
  });
});
