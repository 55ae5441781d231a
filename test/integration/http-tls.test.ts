import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Broker } from '../support/mosquitto.js';
import { aggregatorConfig } from '../support/aggregator-process.js';
import { CLI } from '../support/agent-process.js';

/** A throwaway CA and a certificate for 127.0.0.1 it signed (openssl, EC keys: quick to make). */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=xueliang test CA');
  o('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

const get = (url: string, ca: Buffer) =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });

describe('http tls: the console and the API over HTTPS', () => {
  let broker: Broker;
  let child: ReturnType<typeof spawn> | undefined;
  let api = '';
  let ca: Buffer;
  const lines: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xl-tls-'));
    const files = makeCertificates(dir);
    ca = readFileSync(files.ca);
    broker = await startMosquitto();
    const setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { tls: { cert: files.cert, key: files.key } } });
    child = spawn(process.execPath, [CLI, 'aggregator', '--config', setup.file], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => lines.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    api = `https://127.0.0.1:${setup.port}`;
    for (let k = 0; k < 150; k++) {
      if (await get(`${api}/healthz`, ca).then((r) => r.status === 200, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no HTTPS answer: ${lines.join('')}`);
  }, 30_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    await broker?.stop();
  });

  it('http tls: the API and the console answer over TLS, verified against the CA, with HSTS', async () => {
    const rates = await get(`${api}/api/rates`, ca);
    expect(rates.status).toBe(200);
    expect(rates.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(JSON.parse(rates.body)).toHaveProperty('regions');
    const page = await get(`${api}/`, ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script');
    expect(lines.join('')).toContain(`"api":"${api}"`);
  });

  it('http tls: TLS 1.1 and plain HTTP are refused', async () => {
    const old = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: Number(new URL(api).port), ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve('connected'));
      s.on('error', (err) => resolve(err.message));
    });
    expect(old).not.toBe('connected');
    const plain = await new Promise<string>((resolve) => {
      const r = http.get(api.replace('https:', 'http:') + '/healthz', (res) => resolve(String(res.statusCode)));
      r.on('error', (err) => resolve(err.message));
      r.setTimeout(5000, () => r.destroy(new Error('timeout')));
    });
    expect(plain).not.toBe('200');
  });

  it('http tls: a certificate file that cannot be read stops the start with the setting and the file named', async () => {
    const setup = await aggregatorConfig({ mqtt: { url: broker.url }, http: { tls: { cert: '/nonexistent/server.pem', key: '/nonexistent/server.key' } } });
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'aggregator', '--config', setup.file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      c.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (text += d.toString()));
      c.on('exit', (code) => resolve({ code, text }));
      setTimeout(() => c.kill('SIGKILL'), 15_000);
    });
    expect(out.code).not.toBe(0);
    expect(out.text).toContain('http.tls.cert: cannot read /nonexistent/server.pem (ENOENT)');
  }, 20_000);
});
