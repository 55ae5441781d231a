import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { projectRoot } from '../../scripts/sim/project-root.js';

export const CLI = path.join(projectRoot(), 'dist', 'cli', 'main.js');

export interface AgentProcess {
  child: ChildProcess;
  /** every line the process wrote, stdout and stderr */
  lines: string[];
  configFile: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
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
