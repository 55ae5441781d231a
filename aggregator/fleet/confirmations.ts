import type { AgentRoundMessage } from '../../protocols/index.js';

/** An agent's latest liveness round, as the centre keeps it (in memory: the retained round brings it back after a restart). */
export interface RoundInfo {
  session: string;
  round: number;
  startedAt: number;
  periodMs: number;
  /** centre time it was applied: a gateway that sends no round for a while is judged by this clock */
  receivedAt: number;
  /** cameras of this agent not confirmed by the rounds since: when each was last confirmed */
  unconfirmed: Map<string, number>;
}

/** What decides whether a camera's status is still confirmed. */
export interface ConfirmationSubject {
  cameraId: string;
  agentId: string;
  /** the check time its status carries (ms), null before the first check */
  checkedAt: number | null;
}

/** The agent's run as the fleet model holds it. */
export interface AgentRun {
  online: boolean;
  session: string | null;
  /** centre time it has been online since */
  since: number;
}

/**
 * How fresh each camera's status is, from its agent's round messages (report
 * by exception): a camera in no `unchecked` list is confirmed as of its
 * round's start; one left unchecked keeps the time it was last confirmed. A
 * camera is stale when a live agent has not confirmed it for `afterRounds`
 * rounds. The work per round message is the size of its exception lists,
 * never the agent's camera count.
 */
export class Confirmations {
  private readonly rounds = new Map<string, RoundInfo>();

  constructor(private readonly afterRounds: () => number) {}

  /** The agent's round info, for its current session only. */
  of(agentId: string, session: string | null): RoundInfo | undefined {
    const r = this.rounds.get(agentId);
    return r && r.session === session ? r : undefined;
  }

  /**
   * Takes a round: returns the cameras whose confirmation it changed (left
   * unchecked now, or confirmed again), or 'older' when it is not newer than
   * the round held (a retained copy redelivered).
   * `unchecked` holds only this agent's cameras (the handler checked).
   */
  apply(agentId: string, m: AgentRoundMessage, unchecked: ConfirmationSubject[], receivedAt: number): string[] | 'older' {
    const held = this.rounds.get(agentId);
    const startedAt = Date.parse(m.startedAt);
    if (held && held.session === m.session && (m.round <= held.round || startedAt < held.startedAt)) return 'older';
    const same = held !== undefined && held.session === m.session;
    const unconfirmed = new Map<string, number>();
    for (const s of unchecked) {
      // left unchecked: confirmed when it last was (by the round before, or its own status)
      const before = same ? (held.unconfirmed.get(s.cameraId) ?? held.startedAt) : (s.checkedAt ?? 0);
      unconfirmed.set(s.cameraId, Math.max(before, s.checkedAt ?? 0));
    }
    const touched = new Set(unconfirmed.keys());
    if (same) for (const id of held.unconfirmed.keys()) touched.add(id);
    this.rounds.set(agentId, { session: m.session, round: m.round, startedAt, periodMs: m.periodMs, receivedAt, unconfirmed });
    return [...touched];
  }

  /** The round topic was cleared, or the agent's cameras went elsewhere: nothing confirms them any more. */
  forget(agentId: string): void {
    this.rounds.delete(agentId);
  }

  /** When the camera's status was last confirmed: by a round, or by its own check time. */
  confirmedAt(c: ConfirmationSubject, agent: AgentRun | undefined): number | null {
    const r = agent ? this.of(c.agentId, agent.session) : undefined;
    const byRound = r ? (r.unconfirmed.get(c.cameraId) ?? r.startedAt) : null;
    if (byRound === null) return c.checkedAt;
    return Math.max(byRound, c.checkedAt ?? 0);
  }

  /**
   * True when a live agent that sends rounds has not confirmed the camera for
   * `afterRounds` rounds. Two clocks: a camera its rounds keep leaving
   * unchecked is judged in the rounds' own time (the latest round began
   * `afterRounds` periods after it was last confirmed), so rounds replayed
   * late from a queue judge it as they happened; a gateway whose rounds
   * stopped coming is judged by the centre's clock (none received for
   * `afterRounds` + 1 periods; an agent back online restarts the count).
   */
  isStale(c: ConfirmationSubject, agent: AgentRun | undefined, now: number): boolean {
    if (!agent?.online) return false;
    const r = this.of(c.agentId, agent.session);
    if (!r) return false;
    if (this.silent(r, agent, now)) return true;
    const frozen = r.unconfirmed.get(c.cameraId);
    if (frozen === undefined) return false;
    return r.startedAt - Math.max(frozen, c.checkedAt ?? 0) > (this.afterRounds() - 0.5) * r.periodMs;
  }

  /** Whether the agent as a whole (its cameras in no exception list) is stale now: no round received for afterRounds + 1 periods. */
  agentStale(agentId: string, agent: AgentRun | undefined, now: number): boolean {
    if (!agent?.online) return false;
    const r = this.of(agentId, agent.session);
    return r !== undefined && this.silent(r, agent, now);
  }

  private silent(r: RoundInfo, agent: AgentRun, now: number): boolean {
    return now > Math.max(r.receivedAt, agent.since) + (this.afterRounds() + 1) * r.periodMs;
  }

  /** agents with round info, with their exception lists (the sweep's work) */
  entries(): IterableIterator<[string, RoundInfo]> {
    return this.rounds.entries();
  }
}
