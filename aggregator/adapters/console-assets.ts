import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's built files (index.html, app.js, app.css…), read once from
 * the package: dist/console beside the compiled aggregator, or the build's
 * output when the aggregator runs from its sources (tests). Nothing is
 * fetched at run time; there is no CDN.
 */
export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The Content-Security-Policy of every console response: scripts and styles from this server only, no inline script, no framing. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function consoleDir(): string | undefined {
  for (const rel of ['../../console/', '../../dist/console/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

export class ConsoleAssets {
  private files: Map<string, Asset> | undefined;

  constructor(private readonly dir: string | undefined = consoleDir()) {}

  /** The asset at a URL path (`/` is index.html); undefined when there is none. */
  get(path: string): Asset | undefined {
    this.files ??= this.load();
    return this.files.get(path === '/' ? '/index.html' : path);
  }

  get available(): boolean {
    this.files ??= this.load();
    return this.files.size > 0;
  }

  private load(): Map<string, Asset> {
    const out = new Map<string, Asset>();
    if (!this.dir) return out;
    const walk = (dir: string, prefix: string) => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
        else {
          const ext = name.slice(name.lastIndexOf('.'));
          out.set(`/${prefix}${name}`, { body: readFileSync(full), type: TYPES[ext] ?? 'application/octet-stream' });
        }
      }
    };
    walk(this.dir, '');
    return out;
  }
}
