import { scrubSecrets } from '../../platform/redact.js';
import { classifyFfmpegError, rtspStatusBefore } from './ffmpeg-errors.js';

export type GroupFailure = { ok: false; ms: number; reason: 'no_video' | 'timeout' | 'auth_failed' | 'unreachable' | 'busy'; detail: string };
export type GroupResult<M> = { ok: true; ms: number; metrics: M } | GroupFailure;

/** What one ffmpeg run over several inputs gave. */
export interface GroupRun<M> {
  /** per input: what it measured, when the run finished its work on it */
  metrics: Array<M | undefined>;
  /** the run was killed at its deadline */
  timedOut: boolean;
  /** the run failed: its last lines */
  error: string | undefined;
  /** what ffmpeg printed */
  lines: string[];
  /** each input as ffmpeg names it in its messages (the URL, or the list file that carries its credentials) */
  shownAs: string[];
}

/**
 * Checks of several cameras in one ffmpeg process (its start-up costs more
 * CPU than the work of a check). When ffmpeg stops at an input it cannot
 * open (404, a refused login, a dead host), that input gets the reason and
 * the others run again without it, within what is left of their deadline; a
 * run that cannot be pinned on one input is taken apart and every undecided
 * input runs alone. Every result comes within `deadlineMs` of the call.
 * `missing` says what a check did not get ("keyframe", "picture").
 */
export async function runGrouped<I extends { secrets: string[] }, M>(
  inputs: I[],
  deadlineMs: number,
  missing: string,
  runOnce: (inputs: I[], deadlineMs: number) => Promise<GroupRun<M>>,
): Promise<Array<GroupResult<M>>> {
  const started = performance.now();
  const left = () => deadlineMs - (performance.now() - started);
  const results: Array<GroupResult<M> | undefined> = inputs.map(() => undefined);
  const fail = (i: number, reason: GroupFailure['reason'], detail: string) => {
    results[i] = { ok: false, ms: performance.now() - started, reason, detail };
  };
  // groups to run, as indices into inputs; bounded: every round decides at least one input or splits a group
  const queue: number[][] = inputs.length > 0 ? [inputs.map((_, i) => i)] : [];
  for (let round = 0; queue.length > 0 && round < inputs.length * 2 + 2; round += 1) {
    const group = queue.shift()!;
    if (left() < 200) {
      for (const i of group) fail(i, 'timeout', `ffmpeg gave no ${missing} within ${deadlineMs} ms`);
      continue;
    }
    const secrets = group.flatMap((i) => inputs[i]!.secrets);
    const run = await runOnce(
      group.map((i) => inputs[i]!),
      left(),
    );
    const undecided: number[] = [];
    group.forEach((i, k) => {
      const m = run.metrics[k];
      if (m !== undefined) results[i] = { ok: true, ms: performance.now() - started, metrics: m };
      else undecided.push(k);
    });
    if (undecided.length === 0) continue;
    if (run.timedOut) {
      if (group.length === 1) fail(group[0]!, 'timeout', `ffmpeg gave no ${missing} within ${deadlineMs} ms and was killed`);
      else queue.push(...undecided.map((k) => [group[k]!]));
      continue;
    }
    // which input did ffmpeg stop at? it names the input it failed to open: "<input>: <reason>"
    const blamed = undecided.filter((k) => run.lines.some((l) => l.startsWith(`${run.shownAs[k]}: `)));
    const namesAnInput = (l: string) => run.shownAs.some((s) => l.startsWith(`${s}: `));
    for (const k of blamed) {
      const at = run.lines.findIndex((l) => l.startsWith(`${run.shownAs[k]}: `));
      const line = run.lines[at]!;
      const status = rtspStatusBefore(run.lines, at, namesAnInput);
      const msg = scrubSecrets(status ?? line.slice(run.shownAs[k]!.length + 2), secrets);
      fail(group[k]!, classifyFfmpegError(msg), `ffmpeg: ${msg.slice(0, 300)}`);
    }
    const rest = undecided.filter((k) => !blamed.includes(k)).map((k) => group[k]!);
    if (rest.length === 0) continue;
    if (group.length === 1 || (blamed.length === 0 && rest.length === 1)) {
      const msg = scrubSecrets(lastErrorLine(run), secrets);
      fail(rest[0]!, run.error ? classifyFfmpegError(msg) : 'no_video', run.error ? `ffmpeg: ${msg.slice(0, 300)}` : `the stream ended before a ${missing}`);
      continue;
    }
    // the others ran with a failing neighbour: again without it (or alone when the failure names nobody)
    if (blamed.length > 0) queue.push(rest);
    else queue.push(...rest.map((i) => [i]));
  }
  return results.map((r) => r ?? { ok: false, ms: performance.now() - started, reason: 'timeout', detail: `ffmpeg gave no ${missing} within ${deadlineMs} ms` });
}

function lastErrorLine(run: GroupRun<unknown>): string {
  const text = run.error ?? run.lines.join('\n');
  return text.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'ffmpeg failed';
}
