/**
 * Builds the operations console (aggregator/console) into dist/console:
 * one bundled, minified app.js and app.css (Preact, uPlot and our code; no
 * CDN, nothing fetched at run time) and index.html. Part of `npm run build`.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/console`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
const result = await build({
  entryPoints: { app: `${root}aggregator/console/src/main.tsx` },
  outdir: `${out}/assets`,
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(`${root}aggregator/console/index.html`, `${out}/index.html`);
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
if (process.env['XUELIANG_BUILD_VERBOSE']) console.log(`console: ${sizes.join(', ')}`);
