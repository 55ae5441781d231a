import { tagOf, type SipRequest } from '../adapters/sip/message.js';
import { newTag } from '../adapters/sip/transactions.js';
import type { CatalogEvent } from './catalog.js';

/** catalog subscriptions one upper platform may hold at once (it needs one; more is a flood) */
export const MAX_SUBSCRIPTIONS = 4;
/** the shortest subscription granted (GB/T 28181 platforms ask for an hour or a day) */
const MIN_EXPIRES_S = 30;
const MAX_EXPIRES_S = 86_400;

/** A catalog subscription of the upper platform: the dialog our NOTIFYs go in. */
export interface Subscription {
  callId: string;
  /** the subscriber's From (with its tag): the To of our NOTIFYs */
  theirFrom: string;
  /** our tag, given in the 200 to the SUBSCRIBE */
  ourTag: string;
  /** the Event header as it came (Catalog;id=…): NOTIFYs echo it */
  event: string;
  /** where NOTIFYs are addressed (its Contact, else its From URI) */
  target: string;
  expiresAt: number;
  /** our CSeq in the dialog */
  cseq: number;
  /** the SN of its SUBSCRIBE body, for the NOTIFYs' SN */
  sn: number;
}

export type SubscribeOutcome = { kind: 'subscribed' | 'refreshed'; sub: Subscription; expires: number } | { kind: 'ended'; sub: Subscription | undefined } | { kind: 'refused'; status: number; reason: string };

/**
 * The catalog subscriptions of one upper platform (RFC 6665 as GB/T 28181
 * §9.11 uses it): made, refreshed and ended by SUBSCRIBE (Expires 0 ends),
 * forgotten when they expire; at most four at once.
 */
export class SubscriptionBook {
  private readonly subs = new Map<string, Subscription>();

  constructor(private readonly now: () => number) {}

  /** Applies a SUBSCRIBE whose Event is Catalog. */
  subscribe(req: SipRequest, sn: number): SubscribeOutcome {
    this.expire();
    const callId = req.headers.get('call-id')!;
    const raw = req.headers.get('expires');
    const asked = raw === undefined ? 3600 : Number(raw);
    if (!Number.isInteger(asked) || asked < 0) return { kind: 'refused', status: 400, reason: 'Bad Expires' };
    const held = this.subs.get(callId);
    if (asked === 0) {
      this.subs.delete(callId);
      return { kind: 'ended', sub: held };
    }
    // RFC 6665 §4.2.1.1: too short is 423 with the least we take
    if (asked < MIN_EXPIRES_S) return { kind: 'refused', status: 423, reason: 'Interval Too Brief' };
    const expires = Math.min(asked, MAX_EXPIRES_S);
    if (held) {
      held.expiresAt = this.now() + expires * 1000;
      held.sn = sn;
      return { kind: 'refreshed', sub: held, expires };
    }
    if (this.subs.size >= MAX_SUBSCRIPTIONS) return { kind: 'refused', status: 503, reason: 'Too Many Subscriptions' };
    const from = req.headers.get('from')!;
    if (tagOf(from) === undefined) return { kind: 'refused', status: 400, reason: 'From Without Tag' };
    const contact = req.headers.get('contact');
    const target = /<([^>]+)>/.exec(contact ?? from)?.[1] ?? req.uri;
    const sub: Subscription = { callId, theirFrom: from, ourTag: newTag(), event: req.headers.get('event') ?? 'Catalog', target, expiresAt: this.now() + expires * 1000, cseq: 0, sn };
    this.subs.set(callId, sub);
    return { kind: 'subscribed', sub, expires };
  }

  /** Forgets a subscription whose subscriber no longer holds it (a 481 to our NOTIFY). */
  forget(callId: string): void {
    this.subs.delete(callId);
  }

  /** Live subscriptions (expired ones are forgotten here). */
  active(): Subscription[] {
    this.expire();
    return [...this.subs.values()];
  }

  get size(): number {
    this.expire();
    return this.subs.size;
  }

  clear(): void {
    this.subs.clear();
  }

  private expire(): void {
    const t = this.now();
    for (const [k, s] of this.subs) if (s.expiresAt <= t) this.subs.delete(k);
  }
}

/** Whether an Event header is the catalog package (`Catalog`, `Catalog;id=1`). */
export function isCatalogEvent(event: string | undefined): boolean {
  return event !== undefined && /^catalog$/i.test(event.split(';')[0]!.trim());
}

/** The seconds left of a subscription, for Subscription-State. */
export function remainingSeconds(sub: Subscription, now: number): number {
  return Math.max(0, Math.round((sub.expiresAt - now) / 1000));
}

/** What waits to be notified of one camera; the latest wins, an ADD carries whatever came after it. */
export type PendingEvents = CatalogEvent[];

/** Adds an event to a camera's pending list (see PendingEvents); returns the list, or undefined when nothing remains to tell. */
export function mergePending(list: PendingEvents | undefined, event: CatalogEvent): PendingEvents | undefined {
  const held = list ?? [];
  if (event === 'DEL') return held.includes('ADD') ? undefined : ['DEL'];
  if (event === 'ADD') return ['ADD'];
  // the ADD's item is written when it is sent: it carries the latest name and status
  if (held.includes('ADD')) return held;
  const rest = held.filter((e) => e !== 'DEL' && (event === 'UPDATE' ? e !== 'UPDATE' : e === 'UPDATE'));
  return [...rest, event];
}

