import { describe, expect, it } from 'vitest';
import { JsonArrayElements } from '../../aggregator/store/json-array.js';

const parsed = (text: string) => {
  const e = new JsonArrayElements(text);
  const items = [...e].map((x) => JSON.parse(x) as unknown);
  return { items, ok: e.ok() };
};

describe('a stored JSON array read an element at a time (store/json-array.ts)', () => {
  it('gives the elements JSON.parse gives, whatever their strings and nesting hold', () => {
    const cases: unknown[] = [
      [],
      [{}],
      [1, 'two', null, true, 3.5e-3],
      [{ id: 'P1', name: '文新街道 "东" 口, [北] {侧}', region: '330106', tags: ['a,b', { x: [1, [2, { y: '}' }]] }] }],
      [{ s: 'back\\slash at the end\\' }, { s: '\\"quoted\\"' }, { s: '\u2028\u0000' }],
      Array.from({ length: 1000 }, (_, i) => ({ id: `P${i}`, required: i % 3 })),
    ];
    for (const c of cases) {
      for (const text of [JSON.stringify(c), JSON.stringify(c, null, 2), ` \n\t${JSON.stringify(c)}\r\n `]) {
        expect(parsed(text), text.slice(0, 60)).toEqual({ items: c, ok: true });
      }
    }
  });

  it('says when the text is no whole array, and what it yields does not parse where an element is broken', () => {
    expect(parsed('{"a": 1}')).toEqual({ items: [], ok: false });
    expect(parsed('')).toEqual({ items: [], ok: false });
    expect(parsed('[1, 2')).toEqual({ items: [1], ok: false });
    expect(parsed('[1, 2] x')).toEqual({ items: [1, 2], ok: false });
    expect(parsed('[] x').ok).toBe(false);
    expect(() => [...new JsonArrayElements('[1,,2]')].map((x) => JSON.parse(x))).toThrow();
    expect(() => [...new JsonArrayElements('[1,]')].map((x) => JSON.parse(x))).toThrow();
    expect(parsed('[{"a": "unterminated}]')).toEqual({ items: [], ok: false });
  });
});
