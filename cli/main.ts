#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
import { EXIT, err, out, UsageError } from './output.js';
import { VERSION } from '../platform/version.js';

// Loaded on demand: the agent on a small gateway should not carry the demo's
// broker and simulators in memory.
const commands: Record<string, () => Promise<{ help: string; run: (argv: string[]) => Promise<number> }>> = {
  agent: async () => {
    const m = await import('./cmd-agent.js');
    return { help: m.agentHelp, run: m.runAgent };
  },
  aggregator: async () => {
    const m = await import('./cmd-aggregator.js');
    return { help: m.aggregatorHelp, run: m.runAggregator };
  },
  discover: async () => {
    const m = await import('./cmd-discover.js');
    return { help: m.discoverHelp, run: m.runDiscover };
  },
  probe: async () => {
    const m = await import('./cmd-probe.js');
    return { help: m.probeHelp, run: m.runProbe };
  },
  config: async () => {
    const m = await import('./cmd-config.js');
    return { help: m.configHelp, run: m.runConfig };
  },
  report: async () => {
    const m = await import('./cmd-report.js');
    return { help: m.reportHelp, run: m.runReport };
  },
  audit: async () => {
    const m = await import('./cmd-audit.js');
    return { help: m.auditHelp, run: m.runAudit };
  },
  user: async () => {
    const m = await import('./cmd-accounts.js');
    return { help: m.userHelp, run: m.runUser };
  },
  token: async () => {
    const m = await import('./cmd-accounts.js');
    return { help: m.tokenHelp, run: m.runToken };
  },
  gateway: async () => {
    const m = await import('./cmd-gateway.js');
    return { help: m.gatewayHelp, run: m.runGateway };
  },
  demo: async () => {
    const m = await import('./cmd-demo.js');
    return { help: m.demoHelp, run: m.runDemo };
  },
};

const usage = `xueliang ${VERSION} — camera health for public-security video networks

Usage: xueliang <command> [options]    (xueliang <command> --help for more)

  discover   find ONVIF cameras on this network and list their streams
  probe      check one camera or stream now, rung by rung
  agent      run the edge agent (discovery, checks, MQTT status)
  aggregator run the central aggregator (rates per region, HTTP API, metrics)
  config     validate a configuration file, push one to agents
  report     the monthly or daily assessment report (考核) of a region: XLSX, CSV, JSON
  audit      verify the aggregator's audit trail (安全审计): no record edited or deleted
  user       accounts of the console and API: add, passwd, disable, enable, role, list
  token      API tokens for machine clients: create, list, revoke
  gateway    a gateway's own broker login (mosquitto dynamic security): enrol, revoke
  demo       run a self-contained demo: broker, simulated cameras, agent

Exit codes: 0 ok, 1 a check or validation failed, 2 wrong usage or invalid config,
3 a needed system program (ffmpeg, …) is missing.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(usage);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    out(VERSION);
    return EXIT.ok;
  }
  const load = commands[name];
  if (!load) {
    err(`xueliang: unknown command "${name}"\n\n${usage}`);
    return EXIT.usage;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    out(cmd.help);
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`xueliang ${name}: ${(e as Error).message}\n\n${cmd.help}`);
      return EXIT.usage;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`xueliang: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);
