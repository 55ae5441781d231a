import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { stringify } from 'yaml';
import { DEFAULT_TOPIC_ROOT, regionError } from '../protocols/index.js';
import { topicSegment } from '../protocols/ids.js';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, enrolCommands, readResponses, revokeCommands, type DynsecCommand, type DynsecResponse } from '../platform/dynsec.js';
import { commandSettings, MqttConnection } from '../platform/mqtt-client.js';
import { stripUrlCredentials } from '../platform/redact.js';
import { EXIT, err, out, UsageError } from './output.js';

export const gatewayHelp = `xueliang gateway enrol GW --region CODE --broker URL [--topic-root ROOT] [--again]
xueliang gateway revoke GW --broker URL

Gateways' own broker logins, through mosquitto's dynamic-security plugin
(docs/security.md shows the broker config that loads it). The admin's broker
login comes from XUELIANG_MQTT_USERNAME and XUELIANG_MQTT_PASSWORD.
  enrol    creates the gateway's login (username = GW, a new random password)
           and a role that may write only its own topics and read only its own
           requests and desired config; prints the agent's mqtt: section, with
           the password, this once. --again: a new password for an enrolled
           (or revoked) gateway, enabled again.
  revoke   disables the login: the broker closes its connection at once and
           refuses it from then on.`;

export async function runGateway(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { region: { type: 'string' }, broker: { type: 'string' }, 'topic-root': { type: 'string', default: DEFAULT_TOPIC_ROOT }, again: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, gw, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected: ${rest.join(' ')}`);
  if (sub !== 'enrol' && sub !== 'revoke') throw new UsageError('the subcommand is enrol or revoke');
  if (!gw || !topicSegment.safeParse(gw).success) throw new UsageError(`gateway ${sub} GW: the gateway's agentId (letters, digits, "-", "_", ".")`);
  if (!values.broker) throw new UsageError('--broker URL (the broker with the dynamic-security plugin)');
  const region = values.region;
  if (sub === 'enrol' && (!region || regionError(region))) throw new UsageError(`--region CODE: ${region ? regionError(region) : 'the GB/T 2260 code of the gateway'}`);
  const password = randomBytes(24).toString('base64url');
  const commands: DynsecCommand[] =
    sub === 'revoke'
      ? revokeCommands(gw)
      : values.again
        ? [
            { command: 'setClientPassword', username: gw, password },
            { command: 'enableClient', username: gw },
          ]
        : enrolCommands(gw, values['topic-root'], region!, password);
  const answers = await ask(values.broker, commands);
  if ('error' in answers) {
    err(`xueliang gateway ${sub}: ${answers.error}`);
    return EXIT.failed;
  }
  const failed = answers.find((a) => a.error);
  if (failed) {
    const exists = /already exists/i.test(failed.error ?? '');
    err(`xueliang gateway ${sub} ${gw}: the broker refused ${failed.command}: ${failed.error}${exists ? ' (enrolled already: give --again for a new password)' : ''}`);
    return EXIT.failed;
  }
  if (sub === 'revoke') {
    out(`gateway ${gw}: broker login disabled; its connection is closed`);
    return EXIT.ok;
  }
  err(`gateway ${gw} enrolled at ${stripUrlCredentials(values.broker)}; put this in its agent config (the password is shown this once):`);
  out(stringify({ agentId: gw, region, mqtt: { url: values.broker, username: gw, password, topicRoot: values['topic-root'] } }).trimEnd());
  return EXIT.ok;
}

/** Sends the commands to the plugin and waits (10 s) for its answer on the response topic. */
async function ask(broker: string, commands: DynsecCommand[]): Promise<DynsecResponse[] | { error: string }> {
  const conn = new MqttConnection({
    settings: commandSettings(broker, `xueliang-enrol-${randomUUID().slice(0, 8)}`, 5, { username: process.env['XUELIANG_MQTT_USERNAME'], password: process.env['XUELIANG_MQTT_PASSWORD'] }),
    log: pino({ level: 'silent' }),
  });
  let settle: (r: DynsecResponse[] | { error: string }) => void = () => undefined;
  const answered = new Promise<DynsecResponse[] | { error: string }>((resolve) => (settle = resolve));
  conn.onMessage(({ topic, payload }) => {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    const r = readResponses(payload);
    // the response topic is shared by every admin: ours answers our commands, in order
    if ('error' in r || (r.length === commands.length && r.every((x, i) => x.command === commands[i]!.command))) settle(r);
  });
  conn.subscribe(DYNSEC_RESPONSE_TOPIC);
  conn.start();
  try {
    if (!(await conn.whenConnected(10_000, { firstError: true }))) return { error: `cannot reach the broker ${stripUrlCredentials(broker)}: ${conn.lastError ?? 'no answer within 10 s'} (the admin login: XUELIANG_MQTT_USERNAME, XUELIANG_MQTT_PASSWORD)` };
    await conn.publish(DYNSEC_TOPIC, JSON.stringify({ commands }), { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([answered, new Promise<{ error: string }>((resolve) => (timer = setTimeout(() => resolve({ error: 'the broker did not answer within 10 s: is the dynamic-security plugin loaded, and may this login use $CONTROL/dynamic-security/#?' }), 10_000)))]);
    clearTimeout(timer);
    return r;
  } finally {
    await conn.stop(undefined, 1000);
  }
}
