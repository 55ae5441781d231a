/** Sessions per agent whose seq gaps the centre keeps track of; older ones are forgotten (their events stay stored). */
export const SESSIONS_PER_AGENT = 8;
/** Holes kept per session; beyond it the newest holes merge into one (the count of missing numbers stays exact). */
const HOLES_PER_SESSION = 256;

/**
 * Gaps in one agent session's seq, as sorted ranges of missing numbers: a
 * hole of a million numbers costs one entry, and what one session can make
 * the centre keep is bounded.
 */
export class SeqTracker {
  max = 0;
  /** when this session last sent anything (centre time): the least recent session is forgotten first */
  lastActive = 0;
  readonly holes: Array<{ from: number; to: number }> = [];

  see(seq: number): 'new' | 'filled' | 'gap' {
    if (seq <= this.max) {
      const h = this.holes.findIndex((x) => seq >= x.from && seq <= x.to);
      if (h < 0) return 'new';
      const { from, to } = this.holes[h]!;
      this.holes.splice(h, 1, ...[{ from, to: seq - 1 }, { from: seq + 1, to }].filter((x) => x.from <= x.to));
      return 'filled';
    }
    const gap = seq > this.max + 1;
    if (gap) this.addHole(this.max + 1, seq - 1);
    this.max = seq;
    return gap ? 'gap' : 'new';
  }

  /** Adds a hole above every other one (holes arrive in seq order). */
  addHole(from: number, to: number): void {
    const last = this.holes.at(-1);
    if (this.holes.length >= HOLES_PER_SESSION && last) {
      // merging the newest holes overstates what is missing between them, never understates it
      last.to = to;
      return;
    }
    this.holes.push({ from, to });
  }

  /** True when every seq from 1 through `n` has arrived. */
  completeThrough(n: number): boolean {
    return this.max >= n && !this.holes.some((h) => h.from <= n);
  }

  ranges(): Array<{ from: number; to: number }> {
    return this.holes.map((h) => ({ ...h }));
  }
}

/** The seq trackers of every agent's recent sessions: what /api/gaps shows and what proves an agent's span. */
export class SessionTrackers {
  private readonly seqs = new Map<string, Map<string, SeqTracker>>();
  /** agent sessions whose gap tracking was dropped to keep SESSIONS_PER_AGENT per agent */
  forgotten = 0;

  /** The tracker of an agent session; an agent keeps at most SESSIONS_PER_AGENT, the least recently active go. */
  of(agentId: string, session: string): SeqTracker {
    let sessions = this.seqs.get(agentId);
    if (!sessions) this.seqs.set(agentId, (sessions = new Map()));
    let t = sessions.get(session);
    if (!t) {
      if (sessions.size >= SESSIONS_PER_AGENT) {
        let oldest: string | undefined;
        for (const [k, v] of sessions) if (oldest === undefined || v.lastActive < sessions.get(oldest)!.lastActive) oldest = k;
        sessions.delete(oldest!);
        this.forgotten += 1;
      }
      sessions.set(session, (t = new SeqTracker()));
    }
    return t;
  }

  /** The tracker when it is held; never makes one. */
  peek(agentId: string, session: string): SeqTracker | undefined {
    return this.seqs.get(agentId)?.get(session);
  }

  /** Restores the most recent sessions of each agent, as the live centre would have kept them. */
  load(heads: ReadonlyArray<{ agentId: string; session: string; maxSeq: number; lastTs: number }>, gaps: ReadonlyArray<{ agentId: string; session: string; fromSeq: number; toSeq: number }>): void {
    for (const h of [...heads].sort((a, b) => a.lastTs - b.lastTs)) {
      const t = this.of(h.agentId, h.session);
      t.max = h.maxSeq;
      t.lastActive = h.lastTs;
    }
    for (const g of gaps) this.peek(g.agentId, g.session)?.addHole(g.fromSeq, g.toSeq);
  }

  /** Seq ranges never received, per agent session. */
  gaps(): Array<{ agentId: string; session: string; fromSeq: number; toSeq: number }> {
    const out: Array<{ agentId: string; session: string; fromSeq: number; toSeq: number }> = [];
    for (const [agentId, sessions] of this.seqs) {
      for (const [session, t] of sessions) for (const r of t.ranges()) out.push({ agentId, session, fromSeq: r.from, toSeq: r.to });
    }
    return out;
  }
}
