/**
 * Picture-check benchmark (issue 6): CPU seconds and wall time of one picture
 * check at 720p and 1080p (25 fps H.264, GOP 1 s, read over RTSP from the
 * real GStreamer server on loopback: the check decodes only keyframes and
 * ends at the third), and how many cameras one gateway can picture-check per
 * 15 minutes running one check per core.
 * Run: npm run bench:picture  [-- --runs 4 --seconds 10 --keyframes 3]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analysePicture } from '../../agent/adapters/picture.js';
import { startRtspServer } from '../../cli/demo/rtsp-server.js';
import { median } from './proc-stats.js';
import { scratchDir } from './scratch.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '4' }, seconds: { type: 'string', default: '10' }, keyframes: { type: 'string', default: '3' } } });
const KEYFRAMES = Number(values.keyframes);
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const dir = scratchDir('xl-bench-pic-');

/** CPU seconds of this process's finished children (cutime + cstime): the ffmpeg runs. */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

function clip(name: string, size: string): string {
  const file = path.join(dir, `${name}.mp4`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=${size}:r=25,noise=alls=8:allf=t`, '-t', '30', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p', file]);
  return file;
}

const rtsp = await startRtspServer({ mounts: { '/720p': `file:${clip('hd', '1280x720')}`, '/1080p': `file:${clip('fhd', '1920x1080')}` } });
const cores = os.cpus().length;
console.log(`picture check benchmark — ${KEYFRAMES} keyframes (at most ${SECONDS} s) of 25 fps H.264 per check, analysed at 320x180, node ${process.version}, ${cores} cores\n`);
for (const res of ['720p', '1080p']) {
  const cpu: number[] = [];
  const wall: number[] = [];
  let ok = 0;
  for (let i = 0; i < RUNS; i++) {
    const c0 = childrenCpuS();
    const t0 = performance.now();
    const r = await analysePicture({ url: rtsp.url(`/${res}`), seconds: SECONDS, keyframes: KEYFRAMES, deadlineMs: 60_000, secrets: [] });
    wall.push((performance.now() - t0) / 1000);
    cpu.push(childrenCpuS() - c0);
    if (r.ok) ok += 1;
  }
  const c = median(cpu);
  const w = median(wall);
  // one check per core at a time: each core finishes a check every max(cpu, wall) seconds
  console.log(`${res.padEnd(6)} ffmpeg CPU ${c.toFixed(2)} s per check, wall ${w.toFixed(2)} s (${ok}/${RUNS} ok)`);
  console.log(`       cameras per 15 min on ${cores} cores: ${Math.floor((15 * 60 * cores) / Math.max(c, w))} (one check per core; CPU alone would allow ${Math.floor((15 * 60 * cores) / c)})`);
}
await rtsp.close();
process.exit(0);
