import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';

/** One record the journal keeps until it is acknowledged. */
export interface JournalEntry<T> {
  id: number;
  value: T;
}

/** lost records whose start is kept for the owner to read, and how much of each */
const FRAGMENTS = 100;
const FRAGMENT_BYTES = 512;

type Line<T> = { add: number; v: T } | { ack: number };

/**
 * An append-only file of JSON lines: `add` records and `ack` records. Writes
 * are buffered by the OS and fsync'ed at most every `syncMs` (group fsync);
 * the file is rewritten with only the pending records when it has grown
 * mostly acknowledged. A torn last line (crash mid-write) is cut off on open,
 * and `recovered` says how much was dropped.
 */
export class Journal<T> {
  private fd: number;
  private nextId = 1;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private linesSinceCompact = 0;
  private readonly pending = new Map<number, T>();

  constructor(
    readonly file: string,
    private readonly syncMs: number,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.load();
    this.fd = openSync(file, 'a');
  }

  /**
   * What opening the file had to drop: a record torn by a crash mid-write,
   * lines that were not records; `fragments` keeps the start of each (at most
   * FRAGMENTS of FRAGMENT_BYTES) so that the owner can tell what was lost, and
   * `writtenAt` is when the file was last written (its mtime): when the torn
   * record was being written.
   */
  readonly recovered: { tornBytes: number; badLines: number; fragments: Array<{ torn: boolean; text: string }>; writtenAt: number } = { tornBytes: 0, badLines: 0, fragments: [], writtenAt: 0 };

  private load(): void {
    if (!existsSync(this.file)) return;
    const buf = readFileSync(this.file);
    const keep = (torn: boolean, text: string) => {
      if (this.recovered.fragments.length < FRAGMENTS) this.recovered.fragments.push({ torn, text: text.slice(0, FRAGMENT_BYTES) });
    };
    // a crash mid-write leaves a last line without its newline: cut the file back to the last whole
    // record, or the next append would be glued to the fragment and both lost at the next load
    const end = buf.lastIndexOf(0x0a) + 1;
    if (end < buf.length) {
      this.recovered.tornBytes = buf.length - end;
      this.recovered.writtenAt = statSync(this.file).mtimeMs;
      keep(true, buf.subarray(end).toString('utf8'));
      truncateSync(this.file, end);
    }
    for (const raw of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (!raw) continue;
      let line: Line<T>;
      try {
        line = JSON.parse(raw) as Line<T>;
      } catch {
        this.recovered.badLines += 1;
        this.recovered.writtenAt ||= statSync(this.file).mtimeMs;
        keep(false, raw);
        continue;
      }
      if ('add' in line) {
        this.pending.set(line.add, line.v);
        this.nextId = Math.max(this.nextId, line.add + 1);
      } else if ('ack' in line) {
        this.pending.delete(line.ack);
      }
      this.linesSinceCompact += 1;
    }
  }

  /** Pending records, oldest first. */
  entries(): Array<JournalEntry<T>> {
    return [...this.iterate()];
  }

  /** Pending records, oldest first, without copying them all (for walks that stop early). */
  *iterate(): Generator<JournalEntry<T>> {
    for (const [id, value] of this.pending) yield { id, value };
  }

  /** The id the next add() will get: ids grow with time, across restarts. */
  get nextIdValue(): number {
    return this.nextId;
  }

  get size(): number {
    return this.pending.size;
  }

  add(value: T): number {
    const id = this.nextId++;
    this.pending.set(id, value);
    this.write({ add: id, v: value });
    return id;
  }

  ack(id: number): void {
    if (!this.pending.delete(id)) return;
    this.write({ ack: id });
  }

  private write(line: Line<T>): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.linesSinceCompact += 1;
    this.dirty = true;
    this.timer ??= setTimeout(() => this.sync(), this.syncMs);
    if (this.linesSinceCompact > 10_000 && this.linesSinceCompact > 4 * this.pending.size) this.compact();
  }

  /** fsync now (the timer does it at most `syncMs` after a write). */
  sync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  /** Rewrites the file with only pending records: write a temp file, fsync, rename. */
  compact(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const body = [...this.pending].map(([id, v]) => JSON.stringify({ add: id, v })).join('\n');
      writeSync(fd, body ? `${body}\n` : '');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    closeSync(this.fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.linesSinceCompact = this.pending.size;
    this.dirty = false;
  }

  close(): void {
    this.sync();
    closeSync(this.fd);
  }
}
