import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../platform/project-root.js';
import { scratchDir } from './scratch.js';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Debian's mosquitto on 127.0.0.1: the benchmarks' broker. By default
 * unlimited queues and in-flight windows, no persistence; with `shipped`, the
 * queue, in-flight and persistence settings of config/mosquitto/broker.conf
 * (what the product tells a site to run), anonymous on loopback instead of its
 * password file. `limits` says which were used, for the benchmark to print.
 */
export async function mosquitto(opts: { shipped?: boolean } = {}) {
  const port = await freePort();
  const dir = scratchDir('xl-bench-mq-');
  const conf = path.join(dir, 'm.conf');
  const settings = opts.shipped ? shippedLimits() : { max_queued_messages: '0', max_inflight_messages: '0', persistence: 'false' };
  const lines = Object.entries(settings).map(([k, v]) => `${k} ${v}`);
  if (settings['persistence'] === 'true') lines.push(`persistence_location ${dir}/`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${lines.join('\n')}\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const limits = `${opts.shipped ? 'config/mosquitto/broker.conf' : 'benchmark broker'}: ${Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ')}`;
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid!, limits, stop: () => child.kill('SIGKILL') };
}

/** mosquitto's own defaults for the limits that decide whether a slow consumer loses QoS 1 messages (mosquitto.conf(5), 2.0) */
const MOSQUITTO_DEFAULTS = { max_queued_messages: '1000', max_inflight_messages: '20', persistence: 'false' };

/** The queue, in-flight and persistence settings of the shipped broker.conf, mosquitto's defaults where it says nothing. */
function shippedLimits(): Record<string, string> {
  const text = readFileSync(path.join(projectRoot(), 'config', 'mosquitto', 'broker.conf'), 'utf8');
  const out: Record<string, string> = { ...MOSQUITTO_DEFAULTS };
  for (const line of text.split('\n')) {
    const m = /^\s*(max_queued_messages|max_inflight_messages|persistence)\s+(\S+)/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
