import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type ISubscriptionMap, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { stripUrlCredentials } from './redact.js';

export interface MqttSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  clientId: string;
  protocolVersion: 4 | 5;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  rejectUnauthorized: boolean;
  keepaliveSec: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** persistent session: the broker keeps subscriptions and queues QoS 1 while we are away */
  clean?: boolean;
  /** MQTT 5: how long the broker keeps a persistent session after a disconnect */
  sessionExpirySec?: number;
  /**
   * Withhold each PUBACK until the acks taken by takeAcks() are sent (group commit): the consumer
   * stores a batch, commits, then releases, so the broker redelivers anything
   * not yet committed after a crash. Messages keep flowing meanwhile.
   */
  deferAcks?: boolean;
  /**
   * Largest message this side takes. MQTT 5 tells the broker (Maximum Packet
   * Size), so it never sends a larger one; with 3.1.1 a larger one is dropped
   * here, logged, before any handler decodes it.
   */
  maxInboundBytes?: number;
}

/** A PUBACK mqtt.js meant to send, held until the batch behind it is stored. */
interface HeldAck {
  cmd: string;
  messageId?: number;
  reasonCode?: number;
  properties?: unknown;
}

export interface Will {
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
}

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  responseTopic: string | undefined;
  correlationData: Buffer | undefined;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  correlationData?: Buffer | undefined;
}

/** Settings for a short-lived client of a command (config push, the demo's watcher): a broker URL and the defaults. */
export function commandSettings(url: string, clientId: string, protocolVersion: 4 | 5, auth: { username?: string | undefined; password?: string | undefined } = {}): MqttSettings {
  return { url, clientId, protocolVersion, rejectUnauthorized: true, keepaliveSec: 30, reconnectMinMs: 500, reconnectMaxMs: 5000, ...(auth.username ? { username: auth.username } : {}), ...(auth.password ? { password: auth.password } : {}) };
}

/** Exponential backoff with full jitter: reconnecting gateways must not stampede the broker. */
export function nextReconnectDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(minMs + random() * (ceiling - minMs));
}

/**
 * The only importer of `mqtt`. Owns the connection, the will, the birth
 * message (re-sent on every connect) and reconnect backoff.
 */
/** How a filter is subscribed (see MqttConnection.subscribe). */
export interface SubscribeOptions {
  retained?: 'always' | 'when-new';
}

export class MqttConnection {
  private client: MqttClient | undefined;
  private attempt = 0;
  private readonly handlers: Array<(m: IncomingMessage) => void> = [];
  /** filters, and whether the broker should send their retained messages at every connect or only to a new subscription */
  private readonly subscriptions = new Map<string, SubscribeOptions>();
  private readonly connectListeners: Array<() => void> = [];
  private heldAcks: HeldAck[] = [];
  /** counts the connections that closed: acks taken on an earlier one are void */
  private ackGeneration = 0;
  private sendRaw: ((packet: unknown) => void) | undefined;

  constructor(
    private readonly deps: {
      /** replaced by reconfigure() */
      settings: MqttSettings;
      will?: Will | undefined;
      /** published retained on every (re)connect */
      birth?: (() => { topic: string; payload: string }) | undefined;
      log: Logger;
      /**
       * With deferAcks, asked after each message's ack is held: a promise holds
       * the next message back until it settles (mqtt.js reads no further, the
       * socket fills, the broker waits). A consumer that hands messages on uses
       * it to bound what waits for its commit.
       */
      hold?: (() => Promise<void> | undefined) | undefined;
    },
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** the last error the connection reported (credentials stripped), for a command that tells a person why it gave up */
  lastError: string | undefined;

  private errorListeners: Array<() => void> = [];

  /**
   * Resolves true once connected, false when `deadlineMs` passed first (the
   * connection goes on trying) or, with `firstError`, at the first error (a
   * command tells its user at once that the broker refused).
   */
  whenConnected(deadlineMs: number, opts: { firstError?: boolean } = {}): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), deadlineMs);
      const settle = (ok: boolean) => {
        clearTimeout(t);
        resolve(ok);
      };
      this.onConnect(() => settle(true));
      if (opts.firstError) this.errorListeners.push(() => settle(false));
    });
  }

  /** Starts connecting; resolves at once (the broker may be down: we keep trying). */
  start(): void {
    const s = this.deps.settings;
    const opts: IClientOptions = {
      // mqtt.js calls its debug logger a dozen times per message even when it is off (about 1.5 µs of a
      // 5 µs message at the centre); DEBUG=mqttjs* still turns it on
      ...(/mqttjs/.test(process.env['DEBUG'] ?? '') ? {} : { log: () => undefined }),
      clientId: s.clientId,
      protocolVersion: s.protocolVersion,
      keepalive: s.keepaliveSec,
      reconnectPeriod: nextReconnectDelay(0, s.reconnectMinMs, s.reconnectMaxMs),
      connectTimeout: 10_000,
      clean: s.clean ?? true,
      ...(s.protocolVersion === 5 && (s.clean === false || s.maxInboundBytes !== undefined)
        ? {
            properties: {
              ...(s.clean === false ? { sessionExpiryInterval: s.sessionExpirySec ?? 7 * 86_400 } : {}),
              // the topic and the packet's own header come on top of the payload
              ...(s.maxInboundBytes !== undefined ? { maximumPacketSize: s.maxInboundBytes + 4096 } : {}),
            },
          }
        : {}),
      ...(this.deps.will ? { will: { topic: this.deps.will.topic, payload: Buffer.from(this.deps.will.payload), retain: this.deps.will.retain, qos: this.deps.will.qos } } : {}),
      rejectUnauthorized: s.rejectUnauthorized,
      ...(s.username !== undefined ? { username: s.username } : {}),
      ...(s.password !== undefined ? { password: s.password } : {}),
      ...(s.ca ? { ca: readFileSync(s.ca) } : {}),
      ...(s.cert ? { cert: readFileSync(s.cert) } : {}),
      ...(s.key ? { key: readFileSync(s.key) } : {}),
    };
    const client = mqtt.connect(s.url, opts);
    this.client = client;
    if (s.deferAcks) this.holdAcks(client);
    const where = stripUrlCredentials(s.url);
    client.on('connect', () => {
      this.attempt = 0;
      client.options.reconnectPeriod = nextReconnectDelay(0, s.reconnectMinMs, s.reconnectMaxMs);
      this.deps.log.info({ broker: where }, 'connected to the MQTT broker');
      const birth = this.deps.birth?.();
      if (birth) client.publish(birth.topic, birth.payload, { qos: 1, retain: true });
      if (this.subscriptions.size > 0) client.subscribe(this.subscriptionMap([...this.subscriptions]), (err) => !err && this.subscribedListeners.forEach((l) => l()));
      else this.subscribedListeners.forEach((l) => l());
      for (const l of this.connectListeners) l();
    });
    client.on('close', () => {
      this.attempt += 1;
      client.options.reconnectPeriod = nextReconnectDelay(this.attempt, s.reconnectMinMs, s.reconnectMaxMs);
    });
    client.on('offline', () => this.deps.log.warn({ broker: where }, 'MQTT broker unreachable; retrying with backoff'));
    client.on('error', (err) => {
      this.lastError = stripUrlCredentials(err.message);
      for (const l of this.errorListeners.splice(0)) l();
      this.deps.log.warn({ broker: where, err: { message: this.lastError, code: (err as NodeJS.ErrnoException).code } }, 'MQTT error');
    });
    // Handlers run before the broker gets its PUBACK: what a synchronous
    // handler stored (the aggregator's SQLite write) is acknowledged only then,
    // so a crash in between makes the broker send it again, not lose it.
    client.handleMessage = (packet, done) => {
      const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
      if (s.maxInboundBytes !== undefined && size > s.maxInboundBytes) {
        this.deps.log.warn({ topic: packet.topic.slice(0, 200), bytes: size, max: s.maxInboundBytes }, 'inbound MQTT message too large: dropped unread');
        done();
        return;
      }
      const m: IncomingMessage = {
        topic: packet.topic,
        payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        responseTopic: packet.properties?.responseTopic,
        correlationData: packet.properties?.correlationData,
      };
      for (const h of this.handlers) {
        try {
          h(m);
        } catch (err) {
          this.deps.log.error({ err, topic: packet.topic }, 'message handler failed');
        }
      }
      done();
    };
  }

  // mqtt.js acknowledges a QoS 1 message as soon as its handler returns and
  // offers no hook to delay it without stalling the stream; its packet writer
  // (_sendPacket, stable across 5.x; pinned) is the one place to hold PUBACKs.
  private holdAcks(client: MqttClient): void {
    type Send = (packet: { cmd: string }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;
    const c = client as unknown as { _sendPacket: Send };
    const original = c._sendPacket.bind(client);
    this.sendRaw = (packet) => original(packet as { cmd: string });
    c._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback') {
        this.heldAcks.push(packet as HeldAck);
        // the ack is held with its message; reading the next one may wait (hold)
        const wait = this.deps.hold?.();
        if (wait) void wait.then(() => cb?.());
        else cb?.();
        return;
      }
      original(packet, cb, ...rest);
    };
    // acks held for a connection that is gone are void: the broker resends those messages
    client.on('close', () => {
      this.ackGeneration += 1;
      this.heldAcks = [];
    });
  }

  /**
   * Takes the PUBACKs held so far (the messages handled so far) and returns
   * what sends them once the consumer has made those messages durable; acks of
   * messages that arrive meanwhile stay held. Void when the connection they
   * came on has closed since: the broker sends those messages again.
   */
  takeAcks(): () => number {
    const held = this.heldAcks;
    const generation = this.ackGeneration;
    this.heldAcks = [];
    return () => {
      if (this.client?.connected && this.ackGeneration === generation) this.sendAcks(held);
      return held.length;
    };
  }

  /**
   * Sends PUBACKs in one write: a plain PUBACK (success, no properties) is
   * the same four bytes in MQTT 3.1.1 and 5 (fixed header 0x40, length 2, the
   * packet id), and a thousand of them written at once cost one syscall, not
   * a thousand trips through mqtt.js's packet writer. Anything else goes
   * through mqtt.js.
   */
  private sendAcks(held: HeldAck[]): void {
    const stream = (this.client as unknown as { stream?: { writable?: boolean; write(b: Buffer): boolean } } | undefined)?.stream;
    const plain = (p: HeldAck) => (p.reasonCode === undefined || p.reasonCode === 0) && p.properties === undefined && Number.isInteger(p.messageId);
    if (!stream?.writable || !held.every(plain)) {
      for (const p of held) this.sendRaw?.(p);
      return;
    }
    const buf = Buffer.allocUnsafe(4 * held.length);
    for (let i = 0; i < held.length; i++) {
      buf[4 * i] = 0x40;
      buf[4 * i + 1] = 2;
      buf.writeUInt16BE(held[i]!.messageId!, 4 * i + 2);
    }
    stream.write(buf);
  }

  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  private readonly subscribedListeners: Array<() => void> = [];
  /** Called on every connect once the broker has acknowledged the subscriptions (retained messages may follow). */
  onSubscribed(listener: () => void): void {
    this.subscribedListeners.push(listener);
  }

  onMessage(handler: (m: IncomingMessage) => void): void {
    this.handlers.push(handler);
  }

  /**
   * Subscribes now and at every connect. `retained: 'when-new'` (MQTT 5,
   * retain handling 1): the broker sends the filter's retained messages only
   * when the subscription is new, not again when a persistent session that
   * still holds it reconnects (what was published meanwhile is queued for it
   * anyway); with MQTT 3.1.1 they come at every connect.
   */
  subscribe(filter: string, opts: SubscribeOptions = {}): void {
    this.subscriptions.set(filter, opts);
    if (this.client?.connected) this.client.subscribe(this.subscriptionMap([[filter, opts]]));
  }

  private subscriptionMap(entries: Array<[string, SubscribeOptions]>): ISubscriptionMap {
    const v5 = this.deps.settings.protocolVersion === 5;
    return Object.fromEntries(entries.map(([f, o]) => [f, { qos: 1 as const, ...(v5 && o.retained === 'when-new' ? { rh: 1 } : {}) }]));
  }

  /**
   * Publishes; resolves when the broker acknowledged (QoS 1) or the message
   * was written (QoS 0). While disconnected, mqtt.js queues it in memory.
   */
  publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('MQTT connection not started'));
    const p: IClientPublishOptions = { qos: opts.qos ?? 1, retain: opts.retain ?? false };
    if (opts.correlationData && this.deps.settings.protocolVersion === 5) p.properties = { correlationData: opts.correlationData };
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, p, (err) => (err ? reject(err) : resolve()));
    });
  }

  get settings(): MqttSettings {
    return this.deps.settings;
  }

  /**
   * Reconnects with new settings. Resolves true once connected with them
   * within `deadlineMs`; otherwise goes back to the previous settings,
   * reconnects with those and resolves false: a bad push never leaves the
   * gateway unreachable.
   */
  async reconfigure(next: MqttSettings, deadlineMs: number): Promise<boolean> {
    const previous = this.deps.settings;
    const tryWith = async (settings: MqttSettings, wait: number) => {
      this.client?.removeAllListeners();
      this.client?.end(true);
      this.client = undefined;
      this.deps.settings = settings;
      this.start();
      const client = this.client!;
      return new Promise<boolean>((resolve) => {
        if (client.connected) return resolve(true);
        const t = setTimeout(() => resolve(false), wait);
        client.once('connect', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
    };
    if (await tryWith(next, deadlineMs)) return true;
    this.deps.log.error({ deadlineMs }, 'the new broker settings did not connect in time: back to the previous ones');
    await tryWith(previous, 0);
    return false;
  }

  /** Publishes `last` (e.g. the clean offline state), then disconnects; bounded by `deadlineMs`. */
  async stop(last?: { topic: string; payload: string; retain: boolean }, deadlineMs = 3000): Promise<void> {
    const client = this.client;
    if (!client) return;
    const bounded = <T>(p: Promise<T>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, deadlineMs).unref())]);
    if (last && client.connected) await bounded(this.publish(last.topic, last.payload, { qos: 1, retain: last.retain }).catch(() => undefined));
    await bounded(new Promise<void>((resolve) => client.end(false, {}, () => resolve())));
    client.end(true);
    this.client = undefined;
  }
}
