import { randomBytes } from 'node:crypto';
import { branchOf, cseqOf, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import type { SipPeer } from './transport.js';

/** RFC 3261 §17.1.2 timers: T1 the round-trip estimate, T2 the longest retransmit interval; a transaction ends after 64 × T1 */
export interface SipTimers {
  t1Ms: number;
  t2Ms: number;
}
export const RFC_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000 };

export class SipTimeoutError extends Error {
  readonly code = 'SIP_TIMEOUT';
}

/** A branch as RFC 3261 wants it: the magic cookie, then something unique. */
export const newBranch = () => `z9hG4bK${randomBytes(8).toString('hex')}`;
export const newTag = () => randomBytes(6).toString('hex');

/** server transactions remembered (answered again when the request is retransmitted) */
const MAX_SERVER_TRANSACTIONS = 4096;

interface ClientTx {
  method: string;
  resolve: (r: SipResponse) => void;
  reject: (e: Error) => void;
  timers: NodeJS.Timeout[];
}

interface ServerTx {
  at: number;
  response: SipResponse | undefined;
  peer: SipPeer;
}

/**
 * Non-INVITE transactions, both sides (RFC 3261 §17.1.2, §17.2.2): a request
 * we send is retransmitted over UDP (T1, doubling to T2) until a final
 * response or 64 × T1; a request we receive again (same branch and method) is
 * answered with the response already given, or ignored while it is being
 * worked on. INVITE is answered as a non-INVITE (we only refuse them) and its
 * ACK is absorbed.
 */
export class SipTransactions {
  private readonly client = new Map<string, ClientTx>();
  private readonly server = new Map<string, ServerTx>();

  constructor(
    private readonly deps: {
      send: (m: SipMessage, to: SipPeer) => boolean;
      now: () => number;
      timers?: SipTimers;
      /** a request that is not a retransmission: answer it with `respond` (once) */
      onRequest: (req: SipRequest, from: SipPeer, respond: (res: SipResponse) => void) => void;
      /** a response no transaction of ours waits for */
      onStray?: (res: SipResponse, from: SipPeer) => void;
    },
  ) {}

  private get timers(): SipTimers {
    return this.deps.timers ?? RFC_TIMERS;
  }

  /** Sends a request (its top Via carries a fresh branch) and resolves with its final response, or rejects after 64 × T1. */
  request(req: SipRequest, to: SipPeer): Promise<SipResponse> {
    const branch = branchOf(req);
    if (!branch) return Promise.reject(new Error('a request needs a Via branch'));
    const { t1Ms, t2Ms } = this.timers;
    return new Promise<SipResponse>((resolve, reject) => {
      const tx: ClientTx = { method: req.method, resolve, reject, timers: [] };
      const key = `${branch}|${req.method}`;
      this.client.set(key, tx);
      const end = () => {
        for (const t of tx.timers) clearTimeout(t);
        this.client.delete(key);
      };
      tx.resolve = (r) => {
        end();
        resolve(r);
      };
      tx.reject = (e) => {
        end();
        reject(e);
      };
      if (!this.deps.send(req, to)) return tx.reject(new Error('could not send'));
      if (to.transport === 'udp') {
        let interval = t1Ms;
        const again = () => {
          if (!this.client.has(key)) return;
          this.deps.send(req, to);
          interval = Math.min(interval * 2, t2Ms);
          tx.timers[0] = setTimeout(again, interval);
        };
        tx.timers[0] = setTimeout(again, interval);
      }
      tx.timers[1] = setTimeout(() => tx.reject(new SipTimeoutError(`no final answer to ${req.method} within ${(64 * t1Ms) / 1000} s`)), 64 * t1Ms);
    });
  }

  /** Takes every message the endpoint read. */
  receive(m: SipMessage, from: SipPeer): void {
    if (m.kind === 'response') {
      const key = `${branchOf(m) ?? ''}|${cseqOf(m)?.method ?? ''}`;
      const tx = this.client.get(key);
      if (!tx) return this.deps.onStray?.(m, from);
      // a provisional answer: the request arrived; only a final one ends the transaction
      if (m.status >= 200) tx.resolve(m);
      return;
    }
    // an ACK to our refusal of an INVITE ends that transaction: nothing to answer
    if (m.method === 'ACK') return;
    const key = `${branchOf(m) ?? `${m.headers.get('call-id')}|${m.headers.get('cseq')}`}|${m.method}|${from.address}:${from.port}`;
    const held = this.server.get(key);
    if (held) {
      if (held.response) this.deps.send(held.response, from);
      return;
    }
    this.expire();
    const tx: ServerTx = { at: this.deps.now(), response: undefined, peer: from };
    this.server.set(key, tx);
    this.deps.onRequest(m, from, (res) => {
      if (tx.response) return;
      tx.response = res;
      this.deps.send(res, from);
    });
  }

  private expire(): void {
    const before = this.deps.now() - 64 * this.timers.t1Ms;
    for (const [k, tx] of this.server) {
      if (tx.at >= before && this.server.size < MAX_SERVER_TRANSACTIONS) break;
      this.server.delete(k);
    }
  }

  /** Ends every waiting request (at stop). */
  close(): void {
    for (const tx of [...this.client.values()]) tx.reject(new Error('stopped'));
  }
}
