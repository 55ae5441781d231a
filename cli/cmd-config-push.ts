import { generateKeyPairSync, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { canonicalConfigBytes, decode, groupName, topicSegment, topics, type ReportedConfigMessage, type TopicKind } from '../protocols/index.js';

const REPORTS: ReadonlySet<TopicKind> = new Set(['configReported']);
import { ConfigError, parseConfigText } from '../config/load.js';
import { stripUrlCredentials } from '../platform/redact.js';
import { commandSettings, MqttConnection } from '../platform/mqtt-client.js';
import { EXIT, err, out, table, UsageError } from './output.js';

export async function runKeygen(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } }, strict: true });
  const dir = values.out ?? '.';
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const priv = path.join(dir, 'admin-key.pem');
  const pub = path.join(dir, 'admin-key.pub.pem');
  await writeFile(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(e.code === 'EEXIST' ? `${priv} exists: not overwritten` : e.message);
  });
  await writeFile(pub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  out(`wrote ${priv} (secret: keep it with the admins) and ${pub} (set remoteConfig.adminPublicKey to it on the agents)`);
  return EXIT.ok;
}

export async function runConfigPush(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      group: { type: 'string' },
      sign: { type: 'string' },
      broker: { type: 'string' },
      version: { type: 'string' },
      timeout: { type: 'string' },
      'topic-root': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const file = positionals[0];
  if (!file) throw new UsageError('give the config file to push');
  if ((values.agent === undefined) === (values.group === undefined)) throw new UsageError('give exactly one of --agent ID or --group NAME');
  if (values.agent !== undefined && !topicSegment.safeParse(values.agent).success) throw new UsageError('--agent: not a valid agent id');
  if (values.group !== undefined && !groupName.safeParse(values.group).success) throw new UsageError('--group: not a valid group name');
  const version = values.version === undefined ? Date.now() : Number(values.version);
  if (!Number.isSafeInteger(version) || version <= 0) throw new UsageError('--version takes a positive whole number');
  const timeoutS = Number(values.timeout ?? 30);
  if (!(timeoutS > 0 && timeoutS <= 3600)) throw new UsageError('--timeout takes 1..3600 seconds');
  const broker = values.broker ?? process.env['XUELIANG_MQTT_URL'];
  if (!broker) throw new UsageError('--broker URL (or XUELIANG_MQTT_URL) is required');

  let patch: unknown;
  try {
    patch = parseConfigText(await readFile(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return EXIT.usage;
    }
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new UsageError(`${file}: a config push is a mapping of settings`);

  const target = values.agent !== undefined ? `agent:${values.agent}` : `group:${values.group}`;
  const transaction = `push-${version}`;
  const message: Record<string, unknown> = { version, transaction, config: patch };
  if (values.sign) {
    const key = createPrivateKey(await readFile(values.sign, 'utf8'));
    message['signature'] = sign(null, canonicalConfigBytes(target, version, patch), key).toString('base64');
  }
  const t = topics(values['topic-root']);
  const conn = new MqttConnection({
    settings: commandSettings(broker, `xueliang-push-${randomUUID().slice(0, 8)}`, 5, { username: process.env['XUELIANG_MQTT_USERNAME'], password: process.env['XUELIANG_MQTT_PASSWORD'] }),
    log: pino({ level: 'silent' }),
  });
  const reports = new Map<string, ReportedConfigMessage>();
  let answered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (answered = resolve));
  conn.onMessage(({ topic, payload }) => {
    const r = decode(t.root, topic, payload, { accept: REPORTS });
    if (!r.ok || r.value.kind !== 'configReported' || r.value.message === null || r.value.message.transaction !== transaction) return;
    reports.set(r.value.topic.agentId, r.value.message);
    if (values.agent !== undefined) answered();
  });
  // subscribed on connect, before the push goes out on the same connection: no answer is missed
  conn.subscribe(values.agent !== undefined ? t.configReported(values.agent) : t.all.configReported);
  conn.start();
  if (!(await conn.whenConnected(10_000, { firstError: true }))) {
    err(`cannot reach the broker ${stripUrlCredentials(broker)}: ${conn.lastError ?? 'no answer within 10 s'}`);
    await conn.stop(undefined, 1000);
    return EXIT.failed;
  }
  await conn.publish(values.agent !== undefined ? t.configDesired(values.agent) : t.groupConfigDesired(values.group!), JSON.stringify(message), { qos: 1, retain: true });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutS * 1000)))]);
  clearTimeout(timer);
  await conn.stop();

  const rows = [...reports.entries()].sort(([a], [b]) => a.localeCompare(b));
  if (values.json) {
    out(JSON.stringify({ target, version, reports: Object.fromEntries(rows) }, null, 2));
  } else {
    out(`pushed version ${version} to ${target}`);
    if (rows.length === 0) out(`no agent answered within ${timeoutS} s (offline agents get the push when they reconnect: it is retained)`);
    else
      out(
        table(
          ['AGENT', 'RESULT', 'DETAIL'],
          rows.map(([agent, r]) => [agent, r.status, r.errors?.map((e) => `${e.path}: ${e.message}`).join('; ') ?? (r.restartRequired ? `restart needed for ${r.restartRequired.join(', ')}` : `config ${r.hash}`)]),
        ),
      );
  }
  return rows.length > 0 && rows.every(([, r]) => r.status === 'applied') ? EXIT.ok : EXIT.failed;
}
