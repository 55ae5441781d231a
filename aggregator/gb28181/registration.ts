import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { authorization, parseChallenge } from '../adapters/sip/digest.js';
import { headerParams, type SipRequest, type SipResponse } from '../adapters/sip/message.js';
import { newTag } from '../adapters/sip/transactions.js';
import { outgoingRequest, theirUri, type UpstreamAddress } from './sip-dialog.js';

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

/** the longest wait between registration attempts while the upper platform is away or refuses us */
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_MIN_MS = 1000;

export class RegisterError extends Error {
  constructor(
    message: string,
    /** the upper platform refused our credentials: worth an operator's look, not only a retry */
    readonly code: 'GB_AUTH_REFUSED' | 'GB_REGISTER_FAILED',
  ) {
    super(message);
  }
}

/**
 * Our registration with one upper platform (GB/T 28181 §9.1, as WVP does
 * it): REGISTER, the Digest challenge (401) answered with our id and
 * password, refreshed before `expires` ends; on a refusal or silence, again
 * after a backoff that doubles to a minute with jitter. `again()` registers
 * at once (the platform forgot us: a 404 to a MESSAGE, keepalives lost).
 */
export class Registration {
  state: RegistrationState = 'unregistered';
  /** when the current registration began */
  since: number | null = null;
  lastError: string | null = null;
  /** how many times a registration succeeded */
  count = 0;
  /** the X-GB-Ver the upper platform answered with, when it did */
  peerVersion: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private cseq = 0;
  private readonly callId = `${randomBytes(10).toString('hex')}`;
  private readonly fromTag = newTag();
  private running = false;
  private inFlight: Promise<void> | undefined;
  /** we say X-GB-Ver 3.0 (the 2022 revision) until a platform refuses a REGISTER that carries it */
  private sayVersion = true;

  constructor(
    private readonly deps: {
      address: () => UpstreamAddress;
      password: () => string;
      request: (req: SipRequest) => Promise<SipResponse>;
      now: () => number;
      random: () => number;
      log: Logger;
      /** registered (again): keepalives start */
      onRegistered: () => void;
      /** no longer registered: keepalives stop */
      onLost: () => void;
    },
  ) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Registers again at once (unless an attempt is under way). */
  again(why: string): void {
    if (!this.running || this.inFlight) return;
    this.deps.log.warn({ why }, 'registering with the upper platform again');
    this.lose(why);
    this.schedule(0);
  }

  /** Stops; a live registration is ended with Expires: 0 (best effort, bounded). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.state === 'registered') {
      try {
        await Promise.race([this.attempt(0), new Promise((r) => setTimeout(r, 2000))]);
      } catch {
        // the platform is away: our registration runs out by itself
      }
    }
    this.state = 'unregistered';
  }

  private lose(why: string): void {
    if (this.state === 'registered') this.deps.onLost();
    this.state = 'registering';
    this.since = null;
    this.lastError = why;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.run().finally(() => (this.inFlight = undefined));
    }, ms);
  }

  private async run(): Promise<void> {
    if (this.state !== 'registered') this.state = 'registering';
    try {
      const expires = await this.attempt(this.deps.address().settings.expires);
      this.failures = 0;
      const first = this.state !== 'registered';
      this.state = 'registered';
      this.lastError = null;
      if (first) {
        this.since = this.deps.now();
        this.count += 1;
        this.deps.log.info({ expires }, 'registered with the upper platform');
        this.deps.onRegistered();
      }
      // refreshed before it ends: a minute early, or at 80% of a short one
      this.schedule(Math.max(1000, expires * 1000 - Math.min(60_000, expires * 200)));
    } catch (err) {
      if (!this.running) return;
      const e = err as Error;
      const auth = err instanceof RegisterError && err.code === 'GB_AUTH_REFUSED';
      if (this.state === 'registered') this.deps.onLost();
      this.state = auth ? 'failed' : 'registering';
      this.since = null;
      this.lastError = e.message;
      this.failures += 1;
      const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.failures - 1, 16));
      // equal jitter: never at once, never all together
      const wait = Math.round(cap / 2 + (this.deps.random() * cap) / 2);
      this.deps.log[auth ? 'error' : 'warn']({ err: { message: e.message, code: (err as { code?: string }).code }, retryInMs: wait }, auth ? 'the upper platform refused our id or password: check localId and the password on both sides' : 'registration with the upper platform failed');
      this.schedule(wait);
    }
  }

  /** One REGISTER exchange, challenge included; resolves with the expires granted. */
  private async attempt(expires: number): Promise<number> {
    const a = this.deps.address();
    const uri = `sip:${a.settings.serverId}@${a.settings.domain}`;
    const make = (auth?: string) =>
      outgoingRequest(a, 'REGISTER', {
        uri,
        to: `<sip:${a.settings.localId}@${a.settings.domain}>`,
        fromTag: this.fromTag,
        callId: this.callId,
        cseq: ++this.cseq,
        headers: [['Expires', String(expires)], ...(this.sayVersion ? ([['X-GB-Ver', '3.0']] as Array<[string, string]>) : []), ...(auth ? ([['Authorization', auth]] as Array<[string, string]>) : [])],
      });
    let res = await this.deps.request(make());
    // a platform of the 2016 revision that refuses the header: without it from now on
    if (this.sayVersion && (res.status === 400 || res.status === 501)) {
      this.sayVersion = false;
      this.deps.log.info({ status: res.status }, 'the upper platform refused X-GB-Ver 3.0: registering as the 2016 revision');
      res = await this.deps.request(make());
    }
    for (let round = 0; (res.status === 401 || res.status === 407) && round < 2; round++) {
      const header = res.headers.get(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
      const challenge = parseChallenge(header);
      if (!challenge) throw new RegisterError(`the upper platform asked for authentication we do not speak (${header.slice(0, 60) || 'no challenge'})`, 'GB_REGISTER_FAILED');
      // a second challenge that is not a stale nonce means the password was wrong
      if (round === 1 && !challenge.stale) throw new RegisterError(`the upper platform refused our credentials (${res.status} ${res.reason}) for ${a.settings.localId}`, 'GB_AUTH_REFUSED');
      res = await this.deps.request(make(authorization(challenge, { username: a.settings.localId, password: this.deps.password(), method: 'REGISTER', uri, nc: 1 })));
    }
    if (res.status === 403) throw new RegisterError(`the upper platform refused our registration (403 ${res.reason}): wrong password, or ${a.settings.localId} is not known there`, 'GB_AUTH_REFUSED');
    if (res.status < 200 || res.status >= 300) throw new RegisterError(`REGISTER answered ${res.status} ${res.reason} by ${theirUri(a)}`, 'GB_REGISTER_FAILED');
    this.peerVersion = res.headers.get('x-gb-ver') ?? null;
    const contact = res.headers.get('contact');
    const granted = Number((contact ? headerParams(contact).get('expires') : undefined) ?? res.headers.get('expires') ?? expires);
    return Number.isFinite(granted) && granted >= 0 ? Math.min(granted, expires || granted) : expires;
  }
}
