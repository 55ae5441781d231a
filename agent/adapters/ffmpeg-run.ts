import type ffmpeg from 'fluent-ffmpeg';

export interface FfmpegRunOutcome {
  /** killed at the deadline */
  timedOut: boolean;
  /** ffmpeg failed: fluent-ffmpeg's message (may carry a URL: scrub before it travels) */
  error: string | undefined;
}

/**
 * Runs a fluent-ffmpeg command within a deadline, then SIGKILL. fluent-ffmpeg
 * spawns ffmpeg only after asking it for its formats and codecs (the first
 * run of a process), so under load the deadline can come before the process
 * exists: it is then killed the moment it starts, and never outlives the
 * check that gave up on it.
 */
export function runFfmpeg(cmd: ffmpeg.FfmpegCommand, deadlineMs: number): Promise<FfmpegRunOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: FfmpegRunOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      cmd.kill('SIGKILL');
      settle({ timedOut: true, error: undefined });
    }, deadlineMs);
    cmd.on('start', () => {
      if (settled) cmd.kill('SIGKILL');
    });
    cmd.on('error', (err: Error) => settle({ timedOut: false, error: err.message }));
    cmd.on('end', () => settle({ timedOut: false, error: undefined }));
    cmd.run();
  });
}
