import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/project-root.js';
import { CLI } from '../support/agent-process.js';

const root = projectRoot();
const validate = (...args: string[]) => spawnSync(process.execPath, [CLI, 'config', 'validate', ...args], { encoding: 'utf8', env: { ...process.env, XUELIANG_MQTT_URL: '' } });
const file = (name: string, text: string) => {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-validate-')), name);
  writeFileSync(f, text);
  return f;
};

describe('config validate', () => {
  it('config validate: the example aggregator config is recognised and valid, the agent example too', () => {
    const agg = validate(path.join(root, 'config/aggregator.example.yaml'), '--json');
    expect(agg.status, agg.stderr).toBe(0);
    expect(JSON.parse(agg.stdout)).toMatchObject({ valid: true, kind: 'aggregator' });
    const agent = validate(path.join(root, 'config/agent.example.yaml'), '--json');
    expect(agent.status, agent.stderr).toBe(0);
    expect(JSON.parse(agent.stdout)).toMatchObject({ valid: true, kind: 'agent', agentId: 'gw-xihu-001' });
  });

  it('config validate: a bad aggregator file gets the aggregator\'s errors, path: message', () => {
    const f = file('aggregator.yaml', 'database: /tmp/x.db\nhttp: {port: 99999}\ntimeZone: Mars/Olympus\nratesIntervalMs: 5\n');
    const r = validate(f);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/http\.port: /);
    expect(r.stderr).toMatch(/timeZone: not a time zone/);
    expect(r.stderr).toMatch(/ratesIntervalMs: /);
    expect(r.stderr).not.toMatch(/agentId/);
    expect(r.stderr).toMatch(/checked as an aggregator configuration/);
  });

  it('config validate: --kind overrides the guess, and a wrong kind is a usage error', () => {
    const f = file('agg.yaml', 'database: /tmp/x.db\n');
    const asAgent = validate(f, '--kind', 'agent', '--json');
    expect(asAgent.status).toBe(1);
    expect(JSON.parse(asAgent.stdout).errors.map((e: { path: string }) => e.path)).toContain('agentId');
    expect(validate(f, '--kind', 'broker').status).toBe(2);
  });
});
