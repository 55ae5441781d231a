import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the tree, read from its imports: no cycle between modules,
 * the store port above its adapters, agent/ and aggregator/ apart, and the
 * simulators the demo owns reached only by the demo command.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOP = ['agent', 'aggregator', 'platform', 'protocols', 'config', 'cli', 'scripts'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of every file, as project paths; `typeOnly` when the import brings types alone (erased at run time). */
function graph(): Map<string, Array<{ to: string; typeOnly: boolean }>> {
  const g = new Map<string, Array<{ to: string; typeOnly: boolean }>>();
  for (const f of TOP.flatMap((d) => files(path.join(root, d)))) {
    const text = readFileSync(f, 'utf8');
    const from = path.relative(root, f);
    const edges: Array<{ to: string; typeOnly: boolean }> = [];
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const target = path.relative(root, path.resolve(path.dirname(f), m[3]!)).replace(/\.js$/, '');
      const to = [`${target}.ts`, `${target}.tsx`, target].find((c) => existsSync(path.join(root, c)) && statSync(path.join(root, c)).isFile()) ?? `${target}.ts`;
      edges.push({ to, typeOnly: m[2] !== undefined });
    }
    g.set(from, edges);
  }
  return g;
}

/** Strongly connected components of more than one file (or a file importing itself): the cycles. */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('import graph', () => {
  const g = graph();
  const edges = [...g].flatMap(([from, list]) => list.map((e) => ({ from, ...e })));

  it('imports: the graph is read (every top folder has files, and relative imports resolve to files of the tree)', () => {
    for (const d of TOP) expect([...g.keys()].some((f) => f.startsWith(`${d}/`)), d).toBe(true);
    // a stylesheet the console bundles is not a module of ours
    const dangling = edges.filter((e) => !g.has(e.to) && !e.to.endsWith('.css'));
    expect(dangling).toEqual([]);
    expect(edges.length).toBeGreaterThan(300);
  });

  it('imports: no module imports itself through others (the cycles that run: type-only imports are erased)', () => {
    const run = new Map([...g].map(([from, list]) => [from, list.filter((e) => !e.typeOnly).map((e) => e.to)]));
    expect(cycles(run)).toEqual([]);
  });

  it('imports: the store port and what lies under aggregator/store/ name no adapter', () => {
    expect(edges.filter((e) => e.from.startsWith('aggregator/store/') && e.to.startsWith('aggregator/adapters/'))).toEqual([]);
    // nothing outside the adapters names an engine
    expect(edges.filter((e) => !e.from.startsWith('aggregator/adapters/') && /(postgres|sqlite)-store\.ts$/.test(e.to) && !e.from.startsWith('scripts/'))).toEqual([]);
  });

  it('imports: agent/ and aggregator/ stand apart, and neither reaches scripts/ or the demo', () => {
    const bad = edges.filter(
      (e) =>
        (e.from.startsWith('agent/') && (e.to.startsWith('aggregator/') || e.to.startsWith('scripts/') || e.to.startsWith('cli/'))) ||
        (e.from.startsWith('aggregator/') && (e.to.startsWith('agent/') || e.to.startsWith('scripts/') || e.to.startsWith('cli/'))),
    );
    expect(bad).toEqual([]);
  });

  it('imports: the CLI reaches the agent and the aggregator only through their public entry points', () => {
    // (the demo's simulators stand for cameras, not for a user of the agent: the ONVIF one shares the agent's digest maths)
    const inside = edges.filter((e) => e.from.startsWith('cli/') && !e.from.startsWith('cli/demo/') && /^(agent|aggregator)\//.test(e.to));
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.filter((e) => e.to !== 'agent/index.ts' && e.to !== 'aggregator/index.ts')).toEqual([]);
  });

  it('imports: the CLI reaches a simulator only from the demo command', () => {
    const sims = (to: string) => to.startsWith('scripts/') || to.startsWith('cli/demo/');
    const bad = edges.filter((e) => e.from.startsWith('cli/') && !e.from.startsWith('cli/demo/') && e.from !== 'cli/cmd-demo.ts' && sims(e.to));
    expect(bad).toEqual([]);
  });
});
