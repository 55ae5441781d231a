/**
 * Which (agent, session, seq) an engine already holds, kept as sorted ranges
 * of seq per session: the fleet model answers at once whether an event is
 * new, whatever the engine and however its writes are batched. One range
 * covers a session that arrived in order; a hole costs one more. Exact for
 * the one process that writes (the aggregator, or the leader of replicas,
 * which loads it anew when it takes the lead).
 */
export class EventKeyIndex {
  /** per agent, per session: no key string is built for a lookup on the hot path */
  private readonly agents = new Map<string, Map<string, { ranges: Array<[number, number]>; lastTs: number }>>();

  /** Records a stored range (from the engine at start). */
  addRange(agentId: string, session: string, from: number, to: number, lastTs: number): void {
    const e = this.entry(agentId, session);
    e.lastTs = Math.max(e.lastTs, lastTs);
    insertRange(e.ranges, from, to);
  }

  /**
   * Records a session as the store holds it: every seq from 1 to `maxSeq`
   * but the holes (sorted, as the store's gap query gives them).
   */
  addSession(agentId: string, session: string, maxSeq: number, lastTs: number, holes: ReadonlyArray<{ fromSeq: number; toSeq: number }>): void {
    let next = 1;
    for (const h of holes) {
      if (h.fromSeq > next) this.addRange(agentId, session, next, h.fromSeq - 1, lastTs);
      next = Math.max(next, h.toSeq + 1);
    }
    if (maxSeq >= next) this.addRange(agentId, session, next, maxSeq, lastTs);
    this.entry(agentId, session).lastTs = Math.max(this.entry(agentId, session).lastTs, lastTs);
  }

  /** True when the key was not there (and now is). */
  add(agentId: string, session: string, seq: number, ts: number): boolean {
    const e = this.entry(agentId, session);
    if (has(e.ranges, seq)) return false;
    insertRange(e.ranges, seq, seq);
    e.lastTs = Math.max(e.lastTs, ts);
    return true;
  }

  /** Forgets the sessions whose last event is older than `before` (pruned from the engine). */
  dropOlderThan(before: number): void {
    for (const [agentId, sessions] of this.agents) {
      for (const [k, e] of sessions) if (e.lastTs < before) sessions.delete(k);
      if (sessions.size === 0) this.agents.delete(agentId);
    }
  }

  /** Number of ranges held, for tests and the memory bound. */
  get size(): number {
    let n = 0;
    for (const sessions of this.agents.values()) for (const e of sessions.values()) n += e.ranges.length;
    return n;
  }

  private entry(agentId: string, session: string) {
    let sessions = this.agents.get(agentId);
    if (!sessions) this.agents.set(agentId, (sessions = new Map()));
    let e = sessions.get(session);
    if (!e) sessions.set(session, (e = { ranges: [], lastTs: 0 }));
    return e;
  }
}

/** Index of the last range starting at or below `seq`, or -1. */
function floor(ranges: Array<[number, number]>, seq: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]![0] <= seq) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function has(ranges: Array<[number, number]>, seq: number): boolean {
  const i = floor(ranges, seq);
  return i >= 0 && ranges[i]![1] >= seq;
}

/** Inserts [from, to] and merges it with the ranges it touches. */
function insertRange(ranges: Array<[number, number]>, from: number, to: number): void {
  let i = floor(ranges, from);
  // merge with the range before when it reaches `from`
  if (i >= 0 && ranges[i]![1] >= from - 1) {
    ranges[i]![1] = Math.max(ranges[i]![1], to);
  } else {
    i += 1;
    ranges.splice(i, 0, [from, to]);
  }
  // swallow the ranges after that the merged one now reaches
  const cur = ranges[i]!;
  let j = i + 1;
  while (j < ranges.length && ranges[j]![0] <= cur[1] + 1) {
    cur[1] = Math.max(cur[1], ranges[j]![1]);
    j += 1;
  }
  if (j > i + 1) ranges.splice(i + 1, j - i - 1);
}
