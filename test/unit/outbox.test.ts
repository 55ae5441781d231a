import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../protocols/index.js';
import { Journal } from '../../agent/adapters/journal.js';
import type { MqttConnection } from '../../platform/mqtt-client.js';
import { Outbox, type OutboxRecord } from '../../agent/features/outbox.js';
import { lostRecordsOf } from '../../agent/features/lost-records.js';

/** A broker link we control: down until `up()`, acknowledging what it is given. */
function fakeLink() {
  const sent: Array<{ topic: string; payload: AgentEvent }> = [];
  const link = {
    connected: false,
    publish: (topic: string, payload: string) => {
      sent.push({ topic, payload: JSON.parse(payload) as AgentEvent });
      return Promise.resolve();
    },
  };
  return { link, sent, mqtt: link as unknown as MqttConnection };
}

const ev = (seq: number): AgentEvent => ({ type: 'state', session: 's1', seq, ts: new Date(seq * 1000).toISOString(), cameraId: `c${seq}`, from: 'online', to: 'offline', rung: 'rtsp', reason: 'rtsp_error' });

function outbox(file: string, max: number, mqtt: MqttConnection, seq: { n: number }) {
  return new Outbox({
    journal: new Journal<OutboxRecord>(file, 10),
    mqtt,
    log: pino({ level: 'silent' }),
    maxEvents: () => max,
    droppedEvent: (count, first, last) => ({
      topic: 'x/events',
      event: { type: 'events_dropped', session: 's1', seq: ++seq.n, ts: new Date(0).toISOString(), count, from: { session: first.session, seq: first.seq, ts: first.ts }, to: { session: last.session, seq: last.seq, ts: last.ts } },
    }),
  });
}

describe('outbox', () => {
  it('outbox: a full outbox drops the oldest and says exactly how many, from which to which', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ob-')), 'outbox.jsonl');
    const { link, sent, mqtt } = fakeLink();
    const seq = { n: 0 };
    const ob = outbox(file, 100, mqtt, seq);
    for (let i = 1; i <= 250; i++) {
      seq.n += 1;
      ob.push('x/events', ev(seq.n));
    }
    link.connected = true;
    ob.onConnect();
    await ob.flush(2000);
    const drops = sent.flatMap((s) => (s.payload.type === 'events_dropped' ? [s.payload] : []));
    const kept = sent.filter((s) => s.payload.type === 'state').map((s) => s.payload.seq);
    const pushed = Array.from({ length: seq.n }, (_, i) => i + 1).filter((n) => !drops.some((d) => d.seq === n));
    const lost = pushed.filter((n) => !kept.includes(n));
    expect(lost.length + kept.length).toBe(250);
    // 250 events through an outbox of 100: some were dropped, and said so (with nothing lost, every check below would hold on empty lists)
    expect(drops.length).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThanOrEqual(250 - 100);
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(lost.length);
    expect(ob.dropped).toBe(lost.length);
    // the oldest went: the lost are the first of the pushed, the kept the rest
    expect(lost).toEqual(pushed.slice(0, lost.length));
    expect(kept).toEqual(pushed.slice(lost.length));
    // every one that went is named by exactly one notice, and a notice names only events that went
    for (const n of lost) expect(drops.filter((d) => n >= d.from.seq && n <= d.to.seq), `seq ${n}`).toHaveLength(1);
    for (const d of drops) expect(lost.filter((n) => n >= d.from.seq && n <= d.to.seq)).toHaveLength(d.count);
    // replayed after the outage: historical, in order
    expect(sent.every((s) => s.payload.historical === true)).toBe(true);
    const seqs = sent.map((s) => s.payload.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    ob.close();
  });

  it('outbox: what was not acknowledged survives a restart; what was, does not come back', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ob-')), 'outbox.jsonl');
    const a = fakeLink();
    const seq = { n: 0 };
    const ob1 = outbox(file, 1000, a.mqtt, seq);
    for (let i = 1; i <= 5; i++) ob1.push('x/events', ev(++seq.n));
    a.link.connected = true;
    ob1.onConnect();
    await ob1.flush(1000);
    a.link.connected = false;
    for (let i = 6; i <= 8; i++) ob1.push('x/events', ev(++seq.n));
    ob1.close(); // the process ends during an outage

    const b = fakeLink();
    const ob2 = outbox(file, 1000, b.mqtt, { n: 0 });
    expect(ob2.pending).toBe(3);
    b.link.connected = true;
    ob2.onConnect();
    await ob2.flush(1000);
    expect(b.sent.map((s) => [s.payload.seq, s.payload.historical])).toEqual([
      [6, true],
      [7, true],
      [8, true],
    ]);
    expect(ob2.pending).toBe(0);
    ob2.close();
  });

  it('outbox: a line torn by a crash is skipped, the rest loads', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ob-')), 'outbox.jsonl');
    const j = new Journal<OutboxRecord>(file, 10);
    j.add({ topic: 't', event: ev(1) });
    j.add({ topic: 't', event: ev(2) });
    j.close();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, `${text}{"add":3,"v":{"topic":"t","ev`);
    const again = new Journal<OutboxRecord>(file, 10);
    expect(again.entries().map((e) => e.value.event.seq)).toEqual([1, 2]);
    again.close();
  });

  it('outbox: after a torn last line, the next record written is not lost: the file is cut back on open and says how much', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ob-')), 'outbox.jsonl');
    const j = new Journal<OutboxRecord>(file, 10);
    j.add({ topic: 't', event: ev(1) });
    j.close();
    const torn = '{"add":2,"v":{"topic":"t","ev';
    writeFileSync(file, `${readFileSync(file, 'utf8')}${torn}`);
    // the restart after the crash: it writes a new record
    const restarted = new Journal<OutboxRecord>(file, 10);
    expect(restarted.recovered).toMatchObject({ tornBytes: torn.length, badLines: 0, fragments: [{ torn: true, text: torn }] });
    expect(restarted.recovered.writtenAt).toBeGreaterThan(0);
    restarted.add({ topic: 't', event: ev(3) });
    restarted.close();
    // the next load has both whole records
    const later = new Journal<OutboxRecord>(file, 10);
    expect(later.entries().map((e) => e.value.event.seq)).toEqual([1, 3]);
    expect(later.recovered).toEqual({ tornBytes: 0, badLines: 0, fragments: [], writtenAt: 0 });
    later.close();
  });

  it('outbox: what a crash tore or damaged is named by its session and seq when legible, counted when not; a torn acknowledgement loses nothing', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xl-ob-')), 'outbox.jsonl');
    const mqtt = fakeLink().mqtt;
    const ob = outbox(file, 100, mqtt, { n: 0 });
    for (const n of [1, 2, 3]) ob.push('x/agents/gw/events', ev(n));
    ob.close();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // the event is written first in its record: its session and seq are in the first hundred bytes
    expect(lines[2]!.indexOf('"seq":3')).toBeLessThan(100);
    const cutAt = (line: string, before: string) => line.slice(0, line.indexOf(before));
    const cases: Array<[string, string, unknown]> = [
      ['torn after its seq and time', cutAt(lines[2]!, '"cameraId"'), [{ cause: 'torn_record', count: 1, events: [{ session: 's1', seq: 3, ts: ev(3).ts, type: 'state' }] }]],
      ['torn inside its seq', cutAt(lines[2]!, '"seq":3') + '"seq":', [{ cause: 'torn_record', count: 1, events: [] }]],
      ['torn before its session', lines[2]!.slice(0, 12), [{ cause: 'torn_record', count: 1, events: [] }]],
      ['a torn acknowledgement', '{"ack":', []],
      ['too short to tell', '{"', [{ cause: 'torn_record', count: 1, events: [] }]],
    ];
    for (const [what, tail, expected] of cases) {
      writeFileSync(file, `${lines.slice(0, 2).join('\n')}\n${tail}`);
      const j = new Journal<OutboxRecord>(file, 10);
      expect(lostRecordsOf(j.recovered.fragments), what).toEqual(expected);
      expect(j.entries().map((e) => e.value.event.seq), what).toEqual([1, 2]);
      j.close();
    }
    // a damaged line in the middle: unreadable, named all the same
    writeFileSync(file, `${lines[0]}\n${lines[1]!.slice(0, -3)}\n${lines[2]}\n`);
    const j = new Journal<OutboxRecord>(file, 10);
    expect(lostRecordsOf(j.recovered.fragments)).toEqual([{ cause: 'unreadable_record', count: 1, events: [{ session: 's1', seq: 2, ts: ev(2).ts, type: 'state', cameraId: 'c2' }] }]);
    // more damaged lines than the journal keeps the start of: those are counted all the same
    expect(lostRecordsOf(j.recovered.fragments, 3)[0]).toMatchObject({ cause: 'unreadable_record', count: 4 });
    j.close();
  });
});
