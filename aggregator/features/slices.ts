/** How long one slice of a long walk may hold the event loop before it gives it back. */
export const SLICE_MS = 8;

/**
 * Runs `fn` over `items`, giving the event loop back (setImmediate) whenever
 * a slice has taken `budgetMs`: a walk over a province's cameras then delays
 * no HTTP answer, MQTT message or timer by more than about that (issue 31).
 * The items are read as they are when reached (a Map's iterator sees what is
 * added and not what is deleted meanwhile). `background`: a walk nobody
 * waits for, which leaves room for one somebody does (a function: asked
 * again at each slice, for a walk somebody may come to wait for).
 */
export async function eachInSlices<T>(items: Iterable<T>, fn: (item: T) => void, opts: { budgetMs?: number; background?: boolean | (() => boolean) } = {}): Promise<void> {
  const budgetMs = opts.budgetMs ?? SLICE_MS;
  let start = performance.now();
  let n = 0;
  for (const item of items) {
    fn(item);
    if ((++n & 127) === 0 && performance.now() - start > budgetMs) {
      // background work (publishers, alert passes) rests as long as it worked: an operator's request walking at
      // the same time gets the larger share of the CPU, not a fair half
      const rest = typeof opts.background === 'function' ? opts.background() : opts.background === true;
      await new Promise<void>((resolve) => (rest ? setTimeout(resolve, budgetMs) : setImmediate(resolve)));
      start = performance.now();
    }
  }
}

/**
 * For a loop that cannot be an eachInSlices (it awaits, or reads as it
 * goes): call it once per item; when the work since the last turn took
 * `budgetMs` it returns a promise of the next turn (setImmediate) to await,
 * else nothing (no promise, no microtask per item).
 */
export function pacer(budgetMs = SLICE_MS): () => Promise<void> | undefined {
  let start = performance.now();
  let n = 0;
  return () => {
    if ((++n & 127) !== 0 || performance.now() - start <= budgetMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        start = performance.now();
        resolve();
      }),
    );
  };
}
