import { describe, expect, it } from 'vitest';
import { nextReconnectDelay } from '../../platform/mqtt-client.js';

describe('reconnect backoff', () => {
  it('reconnect backoff: grows exponentially to the cap, with full jitter', () => {
    expect(nextReconnectDelay(0, 1000, 60_000, () => 0)).toBe(1000);
    expect(nextReconnectDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(nextReconnectDelay(30, 1000, 60_000, () => 1)).toBe(60_000);
    // a thousand gateways reconnecting after the same outage spread over the window
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = Array.from({ length: 1000 }, () => nextReconnectDelay(6, 1000, 60_000, rand));
    const buckets = new Array(8).fill(0);
    for (const d of delays) buckets[Math.min(7, Math.floor(((d - 1000) / (64_000 - 1000)) * 8))]++;
    expect(Math.max(...buckets)).toBeLessThan(200);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
  });
});
