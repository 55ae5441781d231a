import type { CameraStatusMessage } from '../../protocols/index.js';
import { phaseOf } from './spread.js';

/** What makes a status worth sending again (report by exception). */
export interface ChangeRule {
  /** a frame rate that moved by less than this share of the one last sent is the same */
  fpsTolerance: number;
  /** a clock drift that moved by less than this many ms since the one last sent is the same */
  clockDriftToleranceMs: number;
  /** failures in a row beyond this (the camera is offline by then) are not a change */
  offlineAfter: number;
}

/**
 * The part of a status whose change is news: state and why, faults by name,
 * the stream's codec and size, the device, the binding, the recording check,
 * each rung's outcome. Not news: when it was checked, timings, detail texts,
 * a fault's measured value, the bitrate; the frame rate and the clock drift
 * are compared with a tolerance (movedBeyond).
 */
export function materialOf(s: CameraStatusMessage, offlineAfter: number): string {
  return JSON.stringify([
    s.state,
    s.since,
    s.rung,
    s.reason,
    Math.min(s.consecutiveFailures, offlineAfter),
    s.name,
    s.gbId ?? null,
    s.pointId,
    s.category,
    s.source,
    s.address,
    s.streamUri,
    s.stream ? [s.stream.codec, s.stream.width, s.stream.height] : null,
    s.device,
    s.faults.map((f) => f.fault).sort(),
    s.rungs.map((r) => [r.rung, r.ok, r.reason, r.current ?? true, r.streamUri ?? null]),
    s.recording ? [s.recording.checkedAt, s.recording.supported] : null,
    s.cause ?? null,
    s.network ?? null,
    s.deviceId ?? null,
    s.channel ?? null,
  ]);
}

const beyond = (a: number | null | undefined, b: number | null | undefined, tolerance: (x: number) => number) =>
  (a ?? null) === null || (b ?? null) === null ? (a ?? null) !== (b ?? null) : Math.abs(a! - b!) > tolerance(b!);

/** The numbers compared with a tolerance: did one move far enough since the status last sent? */
export function movedBeyond(next: CameraStatusMessage, sent: CameraStatusMessage, rule: ChangeRule): boolean {
  return beyond(next.stream?.fps, sent.stream?.fps, (x) => Math.abs(x) * rule.fpsTolerance) || beyond(next.clockDriftMs, sent.clockDriftMs, () => rule.clockDriftToleranceMs);
}

interface Sent {
  material: string;
  message: CameraStatusMessage;
  at: number;
}

/**
 * Which statuses go out (status.publish change): one that says something new
 * at once; the rest only as a refresh, a few cameras per round, oldest first,
 * so that each is sent at least once a refresh period and never all at once.
 * Pure bookkeeping: the publisher asks and reports what it sent.
 */
export class StatusChanges {
  private readonly sent = new Map<string, Sent>();

  constructor(private readonly rule: () => ChangeRule) {}

  /** true when this status says something the one last sent did not (or none was sent) */
  isNews(s: CameraStatusMessage): boolean {
    const last = this.sent.get(s.cameraId);
    if (!last) return true;
    const rule = this.rule();
    return last.material !== materialOf(s, rule.offlineAfter) || movedBeyond(s, last.message, rule);
  }

  /** the status went out at `at` */
  markSent(s: CameraStatusMessage, at: number): void {
    this.sent.set(s.cameraId, { material: materialOf(s, this.rule().offlineAfter), message: s, at });
  }

  /** the camera is gone, or its status must go out again whatever it says (a reconnect lost it, a request) */
  forget(cameraId: string): void {
    this.sent.delete(cameraId);
  }

  /** when the camera's status last went out */
  sentAt(cameraId: string): number | undefined {
    return this.sent.get(cameraId)?.at;
  }

  /**
   * The cameras whose refresh falls in the span (from, to]: each has its own
   * slot in the refresh period (`refreshMs`), evenly spaced in the order of
   * their phase, so a span of L ms holds at most ceil(n × L / refreshMs) of
   * them and every camera comes once a period. One sent within the span
   * already (a change) is not sent again.
   */
  dueForRefresh(ids: Iterable<string>, from: number, to: number, refreshMs: number): string[] {
    const order = [...ids].map((id) => ({ id, phase: phaseOf(id, 'refresh') })).sort((a, b) => a.phase - b.phase || (a.id < b.id ? -1 : 1));
    const n = order.length;
    const span = to - from;
    if (n === 0 || span <= 0) return [];
    return order
      .filter((x, i) => {
        const slot = (i * refreshMs) / n;
        const sinceSlot = (((to - slot) % refreshMs) + refreshMs) % refreshMs;
        return span >= refreshMs || sinceSlot < span;
      })
      .filter((x) => (this.sent.get(x.id)?.at ?? -Infinity) <= from)
      .map((x) => x.id);
  }
}
