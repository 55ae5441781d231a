import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = 'testsrc2=s=320x240:r=10';
// a real camera's healthy scene: a still background, something moving, sensor noise
const SCENE = `${BASE},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/10/TB[bg];color=red:s=30x30:r=10[box];[bg][box]overlay=x='mod(t*40\\,290)':y=100:shortest=0,noise=alls=8:allf=t`;

/** Test streams for every fault of docs/domain.md §4, made with ffmpeg's lavfi sources (12 s, H.264 MP4). */
export const CLIPS: Record<string, string> = {
  healthy: SCENE,
  static_noisy: `${BASE},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/10/TB,noise=alls=10:allf=t`,
  black: 'color=black:s=320x240:r=10',
  blue: 'color=0x0000FF:s=320x240:r=10',
  grey: 'color=0x808080:s=320x240:r=10',
  frozen: `${BASE},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/10/TB`,
  blur: `${SCENE},boxblur=6`,
  dark: `${SCENE},eq=brightness=-0.45`,
  bright: `${SCENE},eq=brightness=0.55`,
  cast: `${SCENE},colorbalance=rs=-0.6:gs=0.6:bs=-0.6:rm=-0.6:gm=0.6:bm=-0.6:rh=-0.6:gh=0.6:bh=-0.6`,
  covered: `${SCENE},drawbox=x=0:y=0:w=230:h=240:color=black:t=fill`,
  low_contrast: `${SCENE},eq=contrast=0.15`,
  shifted: `${SCENE},hflip`,
};

export function makeClips(names: string[] = Object.keys(CLIPS)): Record<string, string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-clips-'));
  const out: Record<string, string> = {};
  for (const name of names) {
    const file = path.join(dir, `${name}.mp4`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-filter_complex', `${CLIPS[name]!},trim=duration=12`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', file]);
    out[name] = file;
  }
  return out;
}
