/**
 * The elements of a JSON array, each as its own text, read as they come:
 * a province's stored plan is one array of a million points (100 MB), and
 * JSON.parse of the whole held the event loop a second at start; parsed an
 * element at a time it can give the loop back between them. Only the
 * structure is read here (strings, nesting, the commas between elements):
 * each element's text is for JSON.parse, which judges it. A text that is
 * not an array yields nothing and `ok()` says so.
 */
export class JsonArrayElements {
  private broken = false;

  constructor(private readonly text: string) {}

  /** false when the text was not a whole array (its end missing, or not an array at all) */
  ok(): boolean {
    return !this.broken;
  }

  *[Symbol.iterator](): Generator<string> {
    const s = this.text;
    let i = skipSpace(s, 0);
    if (s.charCodeAt(i) !== 0x5b /* [ */) {
      this.broken = true;
      return;
    }
    i = skipSpace(s, i + 1);
    if (s.charCodeAt(i) === 0x5d /* ] */) {
      this.broken = skipSpace(s, i + 1) !== s.length;
      return;
    }
    let start = i;
    let depth = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22 /* " */) {
        // to the closing quote, past escaped ones
        for (i++; i < s.length && s.charCodeAt(i) !== 0x22; i++) if (s.charCodeAt(i) === 0x5c /* \ */) i++;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) {
          // the array's own end: the last element, then nothing but space
          yield s.slice(start, i);
          this.broken = skipSpace(s, i + 1) !== s.length;
          return;
        }
        depth--;
      } else if (c === 0x2c /* , */ && depth === 0) {
        yield s.slice(start, i);
        start = i + 1;
      }
    }
    this.broken = true;
  }
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x0a || s.charCodeAt(i) === 0x0d || s.charCodeAt(i) === 0x09)) i++;
  return i;
}
