import { describe, expect, it } from 'vitest';
import { ChainVerifier, type AuditRecord } from '../../aggregator/audit/chain.js';
import { AuditTrail } from '../../aggregator/audit/trail.js';
import { ChangeList } from '../../aggregator/store/changes.js';

const trail = (n: number, start = 1_000) => {
  const changes = new ChangeList();
  let t = start;
  const a = new AuditTrail({ changes, now: () => (t += 1000) });
  for (let i = 0; i < n; i++) a.record({ actor: 'token', source: '127.0.0.1', userAgent: 'test' }, 'plan.replace', 'plan', { points: i });
  return changes.of('audit').map((c) => c.record);
};
const verify = (rs: AuditRecord[]) => {
  const v = new ChainVerifier();
  for (const r of rs) v.add(r);
  return v.result();
};

describe('audit chain', () => {
  it('audit chain: records chain from the genesis; an intact trail verifies', () => {
    const rs = trail(5);
    expect(rs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rs[1]!.prevHash).toBe(rs[0]!.hash);
    expect(verify(rs)).toEqual({ ok: true, records: 5, lastSeq: 5 });
    // pruned by retention: the chain is checked from the first record kept
    expect(verify(rs.slice(2))).toEqual({ ok: true, records: 3, lastSeq: 5 });
  });

  it('audit chain: an edited record, a deleted one, a replaced one are each found, by number', () => {
    const rs = trail(5);
    expect(verify(rs.map((r) => (r.seq === 3 ? { ...r, detail: '{"points":99}' } : r)))).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/edited/) });
    expect(verify(rs.filter((r) => r.seq !== 3))).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/3 are missing/) });
    // a record made apart (another trail), hashing right on its own: it does not follow record 2
    const forged = trail(5, 7_000)[2]!;
    expect(verify(rs.map((r) => (r.seq === 3 ? forged : r)))).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/does not follow/) });
    expect(verify(rs.filter((r) => r.seq !== 1))).toMatchObject({ ok: true });
  });

  it('audit chain: the trail restores its head and goes on from it; long fields are clipped, never a secret field exists', () => {
    const changes = new ChangeList();
    const a = new AuditTrail({ changes, now: () => 5 });
    const first = trail(2);
    a.restore({ seq: 2, hash: first[1]!.hash });
    const r = a.record({ actor: 'x'.repeat(500), source: '::1', userAgent: 'ua' }, 'camera.release', 'c1');
    expect(r.seq).toBe(3);
    expect(r.actor.length).toBe(200);
    expect(verify([...first, r])).toMatchObject({ ok: true, records: 3 });
  });
});

describe('audit refusals', () => {
  it('audit refusals: the first refusal from an address is recorded, the next within 10 s only counted; the record after says how many it stands for', async () => {
    const { RefusalCounter } = await import('../../aggregator/audit/refusals.js');
    const r = new RefusalCounter();
    expect(r.note('10.0.0.1', 0)).toBe(0);
    expect(r.note('10.0.0.1', 1000)).toBeUndefined();
    expect(r.note('10.0.0.1', 9999)).toBeUndefined();
    expect(r.note('10.0.0.2', 5000)).toBe(0);
    expect(r.note('10.0.0.1', 10_000)).toBe(2);
    expect(r.note('10.0.0.1', 30_000)).toBe(0);
    // bounded: a thousand other addresses push the oldest out
    for (let i = 0; i < 1000; i++) r.note(`a${i}`, 40_000);
    expect(r.note('10.0.0.2', 40_001)).toBe(0);
  });
});
