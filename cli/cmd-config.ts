import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfigText } from '../config/load.js';
import { loadAgentConfig } from './cmd-agent.js';
import { EXIT, err, out, UsageError } from './output.js';
import { maskUrlPassword } from '../platform/redact.js';

export const configHelp = `xueliang config validate FILE [--kind agent|aggregator] [--json]
xueliang config push (--agent ID | --group NAME) FILE [--sign KEYFILE] [--broker URL] [--version N] [--timeout S] [--json]
xueliang config keygen [--out DIR]

validate  checks an agent or aggregator configuration file offline, with the
          errors the daemon would give: every problem is printed as
          \`path: message\`. The kind is recognised from the keys (agentId:
          agent; database, planFile, http, …: aggregator) unless --kind
          says. Exit 0 when valid, 1 when not.
push      sends FILE (YAML or JSON: a JSON merge patch over the agents' config
          files, or a whole config) to one agent or a group over MQTT, waits for
          each agent's report and prints applied / rejected with the errors /
          rolled back. Exit 1 if any did not apply or none answered.
            --broker URL   (or XUELIANG_MQTT_URL; XUELIANG_MQTT_USERNAME/PASSWORD for login)
            --sign KEY     sign with this Ed25519 private key (from keygen)
            --version N    default: the current time in ms, newer than any earlier push
            --timeout S    how long to wait for reports (default 30; a group: the whole time)
keygen    makes an Ed25519 key pair: admin-key.pem (keep it secret) and
          admin-key.pub.pem (set remoteConfig.adminPublicKey to it on the agents).`;

export async function runConfig(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'push') return (await import('./cmd-config-push.js')).runConfigPush(rest);
  if (sub === 'keygen') return (await import('./cmd-config-push.js')).runKeygen(rest);
  if (sub !== 'validate') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand');
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' }, kind: { type: 'string' } }, strict: true });
  const file = positionals[0];
  if (!file) throw new UsageError('give the file to validate');
  if (values.kind !== undefined && values.kind !== 'agent' && values.kind !== 'aggregator') throw new UsageError('--kind is agent or aggregator');
  let kind: ConfigKind = values.kind ?? 'agent';
  try {
    kind = values.kind ?? (await recogniseKind(file));
    if (kind === 'aggregator') {
      const config = await (await import('./cmd-aggregator.js')).loadAggregatorConfig(file);
      if (values.json) out(JSON.stringify({ valid: true, file, kind, database: maskUrlPassword(config.database), planFile: config.planFile ?? null }));
      else out(`${file}: valid (aggregator, database ${maskUrlPassword(config.database)}, ${config.planFile ? `plan ${config.planFile}` : 'no plan file'})`);
      return EXIT.ok;
    }
    const config = await loadAgentConfig(file);
    if (values.json) out(JSON.stringify({ valid: true, file, kind, agentId: config.agentId, cameras: config.cameras.length }));
    else out(`${file}: valid (agent ${config.agentId}, ${config.cameras.length} configured camera(s), ${config.credentials.length} credential set(s))`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (values.json) out(JSON.stringify({ valid: false, file, kind, errors: e.issues }));
    else err(`${e.message}\n(checked as ${kind === 'agent' ? 'an agent' : 'an aggregator'} configuration${values.kind ? '' : '; --kind says otherwise'})`);
    return EXIT.failed;
  }
}

type ConfigKind = 'agent' | 'aggregator';

/** Keys only an aggregator config has; `agentId` only an agent's. */
const AGGREGATOR_ONLY = ['database', 'planFile', 'http', 'ratesIntervalMs', 'retentionDays', 'maxPayloadBytes', 'timeZone'];

/** Which daemon a file is for, from its top-level keys: an unreadable file is the agent's (its errors say why). */
async function recogniseKind(file: string): Promise<ConfigKind> {
  let raw: unknown;
  try {
    raw = parseConfigText(await readFile(file, 'utf8'), file);
  } catch {
    return 'agent';
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'agent';
  const keys = Object.keys(raw);
  if (keys.includes('agentId')) return 'agent';
  return keys.some((k) => AGGREGATOR_ONLY.includes(k)) ? 'aggregator' : 'agent';
}
