/** A seeded mutation fuzzer: deterministic, so a failing input can be replayed from its index. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const NASTY = ['<!DOCTYPE x [<!ENTITY a "aaaa">]>', '&a;', '<![CDATA[', ']]>', '\u0000', '\uFFFF', '"', "'", '<', '>', '&', '{', '}', '[', ']', ':', ',', 'null', 'true', '1e309', '-0', '9007199254740993', '\\u0000', '%s', '../../', '\n', '    ', 'NaN'];

/** One random mutation of `input`: flips, deletions, insertions, duplications, truncation, nesting. */
export function mutate(input: string, rand: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const at = () => Math.floor(rand() * (input.length + 1));
  let s = input;
  const rounds = 1 + Math.floor(rand() * 4);
  for (let r = 0; r < rounds; r++) {
    const i = Math.min(at(), s.length);
    switch (Math.floor(rand() * 8)) {
      case 0:
        s = s.slice(0, i) + String.fromCharCode(Math.floor(rand() * 256)) + s.slice(i + 1);
        break;
      case 1:
        s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rand() * 20));
        break;
      case 2:
        s = s.slice(0, i) + pick(NASTY) + s.slice(i);
        break;
      case 3: {
        const len = Math.floor(rand() * 200);
        s = s.slice(0, i) + s.slice(i, i + len).repeat(1 + Math.floor(rand() * 5)) + s.slice(i);
        break;
      }
      case 4:
        s = s.slice(0, i);
        break;
      case 5:
        s = s.slice(0, i) + '<a>'.repeat(Math.floor(rand() * 300)) + s.slice(i);
        break;
      case 6:
        s = s.slice(0, i) + '['.repeat(Math.floor(rand() * 300)) + s.slice(i);
        break;
      default:
        s = s.slice(0, i) + 'x'.repeat(Math.floor(rand() * 5000)) + s.slice(i);
    }
  }
  return s;
}
