import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../platform/pretty.js';

describe('pretty logs', () => {
  it('pretty logs: a pino line becomes a line for people, with its fields', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-11-27T09:12:00.123Z', pid: 1, name: 'xueliang-agent', module: 'monitor', camera: 'c1', from: 'online', to: 'offline', msg: 'camera state changed' });
    expect(prettyLine(line, false)).toBe('09:12:00 WARN  [monitor] camera state changed  camera=c1 from=online to=offline');
  });
  it('pretty logs: anything that is not JSON passes through', () => {
    expect(prettyLine('plain text', false)).toBe('plain text');
  });
});
