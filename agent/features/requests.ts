import type { Logger } from 'pino';
import { commandName, decode, parseTopic, type ResponseMessage, type TopicKind } from '../../protocols/index.js';

const REQUESTS: ReadonlySet<TopicKind> = new Set(['request']);
import type { IncomingMessage, MqttConnection } from '../../platform/mqtt-client.js';

export type CommandHandler = (req: { cameraId?: string | undefined }) => Promise<unknown>;

/**
 * `{root}/agents/{id}/request/{command}` → `{root}/agents/{id}/response/{command}`
 * (or the MQTT 5 response topic), with `transaction` and correlation data echoed.
 */
export class RequestHandler {
  constructor(
    private readonly deps: {
      mqtt: MqttConnection;
      topicRoot: string;
      agentId: string;
      log: Logger;
      handlers: Record<string, CommandHandler>;
      responseTopic: (command: string) => string;
    },
  ) {}

  async handle(m: IncomingMessage): Promise<void> {
    const parsed = parseTopic(this.deps.topicRoot, m.topic);
    if (parsed?.kind !== 'request' || parsed.agentId !== this.deps.agentId) return;
    const command = parsed.command;
    const respond = (r: Omit<ResponseMessage, 'command'>) =>
      this.deps.mqtt
        .publish(m.responseTopic ?? this.deps.responseTopic(command), JSON.stringify({ command, ...r }), { qos: 1, correlationData: m.correlationData })
        .catch((err: Error) => this.deps.log.warn({ err: { message: err.message }, command }, 'response not published'));

    const r = decode(this.deps.topicRoot, m.topic, m.payload, { accept: REQUESTS, maxBytes: 64 * 1024 });
    if (!r.ok) {
      if (r.reason === 'too_large') return void respond({ ok: false, error: { code: 'REQUEST_TOO_LARGE', message: 'request body over 64 KiB' } });
      if (r.reason === 'not_json') return void respond({ ok: false, error: { code: 'REQUEST_NOT_JSON', message: 'the request body is not JSON' } });
      return void respond({ ok: false, error: { code: 'REQUEST_INVALID', message: (r.issues ?? []).map((i) => `${i.path === '(root)' ? '(body)' : i.path}: ${i.message}`).join('; ') || (r.detail ?? r.reason) } });
    }
    const req = r.value.kind === 'request' ? (r.value.message ?? {}) : {};
    const transaction = req.transaction;
    const handler = commandName.safeParse(command).success ? this.deps.handlers[command] : undefined;
    if (!handler) {
      return void respond({ transaction, ok: false, error: { code: 'UNKNOWN_COMMAND', message: `unknown command "${command}"; known: ${Object.keys(this.deps.handlers).join(', ')}` } });
    }
    try {
      const result = await handler({ cameraId: req.cameraId });
      await respond({ transaction, ok: true, result });
    } catch (err) {
      const e = err as Error & { code?: string };
      await respond({ transaction, ok: false, error: { code: e.code ?? 'COMMAND_FAILED', message: e.message } });
    }
  }
}
