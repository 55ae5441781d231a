import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../scripts/config-reference.js';

describe('config reference', () => {
  it('config reference: docs/config-reference.md is what the schemas generate (run npm run docs)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../docs/config-reference.md', import.meta.url)), 'utf8');
    expect(committed).toBe(configReference());
  });
  it('config reference: every option has a description', () => {
    const undocumented = configReference()
      .split('\n')
      .filter((l) => l.startsWith('| `') && l.endsWith('|  |'))
      .filter((l) => !/\| section \|/.test(l));
    expect(undocumented).toEqual([]);
  });
});
