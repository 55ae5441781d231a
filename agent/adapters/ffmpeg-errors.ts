/** What an ffmpeg/ffprobe failure message says went wrong, in the ladder's terms. */
export function classifyFfmpegError(message: string): 'auth_failed' | 'unreachable' | 'no_video' | 'busy' {
  if (BUSY_LINE.test(message)) return 'busy';
  if (/401|unauthori[sz]ed|authorization failed/i.test(message)) return 'auth_failed';
  if (/connection refused|no route to host|network is unreachable/i.test(message)) return 'unreachable';
  return 'no_video';
}

/** ffmpeg's RTSP demuxer logs the status a request failed with ("method DESCRIBE failed: 503 Service Unavailable"). */
const BUSY_LINE = /method \w+ failed: (503|453)\b/;
const RTSP_FAILED = /\[rtsp @ [^\]]+\] (method \w+ failed: \d{3}.*)$/;

/**
 * The RTSP status line ffmpeg logged just before it gave up on an input (its
 * own summary, "Server returned 5XX Server Error reply", hides whether the
 * server was busy or broken): the nearest such line above `before` in `lines`
 * that no other input's failure separates from it.
 */
export function rtspStatusBefore(lines: readonly string[], before: number, otherFailures: (line: string) => boolean): string | undefined {
  for (let i = before - 1; i >= 0; i--) {
    const line = lines[i]!;
    const m = RTSP_FAILED.exec(line);
    if (m) return m[1];
    if (otherFailures(line)) return undefined;
  }
  return undefined;
}
