/**
 * Generates the machine-readable contracts from the zod schemas, so they
 * never drift from the code: docs/asyncapi.yaml (the MQTT topics, AsyncAPI
 * 3.0, with the examples of docs/mqtt-api.md) and docs/openapi.json (the
 * HTTP API, OpenAPI 3.1). `npm run docs`; a test fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { asyncApiDocument } from '../protocols/asyncapi.js';
import { openApiDocument } from '../protocols/openapi.js';
import { projectRoot } from '../platform/project-root.js';

/** The examples of docs/mqtt-api.md by schema name (`<!-- schema: name -->` before a json block). */
export function docExamples(markdown: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of markdown.matchAll(/<!-- schema: (\w+) -->\s*```json\n([\s\S]*?)```/g)) (out[m[1]!] ??= []).push(JSON.parse(m[2]!));
  return out;
}

export function contractFiles(root = projectRoot()): Record<string, string> {
  const examples = docExamples(readFileSync(path.join(root, 'docs', 'mqtt-api.md'), 'utf8'));
  return {
    'docs/asyncapi.yaml': `# Generated from protocols/ by npm run docs: do not edit.\n${stringify(asyncApiDocument(examples), { lineWidth: 0 })}`,
    'docs/openapi.json': `${JSON.stringify(openApiDocument(), null, 2)}\n`,
  };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const [file, text] of Object.entries(contractFiles())) {
    writeFileSync(path.join(projectRoot(), file), text);
    process.stdout.write(`wrote ${file}\n`);
  }
}
