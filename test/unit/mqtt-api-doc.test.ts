import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as messages from '../../protocols/index.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/mqtt-api.md', import.meta.url)), 'utf8');
const examples = [...doc.matchAll(/<!-- schema: (\w+) -->\s*```json\n([\s\S]*?)```/g)].map((m) => ({ schema: m[1]!, json: m[2]! }));

describe('mqtt api doc', () => {
  it('mqtt api doc: has an example for every topic schema', () => {
    const named = new Set(examples.map((e) => e.schema));
    for (const s of ['agentStateMessage', 'cameraStatusMessage', 'agentEvent', 'agentSummaryMessage', 'requestMessage', 'responseMessage', 'ratesMessage', 'desiredConfigMessage', 'reportedConfigMessage']) expect(named).toContain(s);
  });

  it.each(examples.map((e, i) => [`${i + 1}: ${e.schema}`, e] as const))('mqtt api doc: example %s parses with its schema', (_name, e) => {
    const schema = (messages as unknown as Record<string, z.ZodType>)[e.schema];
    expect(schema, `no schema named ${e.schema}`).toBeDefined();
    const r = schema!.safeParse(JSON.parse(e.json));
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
  });
});
