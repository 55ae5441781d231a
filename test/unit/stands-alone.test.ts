import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/project-root.js';

describe('the project stands on its own', () => {
  it('stands alone: no tracked file reads or links anything outside the repository (../shared)', () => {
    const root = projectRoot();
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => /\.(ts|md|sh|py|json|yaml)$/.test(f) && !f.endsWith('package-lock.json'));
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((f) => /\.\.\/shared\/|(\.\.\/){3}shared/.test(readFileSync(path.join(root, f), 'utf8')) && !f.endsWith('stands-alone.test.ts'));
    expect(offenders).toEqual([]);
  });
});
