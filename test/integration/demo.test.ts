import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';

describe('demo', () => {
  it('demo: runs the whole fleet on loopback, prints state changes and rates, and stops everything it started', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--duration', '22'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/aggregator\s+http:\/\/127\.0\.0\.1:\d+\/api\/rates/);
    expect(stdout).toMatch(/unknown → online/);
    expect(stdout).toMatch(/unknown → offline\s+\[onvif: auth_failed/);
    // 9 points, XH-006 without a camera; 11 cameras (the encoder's two channels among them), cam5 and cam6 down
    expect(stdout).toMatch(/rates: coverage 8\/9 88\.9% · networking 9\/11 81\.8%/);
    // the Gongshu gateway's cameras, named in Chinese as the field names them
    expect(stdout).toMatch(/大关小区北门 \(33010500001320000002\)\s+unknown → online/);
    // the encoder's channels, each a camera of its own
    expect(stdout).toMatch(/武林门客运码头候船厅 \(33010500001320000003\)\s+unknown → online/);
    expect(stdout).toMatch(/武林门客运码头售票厅 \(33010500001320000004\)\s+unknown → online/);
    expect(stdout).toContain('demo stopped; every process it started has ended.');
    expect(stdout).not.toContain('demo-Pa55');
    // the GStreamer server, the broker and the aggregator's API went with it: their ports are closed
    const ports = [/RTSP server\s+rtsp:\/\/127\.0\.0\.1:(\d+)/, /MQTT broker\s+mqtt:\/\/127\.0\.0\.1:(\d+)/, /aggregator\s+http:\/\/127\.0\.0\.1:(\d+)/].map((re) => Number(re.exec(stdout)?.[1]));
    expect(ports.every((p) => p > 0)).toBe(true);
    for (const port of ports) {
      const open = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      expect(open, `port ${port} still open`).toBe(false);
    }
  }, 60_000);
});
