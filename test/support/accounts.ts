import { spawn } from 'node:child_process';
import type { Page } from 'puppeteer-core';
import { CLI } from './agent-process.js';

/** Runs `xueliang user|token …` on an aggregator's config, the password (if any) on stdin as an admin pipes it. */
export async function cli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

/** Adds a user with `xueliang user add`; throws with the command's words when it refuses. */
export async function addUser(configFile: string, name: string, role: string, regions: string[], password: string): Promise<void> {
  const r = await cli(['user', 'add', name, '--role', role, ...regions.flatMap((g) => ['--region', g]), '--config', configFile], `${password}\n`);
  if (r.code !== 0) throw new Error(`user add ${name}: ${r.stderr}${r.stdout}`);
}

/** Makes an API token with `xueliang token create`: the token as printed. */
export async function addToken(configFile: string, args: string[]): Promise<string> {
  const r = await cli(['token', 'create', ...args, '--config', configFile]);
  if (r.code !== 0) throw new Error(`token create: ${r.stderr}`);
  return r.stdout.trim();
}

export interface ApiSession {
  cookie: string;
  csrf: string;
  /** fetch with the session's cookie (and its CSRF token on changes) */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Logs in over the API as the console does. */
export async function login(api: string, user: string, password: string, userAgent = 'access-test'): Promise<ApiSession> {
  const res = await fetch(`${api}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent }, body: JSON.stringify({ user, password }) });
  if (res.status !== 200) throw new Error(`login ${user}: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrf } = (await res.json()) as { csrf: string };
  return {
    cookie,
    csrf,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('Cookie', cookie);
      headers.set('User-Agent', userAgent);
      if (init.method && init.method !== 'GET') headers.set('X-CSRF-Token', csrf);
      return fetch(`${api}${path}`, { ...init, headers });
    },
  };
}

/** Logs in through the console's login form (opened by the header's button where reads are open to all). */
export async function consoleLogin(page: Page, user: string, password: string): Promise<void> {
  const first = await page.waitForSelector('[data-testid="login"] input[name="user"], [data-testid="login-button"]');
  if (await first!.evaluate((e) => e.getAttribute('data-testid') === 'login-button')) await first!.click();
  await fillLogin(page, user, password);
  await Promise.all([page.waitForSelector('[data-testid="who"]'), page.click('[data-testid="login"] button[type="submit"]')]);
}

/** Types a name and password into the login form, over whatever it held. */
export async function fillLogin(page: Page, user: string, password: string): Promise<void> {
  for (const [name, text] of [['user', user], ['password', password]] as const) {
    const sel = `[data-testid="login"] input[name="${name}"]`;
    await page.waitForSelector(sel);
    await page.$eval(sel, (e) => ((e as unknown as { value: string }).value = ''));
    await page.type(sel, text);
  }
}
