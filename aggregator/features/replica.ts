import type { Logger } from 'pino';
import { parseTopic } from '../../protocols/index.js';
import type { IncomingMessage } from '../../platform/mqtt-client.js';
import type { AggregatorStore, InboxRow, ReplicaInbox } from '../store/port.js';
import { GroupCommit } from './group-commit.js';

/** how many inbox rows the leader applies between two commits */
const APPLY_BATCH = 1000;
/** applied inbox rows are dropped once this old, checked this often: a province's traffic is not kept for hours */
const INBOX_KEEP_MS = 10 * 60_000;
const INBOX_PRUNE_EVERY_MS = 60_000;

/**
 * One of several aggregators on one PostgreSQL database sharing the ingest
 * (`replicas.group`): each takes its share of the MQTT traffic through a
 * shared subscription and appends it to the inbox table (events once per
 * agent, session and seq), acknowledging only what is committed there. One
 * replica, the holder of an advisory lock, is the leader: it loads the
 * centre's state and applies the inbox in id order, writing what it derives
 * and its cursor in the same transaction, so a leader killed at any point is
 * followed by one that carries on from the last commit, nothing lost and
 * nothing applied twice. The others pass the HTTP API through to the leader,
 * so every replica answers the same.
 */
export class Replica {
  private pending: Array<{ at: number; topic: string; payload: Buffer; eventKey: string | null }> = [];
  private readonly batch: GroupCommit;
  private leaderTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private applying: Promise<void> | undefined;
  /** the leader's API, for followers to pass requests to */
  leaderApi: string | undefined;
  isLeader = false;

  constructor(
    private readonly deps: {
      /** where the leader's changes go, and the shared inbox */
      store: Pick<AggregatorStore, 'record' | 'flush'>;
      inbox: ReplicaInbox;
      topicRoot: string;
      takeAcks: () => () => void;
      /** this replica's own API URL, which followers pass requests to while it leads */
      advertise: () => string;
      now: () => number;
      log: Logger;
      /** the leader lock was lost: this process must end (another replica leads now) */
      fatal: (err: Error) => void;
    },
  ) {
    this.batch = new GroupCommit({
      flush: () => this.append(),
      takeAcks: deps.takeAcks,
      maxDelayMs: 20,
      maxMessages: 1000,
      onError: (err) => deps.log.error({ err: { message: (err as Error).message } }, 'inbox append failed: the batch stays unacknowledged and is written again'),
    });
  }

  /** messages of this replica's share not yet in the inbox (nor acknowledged to the broker) */
  get waiting(): number {
    return this.batch.waiting;
  }

  /** A message of this replica's share: to the inbox. */
  receive(m: IncomingMessage): void {
    this.batch.add(() => this.pending.push({ at: this.deps.now(), topic: m.topic, payload: m.payload, eventKey: eventKey(this.deps.topicRoot, m) }));
  }

  private async append(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    try {
      await this.deps.inbox.appendInbox(rows);
    } catch (err) {
      this.pending = rows.concat(this.pending);
      throw err;
    }
  }

  /**
   * Tries every second to lead; `lead` loads the state from the database and
   * returns how to apply one inbox row, then the inbox is applied from the
   * cursor on. Until then the leader's API is looked up for the followers.
   */
  start(lead: () => Promise<(row: InboxRow) => void>): void {
    const attempt = async () => {
      if (this.stopped || this.isLeader) return;
      try {
        const cursor = await this.deps.inbox.tryLeadership((err) => {
          this.deps.log.fatal({ err: { message: err.message } }, 'leader lock lost: stopping, another replica leads now');
          this.deps.fatal(err);
        });
        if (cursor === undefined) {
          this.leaderApi = await this.deps.inbox.readMeta('leader_api');
          return;
        }
        this.isLeader = true;
        this.deps.log.info({ cursor }, 'this replica leads: loading the state and applying the inbox');
        let apply: (row: InboxRow) => void;
        try {
          apply = await lead();
        } catch (err) {
          // holding the lock without applying would stall every replica: give it up by ending
          return this.deps.fatal(err as Error);
        }
        this.deps.store.record({ kind: 'meta', key: 'leader_api', value: this.deps.advertise() });
        this.leaderApi = undefined;
        this.applying = this.applyLoop(cursor, apply);
      } catch (err) {
        this.deps.log.warn({ err: { message: (err as Error).message } }, 'leadership not settled: trying again');
      }
    };
    void attempt();
    this.leaderTimer = setInterval(() => void attempt(), 1000);
  }

  private async applyLoop(from: number, apply: (row: InboxRow) => void): Promise<void> {
    let cursor = from;
    let prunedAt = this.deps.now();
    const { store, inbox, log } = this.deps;
    while (!this.stopped) {
      try {
        if (this.deps.now() - prunedAt > INBOX_PRUNE_EVERY_MS) {
          prunedAt = this.deps.now();
          const dropped = await inbox.pruneInbox(cursor, prunedAt - INBOX_KEEP_MS);
          if (dropped > 0) log.debug({ dropped }, 'applied inbox rows dropped');
        }
        const rows = await inbox.readInbox(cursor, APPLY_BATCH);
        for (const row of rows) {
          apply(row);
          cursor = row.id;
        }
        if (rows.length > 0) store.record({ kind: 'meta', key: 'inbox_cursor', value: String(cursor) });
        // what the rows changed and the cursor after them, in one transaction
        await store.flush();
        if (rows.length < APPLY_BATCH) await sleep(rows.length === 0 ? 50 : 5);
      } catch (err) {
        if ((err as { code?: string }).code === 'FENCED') return this.deps.fatal(err as Error);
        log.error({ err: { message: (err as Error).message } }, 'inbox not applied: trying again');
        await sleep(1000);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    await this.batch.stop();
    await this.applying;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `agent seq session` of an event message (no NUL: PostgreSQL text cannot hold one; the agent id and seq hold no space), so the inbox keeps each event once; null for anything else (or what does not parse: the leader rejects it). */
export function eventKey(root: string, m: { topic: string; payload: Buffer }): string | null {
  const t = parseTopic(root, m.topic);
  if (t?.kind !== 'events' || m.payload.length === 0 || m.payload.length > 1024 * 1024) return null;
  try {
    const e = JSON.parse(m.payload.toString('utf8')) as { session?: unknown; seq?: unknown };
    if (typeof e.session !== 'string' || !Number.isSafeInteger(e.seq)) return null;
    return `${t.agentId} ${String(e.seq)} ${e.session.slice(0, 256)}`;
  } catch {
    return null;
  }
}
