import { describe, expect, it } from 'vitest';
import { parseStreamLines } from '../../agent/adapters/ffmpeg-stream-info.js';

// stderr of Debian's ffmpeg 5.1 decoding one keyframe of three inputs (the second an H.265 camera)
const STDERR = `[rtsp @ 0x55ccd8aa79c0] Stream #0: not enough frames to estimate rate; consider increasing probesize
Input #0, concat, from '/tmp/xueliang-0/xueliang-probe-1-a-0.ffconcat':
  Duration: N/A, bitrate: N/A
  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 25 tbr, 90k tbn
Input #1, rtsp, from 'rtsp://127.0.0.1:554/cam1':
  Metadata:
    title           : Media Server
  Duration: N/A, start: 0.040000, bitrate: N/A
  Stream #1:0: Video: hevc (Main), yuvj420p(pc, bt709), 2560x1440, 20 fps, 20 tbr, 90k tbn
  Stream #1:1: Audio: pcm_alaw, 8000 Hz, mono, s16, 64 kb/s
Input #2, rtsp, from 'rtsp://127.0.0.1:554/cam2':
  Stream #2:0: Data: none
  Stream #2:1[0x100]: Video: h264 (Main) ([27][0][0][0] / 0x001B), yuv420p(tv, bt709, progressive), 704x576, 12.5 tbr, 90k tbn
Stream mapping:
  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
Output #0, framecrc, to '/tmp/x-0.crc':
  Stream #0:0: Video: rawvideo (I420 / 0x30323449), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], q=2-31, 200 kb/s, 25 fps, 25 tbn`;

describe('ffmpeg stream info', () => {
  it('ffmpeg stream info: codec, size and rate of each input, measured fps over declared tbr; outputs are not inputs', () => {
    const info = parseStreamLines(STDERR.split('\n'));
    expect([...info.keys()]).toEqual([0, 1, 2]);
    expect(info.get(0)).toEqual({ codec: 'h264', width: 1920, height: 1080, fps: 25 });
    expect(info.get(1)).toEqual({ codec: 'hevc', width: 2560, height: 1440, fps: 20 });
    expect(info.get(2)).toEqual({ codec: 'h264', width: 704, height: 576, fps: 12.5 });
  });

  it('ffmpeg stream info: garbage and a stream without size or rate give nulls, not a throw', () => {
    const info = parseStreamLines(['Input #0, rtsp, from \'x\':', '  Stream #0:0: Video: none', 'Input #1, rtsp', '  Stream #1:0: Video: , 0x0, abc fps', '\u0000\uffff']);
    expect(info.get(0)).toEqual({ codec: 'none', width: null, height: null, fps: null });
    // 0x0 is no picture size
    expect(info.get(1)).toEqual({ codec: null, width: null, height: null, fps: null });
  });
});
