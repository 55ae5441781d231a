import { describe, expect, it } from 'vitest';
import { SipHeaders, type SipRequest } from '../../aggregator/adapters/sip/message.js';
import { isCatalogEvent, remainingSeconds, SubscriptionBook } from '../../aggregator/gb28181/subscriptions.js';

const subscribe = (callId: string, expires?: string, tag: string | null = 'up1'): SipRequest => {
  const h = new SipHeaders()
    .add('Via', 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa')
    .add('From', `<sip:34020000002000000001@3402000000>${tag ? `;tag=${tag}` : ''}`)
    .add('To', '<sip:33010600002000000001@3402000000>')
    .add('Call-ID', callId)
    .add('CSeq', '1 SUBSCRIBE')
    .add('Contact', '<sip:34020000002000000001@127.0.0.1:5060>')
    .add('Event', 'Catalog;id=7');
  if (expires !== undefined) h.add('Expires', expires);
  return { kind: 'request', method: 'SUBSCRIBE', uri: 'sip:33010600002000000001@3402000000', headers: h, body: Buffer.alloc(0) };
};

describe('gb28181: catalog subscriptions', () => {
  it('gb28181: subscribe, refresh (same Call-ID), expire, and end with Expires 0', () => {
    let now = 0;
    const book = new SubscriptionBook(() => now);
    const a = book.subscribe(subscribe('a', '60'), 5);
    expect(a).toMatchObject({ kind: 'subscribed', expires: 60 });
    if (a.kind !== 'subscribed') return;
    expect(a.sub).toMatchObject({ target: 'sip:34020000002000000001@127.0.0.1:5060', event: 'Catalog;id=7', sn: 5 });
    now = 50_000;
    expect(remainingSeconds(a.sub, now)).toBe(10);
    expect(book.subscribe(subscribe('a', '60'), 6)).toMatchObject({ kind: 'refreshed' });
    now = 100_000;
    expect(book.size).toBe(1);
    now = 111_000;
    expect(book.size).toBe(0);
    book.subscribe(subscribe('b'), 1);
    expect(book.active()[0]!.expiresAt).toBe(now + 3_600_000);
    expect(book.subscribe(subscribe('b', '0'), 1)).toMatchObject({ kind: 'ended' });
    expect(book.size).toBe(0);
  });

  it('gb28181: too short is 423, a bad Expires or a From without a tag is 400, a fifth subscription is 503', () => {
    const book = new SubscriptionBook(() => 0);
    expect(book.subscribe(subscribe('a', '10'), 1)).toMatchObject({ kind: 'refused', status: 423 });
    expect(book.subscribe(subscribe('a', 'soon'), 1)).toMatchObject({ kind: 'refused', status: 400 });
    expect(book.subscribe(subscribe('a', '60', null), 1)).toMatchObject({ kind: 'refused', status: 400 });
    for (const id of ['1', '2', '3', '4']) expect(book.subscribe(subscribe(id, '600'), 1).kind).toBe('subscribed');
    expect(book.subscribe(subscribe('5', '600'), 1)).toMatchObject({ kind: 'refused', status: 503 });
    expect(isCatalogEvent('catalog;id=1')).toBe(true);
    expect(isCatalogEvent('Alarm')).toBe(false);
    expect(isCatalogEvent(undefined)).toBe(false);
  });
});
