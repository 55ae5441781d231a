/**
 * Generates docs/config-reference.md from the zod schemas, so the reference
 * never drifts from the code: `npm run docs`. A test fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { agentConfigSchema } from '../config/agent.js';
import { aggregatorConfigSchema } from '../config/aggregator.js';
import { projectRoot } from '../platform/project-root.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  const min = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
  const range = min !== undefined || max !== undefined ? ` (${min ?? ''}..${max ?? ''})` : '';
  return `${t}${range}`;
}

function rows(s: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const name = `${prefix}${key}`;
    const required = s.required?.includes(key) && prop.default === undefined;
    const def = prop.default === undefined ? (required ? '**required**' : '') : `\`${JSON.stringify(prop.default)}\``;
    const desc = (prop.description ?? '').replace(/\|/g, '\\|');
    const isObject = prop.type === 'object' && prop.properties;
    const isList = prop.type === 'array' && prop.items?.type === 'object';
    out.push(`| \`${name}\` | ${isObject ? 'section' : typeOf(prop)} | ${isObject ? '' : def} | ${desc} |`);
    if (isObject) rows(prop, `${name}.`, out);
    if (isList) rows(prop.items!, `${name}[].`, out);
  }
}

function section(title: string, file: string, schema: z.ZodType): string {
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = [`## ${title}`, '', `\`${file}\`, YAML or JSON. Unknown keys are refused.`, '', '| option | type | default | what it does |', '|---|---|---|---|'];
  rows(js, '', out);
  return out.join('\n');
}

export function configReference(): string {
  return [
    '# Configuration reference',
    '',
    'Generated from the zod schemas in `config/` by `npm run docs`; a test fails when this page and the code disagree. Commented examples: `config/agent.example.yaml`, `config/aggregator.example.yaml`. Check a file with `xueliang config validate FILE`.',
    '',
    'Environment overrides (both programs): `XUELIANG_MQTT_URL`, `XUELIANG_MQTT_USERNAME`, `XUELIANG_MQTT_PASSWORD`.',
    '',
    section('Agent', '/etc/xueliang/agent.yaml', agentConfigSchema),
    '',
    section('Aggregator', '/etc/xueliang/aggregator.yaml', aggregatorConfigSchema),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const file = path.join(projectRoot(), 'docs', 'config-reference.md');
  writeFileSync(file, configReference());
  process.stdout.write(`wrote ${file}\n`);
}
