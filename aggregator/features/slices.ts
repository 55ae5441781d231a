/** How long one slice of a long walk may hold the event loop before it gives it back. */
export const SLICE_MS = 8;

/** slices waiting for their turn, first come first served */
const waiting: Array<() => void> = [];
let released = false;

/**
 * When the walks' work in the current turn of the event loop began
 * (undefined: none has worked in it yet). Walks in one turn share its
 * budget. Each walk used to start a clock of its own and give the loop
 * back only once it alone had used a slice: walks shorter than that,
 * awaited one after another (a county's report walks its cameras and
 * points four times; a loop over regions), ran back to back in one turn
 * through their promises, however many there were.
 */
let turnStart: number | undefined;

function clearTurn(): void {
  turnStart = undefined;
}

/** The start of the current turn's work (set by the first walk to ask, cleared once the turn is over). */
function turnClock(): number {
  if (turnStart === undefined) {
    turnStart = performance.now();
    // an immediate set now runs after this turn's callback and its promises: the next turn starts afresh
    setImmediate(clearTurn);
  }
  return turnStart;
}

function releaseOne(): void {
  released = false;
  // the slice released here is a turn of its own
  turnStart = undefined;
  const next = waiting.shift();
  // the next one in a later turn of the event loop (an immediate set from an immediate runs in the next turn)
  if (waiting.length > 0) {
    released = true;
    setImmediate(releaseOne);
  }
  next?.();
}

/**
 * A later turn of the event loop, shared by every walk in slices: one slice
 * runs per turn, whatever the number of walks going on. With a
 * setImmediate each, the slices of every walk under way ran back to back
 * in one turn (the publishers', the alert pass's, an operator's: 8 ms
 * each, 40 ms together), and a timer or an answer waited behind all of them.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!released) {
      released = true;
      setImmediate(releaseOne);
    }
  });
}

/**
 * Runs `fn` over `items`, giving the event loop back (nextTurn) whenever
 * a slice has taken `budgetMs`: a walk over a province's cameras then delays
 * no HTTP answer, MQTT message or timer by more than about that (issue 31).
 * The items are read as they are when reached (a Map's iterator sees what is
 * added and not what is deleted meanwhile). `background`: a walk nobody
 * waits for, which leaves room for one somebody does (a function: asked
 * again at each slice, for a walk somebody may come to wait for).
 */
export async function eachInSlices<T>(items: Iterable<T>, fn: (item: T) => void, opts: { budgetMs?: number; background?: boolean | (() => boolean); every?: number } = {}): Promise<void> {
  const budgetMs = opts.budgetMs ?? SLICE_MS;
  // the clock is read every 128 items (most items take a microsecond); `every`: for items that take long each
  const every = opts.every ?? 128;
  // a walk begun in a turn whose budget other walks have spent waits for the next
  if (performance.now() - turnClock() > budgetMs) await nextTurn();
  let start = turnClock();
  let n = 0;
  for (const item of items) {
    fn(item);
    if (++n % every === 0 && performance.now() - start > budgetMs) {
      // background work (publishers, alert passes) rests as long as it worked: an operator's request walking at
      // the same time gets the larger share of the CPU, not a fair half
      const rest = typeof opts.background === 'function' ? opts.background() : opts.background === true;
      if (rest) await new Promise<void>((resolve) => setTimeout(resolve, budgetMs));
      await nextTurn();
      start = turnClock();
    }
  }
}

/**
 * For a loop that cannot be an eachInSlices (it awaits, or reads as it
 * goes): call it once per item; when the work since the last turn took
 * `budgetMs` it returns a promise of the next turn (nextTurn) to await,
 * else nothing (no promise, no microtask per item).
 */
export function pacer(budgetMs = SLICE_MS): () => Promise<void> | undefined {
  let n = 0;
  return () => {
    // the first call, then every 128th: the clock of the turn, shared with the walks in it
    if ((n++ & 127) !== 0 || performance.now() - turnClock() <= budgetMs) return undefined;
    return nextTurn();
  };
}

/**
 * JSON.stringify(items), the same text, made `per` items at a time in slices:
 * a province's plan (a million points, 150 MB of JSON) took a fifth of a
 * second in one call.
 */
export async function jsonArrayInSlices(items: readonly unknown[], per = 2000): Promise<string> {
  const parts: string[] = [];
  const starts = Array.from({ length: Math.ceil(items.length / per) }, (_, i) => i * per);
  await eachInSlices(starts, (at) => parts.push(JSON.stringify(items.slice(at, at + per)).slice(1, -1)), { every: 1 });
  return `[${parts.join(',')}]`;
}
