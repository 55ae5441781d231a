import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';
import { projectRoot } from '../../platform/project-root.js';

// No Docker engine runs here: these check what a build would meet, and run the build stage's own steps.
const root = projectRoot();
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stages = lines.reduce<string[][]>((acc, l) => {
  if (/^FROM /.test(l)) acc.push([]);
  acc.at(-1)?.push(l);
  return acc;
}, []);
const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').filter(Boolean);

describe('dockerfile', () => {
  it('dockerfile: two stages from a slim Node 20 image; the runtime is non-root with a healthcheck and volumes', () => {
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s[0]).toMatch(/^FROM node:20-bookworm-slim/);
    const runtime = stages[1]!.join('\n');
    expect(runtime).toMatch(/^USER xueliang$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*dist\/scripts\/healthcheck\.js/m);
    expect(runtime).toMatch(/^VOLUME \["\/etc\/xueliang", "\/var\/lib\/xueliang"\]$/m);
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(runtime).toContain(`ENTRYPOINT ["node", ${AGENT_NODE_FLAGS.map((f) => `"${f}"`).join(', ')}, "dist/cli/main.js"]`);
    expect(dockerfile).toMatch(/--network host/); // multicast discovery needs the host's LAN
  });

  it('dockerfile: every COPY source exists and is not excluded by .dockerignore', () => {
    const sources = lines.filter((l) => /^COPY (?!--from)/.test(l)).flatMap((l) => l.replace(/^COPY /, '').split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) {
      expect(existsSync(path.join(root, s)), s).toBe(true);
      expect(ignored.some((i) => s === i || s.startsWith(`${i}/`)), `${s} is dockerignored`).toBe(false);
    }
  });

  it('dockerfile: the build stage compiles from exactly what it copies', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-docker-build-'));
    const copies = stages[0]!.filter((l) => /^COPY /.test(l)).flatMap((l) => l.replace(/^COPY /, '').split(/\s+/).slice(0, -1));
    for (const c of copies) cpSync(path.join(root, c), path.join(dir, c), { recursive: true });
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(path.join(dir, 'dist/scripts/healthcheck.js'))).toBe(true);
  }, 120_000);
});
