import { isTopicSegment, type AgentEvent } from '../../protocols/index.js';

type Lost = Extract<AgentEvent, { type: 'events_lost' }>;
/** What an events_lost event says, before it gets its place in the session. */
export type LostRecords = Pick<Lost, 'cause' | 'count' | 'events'>;

const ACK = '{"ack":';

/**
 * What the outbox journal lost, from the starts of the records it could not
 * read back (Journal.recovered): a torn or damaged `add` record is a lost
 * event, named by the session and seq still legible in it (the event comes
 * first in a record, so a few dozen bytes name it); a torn acknowledgement
 * loses nothing (the event goes out again and the centre drops the twin).
 * A start too short to tell an add from an ack counts as a loss: a loss
 * reported that was not beats one that was and is not.
 */
export function lostRecordsOf(fragments: ReadonlyArray<{ torn: boolean; text: string }>, unkeptBadLines = 0): LostRecords[] {
  const out: LostRecords[] = [];
  for (const cause of ['torn_record', 'unreadable_record'] as const) {
    const mine = fragments.filter((f) => f.torn === (cause === 'torn_record') && !isAck(f.text));
    // damaged lines beyond those the journal kept the start of: unread, each counted as a loss
    const unread = cause === 'unreadable_record' ? unkeptBadLines : 0;
    if (mine.length + unread === 0) continue;
    const events = mine.map((f) => nameOf(f.text)).filter((e): e is LostRecords['events'][number] => e !== undefined);
    out.push({ cause, count: mine.length + unread, events: events.slice(0, 100) });
  }
  return out;
}

function isAck(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith(ACK) || (t.length < ACK.length && ACK.startsWith(t) && !'{"add":'.startsWith(t));
}

const field = (text: string, name: string, value: string) => new RegExp(`"${name}":${value}`).exec(text)?.[1];

/** The event's session and seq, and what else is legible of it; undefined when its session or seq is not. */
function nameOf(text: string): LostRecords['events'][number] | undefined {
  const at = text.indexOf('"event":{');
  if (at < 0) return undefined;
  const body = text.slice(at);
  const session = field(body, 'session', '"([^"\\\\]{1,128})"');
  const seqText = field(body, 'seq', '(\\d{1,15})[,}]');
  if (session === undefined || seqText === undefined) return undefined;
  const seq = Number(seqText);
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  const ts = field(body, 'ts', '"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z)"');
  const type = field(body, 'type', '"([a-z_]{1,64})"');
  const cameraId = field(body, 'cameraId', '"([^"\\\\]{1,128})"');
  return { session, seq, ...(ts ? { ts } : {}), ...(type ? { type } : {}), ...(cameraId && isTopicSegment(cameraId) ? { cameraId } : {}) };
}
