import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { CLI } from './agent-process.js';
import { freePort } from './mosquitto.js';

export interface AggregatorProcess {
  child: ChildProcess;
  lines: string[];
  api: string;
  get<T = unknown>(p: string): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AggregatorSetup {
  file: string;
  port: number;
}

/** Writes a config (own database and port) that several runs can share: a restart is a second start on it. */
export async function aggregatorConfig(config: Record<string, unknown>): Promise<AggregatorSetup> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-agg-'));
  const port = await freePort();
  // reads are open in these tests (the lab setting) unless a test says otherwise: the doors themselves are tested in access-control.test.ts
  const full = { database: path.join(dir, 'agg.db'), ratesIntervalMs: 200, ...config, http: { host: '127.0.0.1', publicReads: true, ...(config['http'] as object), port } };
  const file = path.join(dir, 'aggregator.yaml');
  writeFileSync(file, stringify(full));
  return { file, port };
}

/**
 * Runs `xueliang aggregator` as a child process; resolves once its HTTP API
 * answers that it is ready (its store loaded), or with `until: 'answering'`
 * once it answers at all (a centre loading its store answers 503 STARTING).
 */
export async function startAggregator(setup: AggregatorSetup, opts: { env?: NodeJS.ProcessEnv; until?: 'ready' | 'answering' } = {}): Promise<AggregatorProcess> {
  const { file, port } = setup;
  const child = spawn(process.execPath, [CLI, 'aggregator', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const lines: string[] = [];
  const collect = (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const api = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`aggregator exited: ${lines.join('\n')}`);
    try {
      const r = await fetch(`${api}/healthz`);
      if (r.ok || opts.until === 'answering') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`aggregator did not start: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    lines,
    api,
    get: async <T>(p: string) => {
      const r = await fetch(`${api}${p}`);
      return (await r.json()) as T;
    },
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

