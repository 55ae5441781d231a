import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../agent/node-flags.js';

describe('node flags', () => {
  it('node flags: the xueliang command starts node with the flags the benchmark measured', () => {
    const shebang = readFileSync(fileURLToPath(new URL('../../cli/main.ts', import.meta.url)), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
  });
});
