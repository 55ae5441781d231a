import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's chromium (scripts/setup.sh installs it); no browser is ever downloaded. */
export const CHROMIUM = process.env['XUELIANG_CHROMIUM'] ?? '/usr/bin/chromium';

/** Headless chromium for the console tests; root (CI) needs --no-sandbox. Loopback only: no proxy, no background traffic. */
export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-proxy-server', '--disable-background-networking', '--disable-component-update', '--disable-domain-reliability', '--disable-sync', '--no-first-run', '--metrics-recording-only'],
  });
}

/** Where screenshots of the console tests go (a test artefact, not committed). */
export function artefactDir(name: string): string {
  const dir = path.join(process.env['XUELIANG_ARTEFACTS'] ?? path.resolve('test-artefacts'), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
