import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** a URL of a fresh, empty database on this server */
  createDatabase(name: string): Promise<string>;
  /** the unix socket directory */
  dir: string;
  /** stops the server at once (as a crash would), keeping its data */
  pause(): Promise<void>;
  /** starts it again on the same data and socket */
  resume(): Promise<void>;
  /** stops it and removes its data */
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries Debian's `postgresql` package installed (or $XUELIANG_PG_BIN). */
export function pgBin(): string {
  const forced = process.env['XUELIANG_PG_BIN'];
  if (forced) return forced;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error('PostgreSQL server not installed: run scripts/setup.sh (Debian package postgresql)');
  return path.join(root, versions[0], 'bin');
}

/**
 * A real PostgreSQL server of the test's own: initdb into a temp directory,
 * listening on a unix socket there only (no TCP port, nothing to collide
 * with), removed by stop(). PostgreSQL refuses to run as root: as root it runs
 * as the `postgres` user the Debian package made.
 */
export async function startPostgres(): Promise<PgServer> {
  const bin = pgBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-pg-'));
  const data = path.join(dir, 'data');
  // as root, initdb and the server run as the postgres user (spawned as it, so signals reach the server itself)
  const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) } : {};
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'pipe', cwd: dir, ...user });
  let child: ChildProcess | undefined;
  let log = '';
  const admin = () => new pg.Client({ host: dir, user: 'postgres', database: 'postgres' });
  const launch = async () => {
    const c0 = spawn(path.join(bin, 'postgres'), ['-D', data, '-k', dir, '-c', 'listen_addresses=', '-c', 'max_connections=100', '-c', 'shared_buffers=64MB'], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...user });
    child = c0;
    c0.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = admin();
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (c0.exitCode !== null) throw new Error(`postgres exited: ${log}`);
        if (Date.now() > deadline) throw new Error(`postgres did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  // immediate shutdown, as a crash would: what was committed is there at the next start
  const kill = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGQUIT');
    });
  await launch();
  return {
    dir,
    createDatabase: async (name) => {
      const c = admin();
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/gi, '_')}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@localhost/${name}?host=${encodeURIComponent(dir)}`;
    },
    pause: kill,
    resume: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
