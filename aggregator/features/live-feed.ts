import type http from 'node:http';
import type { CameraState } from '../../protocols/index.js';

/** The most browsers one aggregator streams to; more get 503 and poll. */
const MAX_CLIENTS = 200;
/** cameras named in one message; past that the message says how many changed and the page reloads its list */
const MAX_NAMED = 200;

/**
 * Server-Sent Events of camera changes for the console (`GET /api/live`):
 * changes are gathered and sent at most once per `flushMs` as one `cameras`
 * event, `{"changed": N, "cameras": [{cameraId, state}], "truncated": bool}`;
 * a comment line every 15 s keeps proxies from closing an idle stream.
 * A browser that cannot keep up is dropped (it reconnects by itself).
 */
export class LiveFeed {
  /** each browser with what it may see (its user's regions); undefined: everything */
  private readonly clients = new Map<http.ServerResponse, ((cameraId: string) => boolean) | undefined>();
  private pending = new Map<string, CameraState | null>();
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;

  constructor(private readonly flushMs = 1000) {}

  /** A camera changed (from RateCounters.onChange). */
  changed(cameraId: string, state: CameraState | null): void {
    if (this.clients.size === 0) return;
    this.pending.set(cameraId, state);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Answers `GET /api/live`: keeps the response open until the browser leaves or stop(). */
  attach(req: http.IncomingMessage, res: http.ServerResponse, visible?: (cameraId: string) => boolean): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '30' });
      res.end(JSON.stringify({ error: { code: 'TOO_MANY_STREAMS', message: `at most ${MAX_CLIENTS} live streams; poll /api/cameras instead` } }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    // a browser reconnects 3 s after the stream breaks
    res.write('retry: 3000\n\n');
    this.clients.set(res, visible);
    req.socket.setTimeout(0);
    const drop = () => this.clients.delete(res);
    res.on('close', drop);
    res.on('error', drop);
    this.beat ??= setInterval(() => this.send(': keep-alive\n\n'), 15_000);
  }

  get size(): number {
    return this.clients.size;
  }

  stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.beat);
    this.timer = this.beat = undefined;
    for (const c of this.clients.keys()) c.end();
    this.clients.clear();
  }

  private flush(): void {
    this.timer = undefined;
    const changes = this.pending;
    this.pending = new Map();
    if (changes.size === 0) return;
    const everything = this.message(changes);
    // a browser of a user with some regions hears of the changes in them only (nothing at all when none is)
    this.send((visible) => (visible ? this.message(new Map([...changes].filter(([id]) => visible(id)))) : everything));
  }

  private message(changes: ReadonlyMap<string, CameraState | null>): string | undefined {
    if (changes.size === 0) return undefined;
    const cameras = [...changes].slice(0, MAX_NAMED).map(([cameraId, state]) => ({ cameraId, state }));
    return `event: cameras\ndata: ${JSON.stringify({ changed: changes.size, cameras, truncated: changes.size > MAX_NAMED })}\n\n`;
  }

  private send(textFor: string | ((visible: ((cameraId: string) => boolean) | undefined) => string | undefined)): void {
    for (const [c, visible] of this.clients) {
      const text = typeof textFor === 'string' ? textFor : textFor(visible);
      if (text === undefined) continue;
      // a stream whose socket buffer keeps growing belongs to a browser that went away without closing
      if (c.writableLength > 1024 * 1024) {
        c.destroy();
        this.clients.delete(c);
        continue;
      }
      c.write(text);
    }
    if (this.clients.size === 0 && this.beat) {
      clearInterval(this.beat);
      this.beat = undefined;
    }
  }
}
