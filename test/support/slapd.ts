import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './mosquitto.js';

/** {SSHA}: SHA-1 of the password and a salt, then the salt, base64; what slappasswd writes. */
export function sshaHash(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password, 'utf8').update(salt).digest(), salt]).toString('base64')}`;
}

export interface DirectoryEntry {
  dn: string;
  attrs: Record<string, string | string[]>;
}

export interface Slapd {
  url: string;
  suffix: string;
  stop(): Promise<void>;
}

/**
 * Debian's OpenLDAP slapd (scripts/setup.sh installs slapd and ldap-utils) in
 * a temp directory on a free loopback port, its data loaded before it starts
 * with slapadd (offline: no password on any command line), passwords {SSHA}.
 */
export async function startSlapd(suffix: string, entries: DirectoryEntry[]): Promise<Slapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-slapd-'));
  mkdirSync(path.join(dir, 'db'));
  const port = await freePort();
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${dir}/slapd.pid`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${suffix}"`,
      `directory ${dir}/db`,
      // passwords: only to bind with; the rest: readable by whoever bound (the service account), nobody else
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const ldif = entries
    .map((e) => [`dn: ${e.dn}`, ...Object.entries(e.attrs).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`))].join('\n'))
    .join('\n\n');
  writeFileSync(path.join(dir, 'data.ldif'), `${ldif}\n`);
  const load = spawnSync('/usr/sbin/slapadd', ['-f', conf, '-l', path.join(dir, 'data.ldif')], { encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`slapadd: ${load.stderr}`);
  const child: ChildProcess = spawn('/usr/sbin/slapd', ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`slapd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `ldap://127.0.0.1:${port}`,
    suffix,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
