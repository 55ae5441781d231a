import { spawn, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Broker {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** start again on the same port (after stop) */
  restart(): Promise<void>;
}

/** Debian's dynamic-security plugin of mosquitto (in the mosquitto package), where this machine has it. */
export function dynsecPlugin(): string | undefined {
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    const f = path.join(dir, 'mosquitto_dynamic_security.so');
    if (existsSync(f)) return f;
  }
  return undefined;
}

/**
 * The plugin's state file with one admin who may use its control topic, as
 * `mosquitto_ctrl dynsec init` writes it (PBKDF2-SHA512, 101 iterations),
 * made here so that the password is on no command line.
 */
function dynsecFile(file: string, admin: { username: string; password: string }): void {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(admin.password, salt, 101, 64, 'sha512');
  const acl = (acltype: string, topic: string) => ({ acltype, topic, allow: true });
  writeFileSync(
    file,
    JSON.stringify({
      defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
      clients: [{ username: admin.username, textName: 'test admin', password: hash.toString('base64'), salt: salt.toString('base64'), iterations: 101, roles: [{ rolename: 'admin' }] }],
      groups: [],
      roles: [{ rolename: 'admin', acls: [acl('publishClientSend', '$CONTROL/dynamic-security/#'), acl('publishClientSend', '#'), acl('publishClientReceive', '$CONTROL/dynamic-security/#'), acl('subscribePattern', '$CONTROL/dynamic-security/#'), acl('publishClientReceive', '#'), acl('subscribePattern', '#'), acl('unsubscribePattern', '#')] }],
    }),
    { mode: 0o666 },
  );
}

/** A real mosquitto on 127.0.0.1, on a free port, with limits that do not drop QoS 1 traffic; with `dynsec`, logins and ACLs by the dynamic-security plugin. */
export async function startMosquitto(extraConfig: string[] = [], opts: { persistence?: boolean; dynsec?: { username: string; password: string } } = {}): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  // mosquitto drops root and runs as its own user: it must be able to write the persistence file (and the plugin its state)
  if (opts.persistence || opts.dynsec) chmodSync(dir, 0o777);
  const persistence = opts.persistence ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'] : ['persistence false'];
  let access = ['allow_anonymous true'];
  if (opts.dynsec) {
    const plugin = dynsecPlugin();
    if (!plugin) throw new Error('mosquitto_dynamic_security.so not found: Debian ships it in the mosquitto package (scripts/setup.sh)');
    dynsecFile(path.join(dir, 'dynamic-security.json'), opts.dynsec);
    access = ['allow_anonymous false', `plugin ${plugin}`, `plugin_opt_config_file ${dir}/dynamic-security.json`];
  }
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, ...access, ...persistence, 'max_queued_messages 0', 'log_dest stderr', 'log_type error', ...extraConfig, ''].join('\n'));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mosquitto did not start');
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      // SIGTERM lets a persistent broker save its sessions, as a service restart would
      c.kill(opts.persistence ? 'SIGTERM' : 'SIGKILL');
    });
  await launch();
  return { url: `mqtt://127.0.0.1:${port}`, port, stop, restart: launch };
}
