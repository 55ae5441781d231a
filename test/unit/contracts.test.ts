import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { diff } from '@asyncapi/diff';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { payloadBreaks, type Direction } from '../../protocols/contract-compat.js';
import { PROTOCOL_VERSION } from '../../protocols/version.js';
import { contractFiles } from '../../scripts/contracts.js';
import { projectRoot } from '../../platform/project-root.js';

const root = projectRoot();
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const generated = contractFiles(root);

type Doc = {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: 'send' | 'receive'; channel: { $ref: string } }>;
  components: { messages: Record<string, { payload: { schema: unknown } }> };
};

/** Every message of a document with the direction the system uses it in (send, receive). */
function messagesOf(doc: Doc): Map<string, { direction: Direction; schema: unknown }> {
  const out = new Map<string, { direction: Direction; schema: unknown }>();
  for (const op of Object.values(doc.operations)) {
    const channel = doc.channels[op.channel.$ref.split('/').pop()!]!;
    for (const ref of Object.values(channel.messages)) {
      const name = ref.$ref.split('/').pop()!;
      out.set(name, { direction: op.action, schema: doc.components.messages[name]!.payload.schema });
    }
  }
  // the reply of a request is sent
  const response = doc.components.messages['response'];
  if (response) out.set('response', { direction: 'send', schema: response.payload.schema });
  return out;
}

/** What breaks between two contract documents: @asyncapi/diff for their structure, payloadBreaks for the payloads. */
async function breakingChanges(beforeText: string, afterText: string): Promise<string[]> {
  const parser = new Parser();
  const [a, b] = await Promise.all([parser.parse(beforeText), parser.parse(afterText)]);
  if (!a.document || !b.document) throw new Error('a contract does not parse');
  // info.version moves with every release: a new minor is how additions ship; its major must stay
  const override = { '/info/version': { add: 'non-breaking', remove: 'breaking', edit: 'non-breaking' } } as const;
  const structural = diff(a.document.json(), b.document.json(), { override }).breaking() as Array<{ path: string; action: string }>;
  const out = structural.map((c) => `${c.path}: ${c.action}`);
  const major = (d: typeof a.document) => d.info().version().split('.')[0];
  if (major(a.document) !== major(b.document)) out.push(`/info/version: major ${major(a.document)} became ${major(b.document)}`);
  const before = messagesOf(parseYaml(beforeText) as Doc);
  const after = messagesOf(parseYaml(afterText) as Doc);
  for (const [name, m] of before) {
    const now = after.get(name);
    if (!now) out.push(`message ${name}: removed`);
    else out.push(...payloadBreaks(m.schema, now.schema, m.direction, name));
  }
  return out;
}

describe('contracts', () => {
  it('contracts: docs/asyncapi.yaml and docs/openapi.json are what the schemas generate (run npm run docs)', () => {
    for (const [file, text] of Object.entries(generated)) expect(read(file), file).toBe(text);
  });

  it('contracts: the AsyncAPI document is valid AsyncAPI 3.0 for @asyncapi/parser, with every channel of the contract', async () => {
    const { document, diagnostics } = await new Parser().parse(generated['docs/asyncapi.yaml']!);
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const addresses = document!.channels().all().map((c) => c.address());
    for (const a of ['agents/{agentId}/state', 'agents/{agentId}/cameras/{cameraId}/status', 'agents/{agentId}/events', 'agents/{agentId}/summary', 'agents/{agentId}/request/{command}', 'agents/{agentId}/response/{command}', 'agents/{agentId}/config/desired', 'agents/{agentId}/config/reported', 'groups/{group}/config/desired', 'rates/{region}']) {
      expect(addresses).toContain(`xueliang/v1/${a}`);
    }
    const request = document!.operations().all().find((o) => o.channels().all()[0]?.address()?.endsWith('/request/{command}'));
    expect(request?.reply()?.channel()?.address()).toBe('xueliang/v1/agents/{agentId}/response/{command}');
    // the examples of docs/mqtt-api.md travel along
    expect(document!.components().messages().all().find((m) => m.id() === 'event')?.examples().all().length).toBeGreaterThanOrEqual(5);
  });

  it('contracts: the OpenAPI document is valid OpenAPI 3.1 with every endpoint', async () => {
    const doc = JSON.parse(generated['docs/openapi.json']!) as { openapi: string; paths: Record<string, unknown> };
    const r = await new Validator().validate(doc);
    expect(r.errors ?? [], JSON.stringify(r.errors)).toEqual([]);
    expect(r.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/rates', '/api/cameras', '/api/cameras/{id}', '/api/cameras/{id}/history', '/api/agents', '/api/plan', '/api/bindings', '/api/gaps', '/api/openapi.json']));
  });

  it('contracts: nothing breaks the baseline of the major version the topic root says', async () => {
    // a new major version starts a new baseline (docs/asyncapi.<version>.yaml): without one this fails, it does not pass quietly
    expect(PROTOCOL_VERSION).toMatch(/^v\d+$/);
    expect(await breakingChanges(read(`docs/asyncapi.${PROTOCOL_VERSION}.yaml`), generated['docs/asyncapi.yaml']!)).toEqual([]);
  });

  it('contracts: the breaking-change check does find breaks: a channel, a property, a type, a new requirement', async () => {
    const base = parseYaml(generated['docs/asyncapi.yaml']!) as Doc & Record<string, unknown>;
    const mutate = (fn: (d: Doc & Record<string, unknown>) => void) => {
      const d = structuredClone(base);
      fn(d);
      return JSON.stringify(d);
    };
    const text = JSON.stringify(base);
    const status = (d: Doc) => d.components.messages['cameraStatus']!.payload.schema as { properties: Record<string, { type?: unknown }>; required: string[] };
    const desired = (d: Doc) => d.components.messages['configDesired']!.payload.schema as { required: string[] };
    const cases: Array<[string, string, RegExp]> = [
      ['a removed channel', mutate((d) => { delete d.channels['summary']; delete d.operations['sendSummary']; }), /channels|summary/],
      ['a changed address', mutate((d) => (d.channels['events']!.address = 'xueliang/v1/agents/{agentId}/ev')), /address/],
      ['a removed property of a sent message', mutate((d) => delete status(d).properties['since']), /cameraStatus\.since: removed/],
      ['a retyped property', mutate((d) => (status(d).properties['consecutiveFailures']!.type = 'string')), /cameraStatus\.consecutiveFailures: type/],
      ['a property made optional', mutate((d) => (status(d).required = status(d).required.filter((r) => r !== 'state'))), /cameraStatus\.state: no longer always present/],
      ['a new requirement on a received message', mutate((d) => desired(d).required.push('signature')), /configDesired\.signature: now required/],
    ];
    for (const [what, mutated, expected] of cases) {
      const found = await breakingChanges(text, mutated);
      expect(found.join('\n'), what).toMatch(expected);
    }
    // and an added optional property is not a break
    expect(await breakingChanges(text, mutate((d) => (status(d).properties['newField'] = { type: 'string' })))).toEqual([]);
  }, 30_000);
});
