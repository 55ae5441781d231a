import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

/** A test subscriber that records everything and can wait for a condition. */
export class MqttWatch {
  readonly messages: Received[] = [];
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string, filters: string[]): Promise<MqttWatch> {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 200 });
    const w = new MqttWatch(client);
    client.on('message', (topic, payload, packet) => w.messages.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(filters, { qos: 1 });
    return w;
  }

  /** The latest message on `topic` (parsed), if any. */
  latest<T = unknown>(topic: string): T | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i]!;
      if (m.topic === topic) return m.payload === '' ? (undefined as T) : (JSON.parse(m.payload) as T);
    }
    return undefined;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = fn();
      if (v !== undefined && v !== false) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
