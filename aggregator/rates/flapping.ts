import type { StateMark } from '../../protocols/index.js';

/** A camera is flapping when its state changed more than `changes` times within `withinMs`; it stops when stable for `withinMs`. */
export interface FlappingRule {
  changes: number;
  withinMs: number;
}

/** The times a camera's measured state changed (into or out of `unknown` is its gateway's doing, not the camera's). */
export function changeTimes(marks: readonly StateMark[]): number[] {
  const out: number[] = [];
  let prev: StateMark | undefined;
  for (const m of marks) {
    if (m.state === 'unknown') continue;
    if (prev && prev.state !== m.state) out.push(m.at);
    prev = m;
  }
  return out;
}

export interface FlappingEpisode {
  /** the change that made it flapping */
  since: number;
  /** when it had been stable for `withinMs` (null: still flapping at `to`) */
  until: number | null;
  changes: number;
}

/**
 * The flapping episodes of a camera up to `to` (pure): one episode, not one
 * per change, from the change that exceeds the rule until the camera has been
 * stable for the rule's span.
 */
export function flappingEpisodes(marks: readonly StateMark[], rule: FlappingRule, to: number): FlappingEpisode[] {
  const times = changeTimes(marks).filter((x) => x < to);
  const out: FlappingEpisode[] = [];
  let current: FlappingEpisode | undefined;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    const at = times[i]!;
    if (current && at - last >= rule.withinMs) {
      current.until = last + rule.withinMs;
      current = undefined;
    }
    last = at;
    if (current) {
      current.changes += 1;
      continue;
    }
    // changes in the span that ends here
    let n = 0;
    for (let j = i; j >= 0 && at - times[j]! < rule.withinMs; j--) n++;
    if (n > rule.changes) {
      current = { since: at, until: null, changes: n };
      out.push(current);
    }
  }
  if (current && to - last >= rule.withinMs) current.until = last + rule.withinMs;
  return out;
}

/** The episode a camera is in at `now`, if any. */
export function flappingNow(marks: readonly StateMark[], rule: FlappingRule, now: number): FlappingEpisode | undefined {
  const e = flappingEpisodes(marks, rule, now).at(-1);
  return e && e.until === null ? e : undefined;
}
