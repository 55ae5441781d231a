import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { projectRoot } from '../../platform/project-root.js';

export const CLI = path.join(projectRoot(), 'dist', 'cli', 'main.js');

export interface AgentProcess {
  child: ChildProcess;
  /** every line the process wrote, stdout and stderr */
  lines: string[];
  configFile: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Agents still running when the test process ends are killed: a test that
 * fails before its own stop leaves none behind (one set and one exit hook per
 * process, however many test files load this module).
 */
function running(): Set<ChildProcess> {
  const key = Symbol.for('xueliang.test.agents');
  const g = globalThis as { [k: symbol]: Set<ChildProcess> | undefined };
  let set = g[key];
  if (!set) {
    const agents = new Set<ChildProcess>();
    set = g[key] = agents;
    process.once('exit', () => {
      for (const c of agents) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  return set;
}

/** Runs `xueliang agent` as a real child process with the given config. */
export function startAgent(config: unknown, opts: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {}): AgentProcess {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-agent-'));
  const configFile = path.join(dir, 'agent.yaml');
  // each run keeps its outbox in a state directory of its own, unless the test shares one on purpose
  const withState = { stateDir: path.join(dir, 'state'), ...(config as object) };
  writeFileSync(configFile, stringify(withState));
  const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath];
  const child = spawn(cmd!, [...pre, CLI, 'agent', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const agents = running();
  agents.add(child);
  child.once('exit', () => agents.delete(child));
  const lines: string[] = [];
  const collect = (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return {
    child,
    lines,
    configFile,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}
