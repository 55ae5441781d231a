/**
 * Whether a payload schema (JSON Schema, as the contract documents carry it)
 * can replace an older one without breaking anyone, from the side of the
 * party that did not change:
 * - a message the system sends: its consumers may rely on every property
 *   and every type they saw; a property may be added, an enum value or a
 *   union member may be added (consumers ignore what they do not know: the
 *   contract says so), nothing may be taken away or made optional;
 * - a message the system receives: what old senders send must still be
 *   accepted; nothing may become required, no type narrowed, no enum value or
 *   union member removed, an open object not closed.
 * Returns one line per break, with its JSON path. Pure.
 */
export type Direction = 'send' | 'receive';

type Schema = Record<string, unknown>;

const asSchema = (v: unknown): Schema | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Schema) : undefined);
const typesOf = (s: Schema): string[] => (Array.isArray(s['type']) ? (s['type'] as string[]) : typeof s['type'] === 'string' ? [s['type'] as string] : []);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const key = (v: unknown) => JSON.stringify(v);

/** The value a union member is told apart by: the const of its first const-valued property (`type`, `state`). */
function discriminator(s: Schema): string | undefined {
  for (const [name, p] of Object.entries(asSchema(s['properties']) ?? {})) {
    const c = asSchema(p)?.['const'];
    if (c !== undefined) return `${name}=${key(c)}`;
  }
  return undefined;
}

export function payloadBreaks(before: unknown, after: unknown, direction: Direction, path = '$'): string[] {
  const a = asSchema(before);
  const b = asSchema(after);
  if (!a) return [];
  if (!b) return [`${path}: the schema is gone`];
  const out: string[] = [];

  const ta = typesOf(a);
  const tb = typesOf(b);
  if (ta.length > 0) {
    // a type set may grow for what we receive, and may not change at all for what we send
    const lost = ta.filter((t) => !tb.includes(t) && !(t === 'number' && tb.includes('integer') && direction === 'send'));
    const gained = tb.filter((t) => !ta.includes(t));
    if (tb.length === 0 && direction === 'receive') {
      // no type: anything is accepted
    } else if (lost.length > 0) out.push(`${path}: type ${ta.join('|')} became ${tb.join('|') || 'any'}`);
    else if (gained.length > 0 && direction === 'send') out.push(`${path}: type ${ta.join('|')} became ${tb.join('|')} (consumers may get a value they cannot read)`);
  }
  if (a['const'] !== undefined && key(a['const']) !== key(b['const'])) out.push(`${path}: const ${key(a['const'])} became ${b['const'] === undefined ? 'anything' : key(b['const'])}`);

  const ea = list(a['enum']).map(key);
  const eb = list(b['enum']).map(key);
  if (ea.length > 0 && direction === 'receive') for (const v of ea) if (!eb.includes(v) && eb.length > 0) out.push(`${path}: value ${v} no longer accepted`);
  if (ea.length > 0 && direction === 'send' && eb.length === 0 && tb.length > 0) out.push(`${path}: was one of ${ea.join(', ')}, now any ${tb.join('|')}`);

  const pa = asSchema(a['properties']) ?? {};
  const pb = asSchema(b['properties']) ?? {};
  const ra = list(a['required']) as string[];
  const rb = list(b['required']) as string[];
  for (const name of Object.keys(pa)) {
    if (!(name in pb)) {
      if (direction === 'send' || b['additionalProperties'] === false) out.push(`${path}.${name}: removed`);
      continue;
    }
    out.push(...payloadBreaks(pa[name], pb[name], direction, `${path}.${name}`));
  }
  if (direction === 'send') for (const r of ra) if (!rb.includes(r) && r in pb) out.push(`${path}.${r}: no longer always present`);
  if (direction === 'receive') {
    for (const r of rb) if (!ra.includes(r)) out.push(`${path}.${r}: now required (old senders leave it out)`);
    if (a['additionalProperties'] !== false && b['additionalProperties'] === false) out.push(`${path}: no longer accepts other properties`);
  }

  if (a['items'] !== undefined) out.push(...payloadBreaks(a['items'], b['items'], direction, `${path}[]`));

  for (const combo of ['oneOf', 'anyOf'] as const) {
    const ma = list(a[combo]).map(asSchema).filter((x): x is Schema => x !== undefined);
    if (ma.length === 0) continue;
    const mb = list(b[combo]).map(asSchema).filter((x): x is Schema => x !== undefined);
    ma.forEach((m, i) => {
      const d = discriminator(m);
      const match = d !== undefined ? mb.find((x) => discriminator(x) === d) : mb[i];
      if (!match) {
        if (direction === 'receive' || d === undefined) out.push(`${path}.${combo}[${d ?? i}]: removed`);
        else out.push(`${path}.${combo}[${d}]: no longer sent`);
        return;
      }
      out.push(...payloadBreaks(m, match, direction, `${path}.${combo}[${d ?? i}]`));
    });
  }
  return out;
}
