/** What ingest accepted and refused, by kind and reason: /api/ingest and /metrics. */
export interface IngestStats {
  accepted: Record<string, number>;
  rejected: Record<string, number>;
  duplicates: number;
  gapsDetected: number;
  /** agent sessions whose gap tracking was dropped to keep SESSIONS_PER_AGENT per agent */
  sessionsForgotten: number;
}

/** topics a refusal is counted under, at most; beyond, they share one line */
const MAX_REFUSED_TOPICS = 1000;

/** The counters of ingest, bounded whatever a client sends. */
export class IngestCounters {
  readonly stats: IngestStats = { accepted: {}, rejected: {}, duplicates: 0, gapsDetected: 0, sessionsForgotten: 0 };
  /** topics on which a gateway spoke for another gateway's camera, with counts (bounded) */
  readonly refusedTopics = new Map<string, number>();

  accept(kind: string, n = 1): void {
    this.stats.accepted[kind] = (this.stats.accepted[kind] ?? 0) + n;
  }

  reject(reason: string): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /** Counts a refusal under its topic; beyond MAX_REFUSED_TOPICS topics they share one line. */
  refusedOn(topic: string): void {
    const key = this.refusedTopics.has(topic) || this.refusedTopics.size < MAX_REFUSED_TOPICS ? topic.slice(0, 300) : '(other topics)';
    this.refusedTopics.set(key, (this.refusedTopics.get(key) ?? 0) + 1);
  }
}
