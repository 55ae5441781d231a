import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ReportPublisher } from '../../aggregator/features/report-publisher.js';
import type { Report } from '../../aggregator/features/report.js';

// The retained report of a closed period must end up saying what the API says: it is read only after what was
// applied is stored, and published again when a camera's binding changes (not only on events inside it).
describe('report publisher', () => {
  it('report publisher: stores before it reads, and publishes a closed month again after a camera was bound', async () => {
    const order: string[] = [];
    let version = 0;
    const published: Array<{ topic: string; version: number }> = [];
    const mqtt = {
      connected: true,
      publish: async (topic: string, payload: string) => {
        published.push({ topic, version: (JSON.parse(payload) as { v: number }).v });
      },
    };
    const p = new ReportPublisher({
      mqtt: mqtt as never,
      topicRoot: 'xueliang',
      timeZone: 'UTC',
      intervalMs: 60_000,
      now: () => Date.parse('2026-12-02T12:00:00Z'),
      regions: () => [],
      stored: async () => {
        order.push('stored');
      },
      report: async () => {
        order.push('read');
        return { v: version } as unknown as Report;
      },
      log: pino({ level: 'silent' }),
    });
    expect(await p.tick()).toBe(2); // yesterday and last month, for the whole
    expect(order).toEqual(['stored', 'read', 'stored', 'read']);
    expect(await p.tick()).toBe(0); // nothing changed
    version = 1;
    p.noteBindingChanged();
    expect(await p.tick()).toBe(2);
    expect(published.map((x) => `${x.topic.split('/').slice(-1)[0]}:${x.version}`)).toEqual(['day:0', 'month:0', 'day:1', 'month:1']);
  });
});
