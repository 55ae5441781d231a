import type { z } from 'zod';
import { alertMessage, cameraStatusMessage, maintenanceWindow, type CameraState } from '../../protocols/index.js';
import type { StartRead, StoreSnapshot } from './port.js';
import { agentRecord, lossRecord, planPointRecord } from './records.js';
import { MarkGroups } from './rows.js';
import { JsonArrayElements } from './json-array.js';
import { Interner } from './intern.js';

type Rows = Iterable<Record<string, unknown>>;

/**
 * How an engine runs a read: the statement, its rows (plain objects by
 * column name; bigint columns already numbers). `order` is the column that
 * keeps the order rows were written in: `rowid` on SQLite, `id` on PostgreSQL.
 */
export interface SnapshotReader {
  query(sql: string): Promise<Rows> | Rows;
  order: 'rowid' | 'id';
  /** a stored record its schema refused: left out, said once per table */
  refused(table: string, reason: string): void;
  /**
   * Called once per row of the large tables (cameras, marks): a promise to
   * await gives the event loop back (features/slices.ts pacer), so that a
   * centre loading a province's store still answers. The rows of a query
   * are then read across turns: the engine must allow other queries
   * meanwhile (SQLite: a connection of its own for the read).
   */
  pace?: () => Promise<void> | undefined;
}

/** What the centre reads before it loads the rest (and before its API answers): the audit trail's last record, the view of the rates kept for a restart. */
export async function readStart(r: Pick<SnapshotReader, 'query'>): Promise<StartRead> {
  const one = async <T>(sql: string) => [...((await r.query(sql)) as Iterable<T>)][0];
  const restore = await one<{ value: string }>("SELECT value FROM meta WHERE key = 'rates_restore'");
  const cameras = await one<{ n: number }>('SELECT COUNT(*) AS n FROM cameras WHERE removed_at IS NULL');
  const head = await one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  return { auditHead: head ? { seq: Number(head.seq), hash: head.hash } : null, restore: restore?.value, cameras: Number(cameras?.n ?? 0) };
}

/** Everything the centre restores at start, read the same way from either engine and checked by the records' schemas. */
export async function readSnapshot(r: SnapshotReader): Promise<StoreSnapshot> {
  const q = async <T>(sql: string) => (await r.query(sql)) as Iterable<T>;
  const json = <S extends z.ZodType>(table: string, schema: S, text: string): z.output<S> | undefined => {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      r.refused(table, 'not JSON');
      return undefined;
    }
    const p = schema.safeParse(data);
    if (p.success) return p.data;
    r.refused(table, p.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return undefined;
  };
  const keep = <T>(xs: Array<T | undefined>) => xs.filter((x): x is T => x !== undefined);
  const rows = <T>(it: Iterable<T>) => [...it];
  /** a large table's rows, the event loop given back as they are read */
  const each = async <T>(it: Iterable<T>, fn: (row: T) => void) => {
    for (const row of it) {
      fn(row);
      const p = r.pace?.();
      if (p) await p;
    }
  };

  /** the stored plan, its points checked one by one (a province's million is seconds of checks) */
  // the values a province repeats per camera and per point: one string each (intern.ts)
  const words = new Interner();
  const planOf = async (text: string): Promise<StoreSnapshot['plan']> => {
    // a point at a time (json-array.ts): a province's plan parsed whole held the event loop a second
    const elements = new JsonArrayElements(text);
    const points: NonNullable<StoreSnapshot['plan']> = [];
    let bad: string | undefined;
    await each(elements, (item) => {
      if (bad) return;
      let x: unknown;
      try {
        x = JSON.parse(item);
      } catch {
        bad = 'not JSON';
        return;
      }
      const p = planPointRecord.safeParse(x);
      if (p.success) {
        p.data.category = words.of(p.data.category);
        p.data.region = words.of(p.data.region);
        points.push(p.data);
      } else bad = p.error.issues.slice(0, 3).map((i) => `${points.length}.${i.path.join('.')}: ${i.message}`).join('; ');
    });
    if (!bad && !elements.ok()) bad = 'not JSON';
    // as the whole array's schema: one bad point and the stored plan is refused
    if (bad) r.refused('plan', bad);
    return bad ? undefined : points;
  };

  const groups = new MarkGroups();
  await each(await q<{ camera_id: string; at: number; state: CameraState }>(`SELECT camera_id, at, state FROM marks ORDER BY camera_id, at, ${r.order}`), (m) => groups.add(m));
  const marks = groups.out;
  const [outboxMax] = rows(await q<{ m: number | null }>('SELECT MAX(seq) AS m FROM alert_outbox'));
  const [kept] = rows(await q<{ value: string }>("SELECT value FROM meta WHERE key = 'alert_seq'"));
  const [planSource] = rows(await q<{ value: string }>("SELECT value FROM meta WHERE key = 'plan_source'"));
  const keptWalks = rows(await q<{ value: string }>("SELECT value FROM meta WHERE key IN ('rates_walk_24h', 'rates_walk_today')")).map((r) => r.value);
  const cameras: StoreSnapshot['cameras'] = [];
  const removals = new Map<string, number>();
  await each(await q<{ camera_id: string; agent_id: string; status_json: string; first_seen: number; removed_at: number | null }>('SELECT camera_id, agent_id, status_json, first_seen, removed_at FROM cameras'), (c) => {
    if (c.removed_at !== null) return void removals.set(c.camera_id, c.removed_at);
    const status = json('cameras', cameraStatusMessage, c.status_json);
    if (!status) return;
    status.state = words.of(status.state);
    status.source = words.of(status.source);
    cameras.push({ cameraId: c.camera_id, agentId: words.of(c.agent_id), status, firstSeen: c.first_seen });
  });
  const [plan] = rows(await q<{ json: string }>('SELECT json FROM plan WHERE id = 1'));
  const planPoints = plan ? await planOf(plan.json) : undefined;
  return {
    plan: planPoints,
    planSource: planPoints && planSource?.value ? planSource.value : null,
    keptWalks,
    agents: keep(rows(await q<{ json: string }>('SELECT json FROM agents')).map((a) => json('agents', agentRecord, a.json))),
    cameras,
    removals,
    marks,
    seqHeads: rows(await q<{ agent_id: string; session: string; m: number; t: number }>('SELECT agent_id, session, MAX(seq) AS m, MAX(ts) AS t FROM events GROUP BY agent_id, session')).map((h) => ({ agentId: h.agent_id, session: h.session, maxSeq: h.m, lastTs: h.t })),
    gaps: rows(
      await q<{ agent_id: string; session: string; from_seq: number; to_seq: number }>(
        `SELECT agent_id, session, prev + 1 AS from_seq, seq - 1 AS to_seq FROM (
           SELECT agent_id, session, seq, COALESCE(LAG(seq) OVER (PARTITION BY agent_id, session ORDER BY seq), 0) AS prev FROM events
         ) AS e WHERE seq - prev > 1 ORDER BY agent_id, session, from_seq`,
      ),
    ).map((g) => ({ agentId: g.agent_id, session: g.session, fromSeq: g.from_seq, toSeq: g.to_seq })),
    losses: keep(rows(await q<{ json: string }>(`SELECT json FROM losses ORDER BY ${r.order}`)).map((l) => json('losses', lossRecord, l.json))),
    windows: keep(rows(await q<{ json: string }>('SELECT json FROM maintenance ORDER BY id')).map((w) => json('maintenance', maintenanceWindow, w.json))),
    alerts: keep(
      rows(await q<{ json: string; active: number | boolean }>('SELECT json, active FROM alerts')).map((a) => {
        const alert = json('alerts', alertMessage, a.json);
        return alert && { alert, active: a.active === true || a.active === 1 };
      }),
    ),
    lastNoticeSeq: Math.max(outboxMax?.m ?? 0, kept ? Number(kept.value) : 0),
  };
}
