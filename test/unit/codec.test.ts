import { describe, expect, it } from 'vitest';
import { decode, KINDS, parseTopic, topics, type TopicKind } from '../../protocols/index.js';

const t = topics();

describe('topic codec', () => {
  it('codec: every topic the builders make parses back to its kind and segments, and every kind has a builder', () => {
    const built: Array<[string, object]> = [
      [t.agentState('gw-1'), { kind: 'agentState', agentId: 'gw-1' }],
      [t.cameraStatus('gw-1', 'c1'), { kind: 'cameraStatus', agentId: 'gw-1', cameraId: 'c1' }],
      [t.cameraFrame('gw-1', 'c1'), { kind: 'cameraFrame', agentId: 'gw-1', cameraId: 'c1' }],
      [t.events('gw-1'), { kind: 'events', agentId: 'gw-1' }],
      [t.summary('gw-1'), { kind: 'summary', agentId: 'gw-1' }],
      [t.round('gw-1'), { kind: 'round', agentId: 'gw-1' }],
      [t.request('gw-1', 'check'), { kind: 'request', agentId: 'gw-1', command: 'check' }],
      [t.response('gw-1', 'check'), { kind: 'response', agentId: 'gw-1', command: 'check' }],
      [t.configDesired('gw-1'), { kind: 'configDesired', agentId: 'gw-1' }],
      [t.configReported('gw-1'), { kind: 'configReported', agentId: 'gw-1' }],
      [t.groupConfigDesired('east'), { kind: 'groupConfigDesired', group: 'east' }],
      [t.rates('330106'), { kind: 'rates', region: '330106' }],
      [t.report('all', 'month'), { kind: 'report', region: 'all', period: 'month' }],
      [t.alertEvents(), { kind: 'alertEvents' }],
      [t.alertActive('al-1'), { kind: 'alertActive', alertId: 'al-1' }],
      [t.maintenance('mw-1'), { kind: 'maintenance', windowId: 'mw-1' }],
      [t.cascadeRollup('county'), { kind: 'cascadeRollup', tier: 'county' }],
      [t.cascadeState('county'), { kind: 'cascadeState', tier: 'county' }],
    ];
    for (const [topic, parsed] of built) expect(parseTopic(t.root, topic), topic).toEqual(parsed);
    expect(new Set(built.map(([, p]) => (p as { kind: TopicKind }).kind))).toEqual(new Set(Object.keys(KINDS)));
  });

  it('codec: topics that are not ours, or one level off, are not parsed', () => {
    for (const topic of [`${t.root}x/agents/gw/state`, `${t.root}/agents/gw/state/more`, `${t.root}/agents//state`, `${t.root}/rates`, `${t.root}/reports/all/week`, `${t.root}/cascade/c/other`, 'elsewhere/agents/gw/state', t.root]) {
      expect(parseTopic(t.root, topic), topic).toBeUndefined();
    }
  });

  it('codec: decode refuses with a reason: unknown topic, kinds not taken, bad ids, size, empty, JSON, schema, topic and payload disagreeing', () => {
    const d = (topic: string, payload: string, opts = {}) => decode(t.root, topic, Buffer.from(payload), opts);
    expect(d(`${t.root}/nowhere`, '{}')).toMatchObject({ ok: false, reason: 'unknown_topic' });
    expect(d(t.events('gw'), '{}', { accept: new Set(['agentState']) })).toMatchObject({ ok: false, reason: 'not_accepted', kind: 'events' });
    expect(d(t.cameraStatus('gw', 'c#1'), '{}')).toMatchObject({ ok: false, reason: 'bad_id' });
    expect(d(t.events('gw'), 'x'.repeat(2000), { maxBytes: 1024 })).toMatchObject({ ok: false, reason: 'too_large', detail: '2000 bytes' });
    expect(d(t.events('gw'), 'x'.repeat(2000), { maxBytes: (k: TopicKind) => (k === 'events' ? undefined : 10) })).toMatchObject({ ok: false, reason: 'not_json' });
    expect(d(t.events('gw'), '')).toMatchObject({ ok: false, reason: 'empty' });
    expect(d(t.events('gw'), '{')).toMatchObject({ ok: false, reason: 'not_json' });
    const schema = d(t.agentState('gw'), '{"state":"online"}');
    expect(schema).toMatchObject({ ok: false, reason: 'schema' });
    expect(schema.ok === false && schema.issues!.map((i) => i.path)).toEqual(expect.arrayContaining(['session']));
    expect(d(t.cascadeState('a'), '{"state":"online","tier":"b"}')).toMatchObject({ ok: false, reason: 'id_mismatch' });
  });

  it('codec: an empty payload clears a retained topic (null), stands for {} where the contract says so, and raw topics come as bytes', () => {
    const d = (topic: string, payload: string) => decode(t.root, topic, Buffer.from(payload));
    expect(d(t.cameraStatus('gw', 'c1'), '')).toEqual({ ok: true, value: { kind: 'cameraStatus', topic: { kind: 'cameraStatus', agentId: 'gw', cameraId: 'c1' }, message: null } });
    expect(d(t.request('gw', 'check'), '')).toMatchObject({ ok: true, value: { kind: 'request', message: {} } });
    const raw = d(t.rates('all'), 'anything at all');
    expect(raw.ok && raw.value.message).toEqual(Buffer.from('anything at all'));
    // a maintenance window takes its id from its topic
    const w = d(t.maintenance('mw-9'), JSON.stringify({ id: 'x', scope: 'agent', target: 'gw', from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }));
    expect(w.ok && w.value.kind === 'maintenance' && w.value.message?.id).toBe('mw-9');
  });
});

describe('topic segments', () => {
  it("codec: the hot path's id test agrees with the contract's topicSegment schema", async () => {
    const { isTopicSegment, topicSegment } = await import('../../protocols/index.js');
    const samples = ['gw-1', 'c1', 'a'.repeat(128), 'a'.repeat(129), '', '-lead', '_x', 'x:y.z-1', 'c#1', 'c+1', 'with space', 'ünï', 'a/b', '0', 'Z9_:.-'];
    for (const s of samples) expect(isTopicSegment(s), s).toBe(topicSegment.safeParse(s).success);
  });
});
