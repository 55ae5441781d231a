import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
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

/** A real mosquitto on 127.0.0.1, on a free port, with limits that do not drop QoS 1 traffic. */
export async function startMosquitto(extraConfig: string[] = [], opts: { persistence?: boolean } = {}): Promise<Broker> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  // mosquitto drops root and runs as its own user: it must be able to write the persistence file
  if (opts.persistence) chmodSync(dir, 0o777);
  const persistence = opts.persistence ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'] : ['persistence false'];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...persistence, 'max_queued_messages 0', 'log_dest stderr', 'log_type error', ...extraConfig, ''].join('\n'));
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
