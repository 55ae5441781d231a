/** How long one slice of a long walk may hold the event loop before it gives it back. */
export const SLICE_MS = 8;

/**
 * Runs `fn` over `items`, giving the event loop back (setImmediate) whenever
 * a slice has taken `budgetMs`: a walk over a province's cameras then delays
 * no HTTP answer, MQTT message or timer by more than about that (issue 31).
 * The items are read as they are when reached (a Map's iterator sees what is
 * added and not what is deleted meanwhile).
 */
export async function eachInSlices<T>(items: Iterable<T>, fn: (item: T) => void, budgetMs = SLICE_MS): Promise<void> {
  let start = performance.now();
  let n = 0;
  for (const item of items) {
    fn(item);
    if ((++n & 127) === 0 && performance.now() - start > budgetMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }
}
