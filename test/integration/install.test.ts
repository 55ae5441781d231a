import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/project-root.js';

const root = projectRoot();

describe('install', () => {
  it('install: into a root directory it lays out program, config, state and units that systemd accepts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-install-'));
    const r = spawnSync('bash', [path.join(root, 'scripts', 'install.sh'), '--root', dir, '--aggregator'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['opt/xueliang/dist/cli/main.js', 'etc/xueliang/agent.yaml', 'etc/xueliang/aggregator.yaml', 'etc/systemd/system/xueliang-agent.service', 'etc/systemd/system/xueliang-aggregator.service']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    expect(statSync(path.join(dir, 'var/lib/xueliang')).isDirectory()).toBe(true);
    expect(statSync(path.join(dir, 'etc/xueliang/agent.yaml')).mode & 0o777).toBe(0o640);
    // production dependencies only
    expect(existsSync(path.join(dir, 'opt/xueliang/node_modules/mqtt'))).toBe(true);
    expect(existsSync(path.join(dir, 'opt/xueliang/node_modules/vitest'))).toBe(false);
    // the installed program runs and accepts the config it was given
    const v = spawnSync(process.execPath, [path.join(dir, 'opt/xueliang/dist/cli/main.js'), 'config', 'validate', path.join(dir, 'etc/xueliang/agent.yaml')], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    for (const unit of ['xueliang-agent.service', 'xueliang-aggregator.service']) {
      const file = path.join(dir, 'etc/systemd/system', unit);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/@NODE@|@PREFIX@/);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^Restart=on-failure$/m);
      const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr.trim(), `systemd-analyze on ${unit}`).toBe('');
    }
    expect(readFileSync(path.join(dir, 'etc/systemd/system/xueliang-agent.service'), 'utf8')).toContain('--max-semi-space-size=1 --optimize-for-size');
  }, 120_000);

  it('install: --dry-run prints its steps and changes nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-install-dry-'));
    const out = execFileSync('bash', [path.join(root, 'scripts', 'install.sh'), '--root', dir, '--dry-run'], { encoding: 'utf8' });
    expect(out).toMatch(/^\+ mkdir -p .*opt\/xueliang$/m);
    expect(out).toMatch(/^\+ write .*xueliang-agent\.service$/m);
    expect(existsSync(path.join(dir, 'opt'))).toBe(false);
  });
});
