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
    let now = Date.parse('2026-12-02T12:00:00Z');
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
      now: () => now,
      regions: () => [],
      stored: async () => {
        order.push('stored');
      },
      read: async () => {
        order.push('read');
        return {} as never;
      },
      report: async () => {
        order.push('report');
        now += 3000; // each report takes three seconds
        return { v: version } as unknown as Report;
      },
      log: pino({ level: 'silent' }),
    });
    expect(await p.tick()).toBe(2); // yesterday and last month, for the whole
    expect(order).toEqual(['stored', 'read', 'report', 'stored', 'read', 'report']);
    expect(await p.tick()).toBe(0); // nothing changed
    version = 1;
    p.noteBindingChanged();
    // a pass over a period took 3 s: it is not walked again within 30 s of its start (a burst of bindings is one
    // report more, not one a check)
    now += 20_000;
    expect(await p.tick()).toBe(0);
    now += 10_000;
    expect(await p.tick()).toBe(2);
    expect(published.map((x) => `${x.topic.split('/').slice(-1)[0]}:${x.version}`)).toEqual(['day:0', 'month:0', 'day:1', 'month:1']);
  });
});
