import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { loadAgentConfig } from './cmd-agent.js';
import { EXIT, err, out, UsageError } from './output.js';

export const configHelp = `xueliang config validate FILE [--json]

Checks an agent configuration file offline: every problem is printed as
\`path: message\`. Exit code 0 when valid, 1 when not.`;

export async function runConfig(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'validate') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand');
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean' } }, strict: true });
  const file = positionals[0];
  if (!file) throw new UsageError('give the file to validate');
  try {
    const config = await loadAgentConfig(file);
    if (values.json) out(JSON.stringify({ valid: true, file, agentId: config.agentId, cameras: config.cameras.length }));
    else out(`${file}: valid (agent ${config.agentId}, ${config.cameras.length} configured camera(s), ${config.credentials.length} credential set(s))`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (values.json) out(JSON.stringify({ valid: false, file, errors: e.issues }));
    else err(e.message);
    return EXIT.failed;
  }
}
