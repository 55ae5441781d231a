import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../platform/project-root.js';

/** Debian's python3 with GObject introspection (another python3 on PATH may lack `gi`). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface RtspServer {
  port: number;
  url(mount: string, creds?: { username: string; password: string }): string;
  remove(mount: string): Promise<void>;
  add(mount: string, pattern?: string): Promise<void>;
  close(): Promise<void>;
  process: ChildProcessWithoutNullStreams;
}

/**
 * Starts the real GStreamer RTSP server (scripts/rtsp-server.py) on loopback,
 * serving live H.264 test patterns at the given mounts.
 */
export async function startRtspServer(opts: {
  mounts: Record<string, string>;
  host?: string;
  auth?: { username: string; password: string };
  /** run the server through this prefix (e.g. ['ip', 'netns', 'exec', 'ns1']) */
  prefix?: string[];
}): Promise<RtspServer> {
  const host = opts.host ?? '127.0.0.1';
  const args = [path.join(projectRoot(), 'scripts', 'rtsp-server.py'), '--host', host, '--port', '0'];
  for (const [m, p] of Object.entries(opts.mounts)) args.push('--mount', `${m}=${p}`);
  if (opts.auth) args.push('--user', opts.auth.username, '--password', opts.auth.password);
  // run in a namespace (`ip netns exec NAME`): the server checks it is there before it binds another address than loopback
  const [ip, netns, exec, name] = opts.prefix ?? [];
  if (ip === 'ip' && netns === 'netns' && exec === 'exec' && name) args.push('--netns', name);
  const [cmd, ...pre] = [...(opts.prefix ?? []), SYSTEM_PYTHON];
  const child = spawn(cmd!, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const waiters: Array<(line: string) => void> = [];
  lines.on('line', (l) => waiters.shift()?.(l));
  const nextLine = (ms: number) =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`RTSP server did not answer within ${ms} ms: ${stderr.trim()}`)), ms);
      waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`RTSP server exited (${code}): ${stderr.trim()}`));
      });
    });
  const first = JSON.parse(await nextLine(15_000)) as { port: number };
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const command = async (c: string) => {
    child.stdin.write(`${c}\n`);
    await nextLine(5000);
  };
  return {
    port: first.port,
    process: child,
    url: (mount, creds) =>
      `rtsp://${creds ? `${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@` : ''}${hostPart}:${first.port}${mount}`,
    remove: (m) => command(`remove ${m}`),
    add: (m, p = 'smpte') => command(`add ${m}=${p}`),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
