/** What ffmpeg says of an input's video stream when it opens it. */
export interface StreamInfo {
  codec: string | null;
  width: number | null;
  height: number | null;
  /** the frame rate ffmpeg measured (fps) or, when it read too little to measure, the one the stream declares (tbr) */
  fps: number | null;
}

/**
 * The first video stream of each input, from ffmpeg's info-level stderr:
 *
 *     Input #3, rtsp, from 'rtsp://…':
 *       Stream #3:0: Video: h264 (High), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 25 tbr, 90k tbn
 *
 * Lines of the output sections and of the stream mapping are not inputs. Pure.
 */
export function parseStreamLines(lines: string[]): Map<number, StreamInfo> {
  const out = new Map<number, StreamInfo>();
  let inInput = false;
  for (const line of lines) {
    if (/^Input #\d+,/.test(line)) inInput = true;
    else if (/^(Output #\d+,|Stream mapping:)/.test(line)) inInput = false;
    if (!inInput) continue;
    const m = /^\s+Stream #(\d+):\d+\S*: Video: (.*)$/.exec(line);
    if (!m) continue;
    const input = Number(m[1]);
    if (out.has(input)) continue;
    const rest = m[2]!;
    const codec = /^([\w-]+)/.exec(rest)?.[1] ?? null;
    const size = /(?:^|[ ,])(\d{2,5})x(\d{2,5})(?=[ ,]|$)/.exec(rest);
    const fps = /, ([\d.]+) fps/.exec(rest)?.[1] ?? /, ([\d.]+) tbr/.exec(rest)?.[1];
    // "90k tbr" is the RTP clock, not a frame rate: ffmpeg did not see enough to know
    const rate = fps === undefined ? NaN : Number(fps);
    out.set(input, {
      codec,
      width: size ? Number(size[1]) : null,
      height: size ? Number(size[2]) : null,
      fps: Number.isFinite(rate) && rate > 0 && rate <= 300 ? rate : null,
    });
  }
  return out;
}
