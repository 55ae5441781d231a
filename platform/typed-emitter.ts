/**
 * A typed event emitter: each event has its own argument list, a listener is
 * removed by the function on() returns (with its owner, at stop), and a
 * listener that throws never reaches the emitter: `onError` hears of it.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<(...args: never[]) => void>>();

  constructor(private readonly onError: (event: string, err: unknown) => void = () => undefined) {}

  /** Listens to `event`; the function returned stops it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const fn = listener as unknown as (...args: never[]) => void;
    set.add(fn);
    return () => void set.delete(fn);
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as unknown as (...a: Events[K]) => void)(...args);
      } catch (err) {
        this.onError(String(event), err);
      }
    }
  }
}
