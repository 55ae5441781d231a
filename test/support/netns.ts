import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../platform/project-root.js';

/**
 * Network namespaces of the test's own: multicast inside them never leaves
 * the machine. Names are random so parallel runs do not collide.
 */
export class NetnsLab {
  readonly names: string[] = [];
  private readonly children: ChildProcess[] = [];
  readonly tag = randomBytes(3).toString('hex');

  ns(short: string): string {
    const name = `xl${short}${this.tag}`;
    execFileSync('ip', ['netns', 'add', name]);
    this.names.push(name);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Lets multicast to the WS-Discovery group flow on the namespace's loopback. */
  loopbackMulticast(ns: string): void {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'multicast', 'on']);
    execFileSync('ip', ['-n', ns, 'route', 'add', '239.255.255.250/32', 'dev', 'lo', 'src', '127.0.0.1']);
  }

  /** A veth link between two namespaces with an address on each end (/24). */
  link(a: string, aIf: string, aAddr: string, b: string, bIf: string, bAddr: string): void {
    const tmpA = `va${randomBytes(3).toString('hex')}`;
    const tmpB = `vb${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
    execFileSync('ip', ['link', 'set', tmpA, 'netns', a]);
    execFileSync('ip', ['link', 'set', tmpB, 'netns', b]);
    execFileSync('ip', ['-n', a, 'link', 'set', tmpA, 'name', aIf]);
    execFileSync('ip', ['-n', b, 'link', 'set', tmpB, 'name', bIf]);
    execFileSync('ip', ['-n', a, 'addr', 'add', `${aAddr}/24`, 'dev', aIf]);
    execFileSync('ip', ['-n', b, 'addr', 'add', `${bAddr}/24`, 'dev', bIf]);
    execFileSync('ip', ['-n', a, 'link', 'set', aIf, 'up']);
    execFileSync('ip', ['-n', b, 'link', 'set', bIf, 'up']);
  }

  /**
   * A veth link from this (the test's) namespace into `ns`, addresses on a
   * /24 of their own: the gateway under test reaches a site network that the
   * test can cut (`setLink`). Deleting the namespace deletes both ends.
   */
  linkToHere(ns: string, nsIf: string, nsAddrs: string[], hereAddr: string): string {
    const here = `xlh${this.tag}${this.names.indexOf(ns)}`.slice(0, 15);
    const tmp = `vn${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['link', 'add', here, 'type', 'veth', 'peer', 'name', tmp]);
    execFileSync('ip', ['link', 'set', tmp, 'netns', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', tmp, 'name', nsIf]);
    for (const a of nsAddrs) execFileSync('ip', ['-n', ns, 'addr', 'add', `${a}/24`, 'dev', nsIf]);
    execFileSync('ip', ['addr', 'add', `${hereAddr}/24`, 'dev', here]);
    execFileSync('ip', ['-n', ns, 'link', 'set', nsIf, 'up']);
    execFileSync('ip', ['link', 'set', here, 'up']);
    return here;
  }

  /** Takes a namespace's interface down (its network cut: nothing answers, connections time out) or up again. */
  setLink(ns: string, ifName: string, up: boolean): void {
    execFileSync('ip', ['-n', ns, 'link', 'set', ifName, up ? 'up' : 'down']);
  }

  /** Runs the ONVIF simulator inside `ns`; resolves with what it printed once ready. */
  async simulator(ns: string, opts: unknown): Promise<{ discoveryPort: number; devices: Array<{ uuid: string; xaddr: string }> }> {
    const script = path.join(projectRoot(), 'dist', 'cli', 'demo', 'onvif-sim-main.js');
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`simulator in ${ns} did not start: ${stderr}`)), 15_000);
      createInterface({ input: child.stdout! }).once('line', (l) => {
        clearTimeout(t);
        resolve(l);
      });
      child.once('exit', (c) => reject(new Error(`simulator in ${ns} exited ${c}: ${stderr}`)));
    });
    return JSON.parse(line) as { discoveryPort: number; devices: Array<{ uuid: string; xaddr: string }> };
  }

  /** Runs a command in `ns` to completion. */
  run(ns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (const n of this.names) {
      try {
        execFileSync('ip', ['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
  }
}
