/**
 * Container healthcheck: `node dist/scripts/healthcheck.js`.
 * XUELIANG_ROLE=agent (default): the agent's heartbeat file under XUELIANG_STATE_DIR
 * (default /var/lib/xueliang) is younger than XUELIANG_HEALTH_MAX_AGE_S (default 180).
 * XUELIANG_ROLE=aggregator: GET http://127.0.0.1:${XUELIANG_HTTP_PORT:-8080}/healthz answers 200.
 * Exit 0 healthy, 1 not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const role = process.env['XUELIANG_ROLE'] ?? 'agent';
if (role === 'aggregator') {
  const port = process.env['XUELIANG_HTTP_PORT'] ?? '8080';
  fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }).then(
    (r) => process.exit(r.ok ? 0 : 1),
    () => process.exit(1),
  );
} else {
  const dir = process.env['XUELIANG_STATE_DIR'] ?? '/var/lib/xueliang';
  const maxAge = Number(process.env['XUELIANG_HEALTH_MAX_AGE_S'] ?? 180) * 1000;
  let healthy = false;
  try {
    for (const agent of readdirSync(dir)) {
      const f = path.join(dir, agent, 'heartbeat.json');
      try {
        if (Date.now() - statSync(f).mtimeMs < maxAge) {
          const hb = JSON.parse(readFileSync(f, 'utf8')) as { mqttConnected?: boolean };
          process.stdout.write(`${agent}: alive, broker ${hb.mqttConnected ? 'connected' : 'unreachable'}\n`);
          healthy = true;
        }
      } catch {
        // not an agent directory
      }
    }
  } catch {
    // no state directory yet
  }
  process.exit(healthy ? 0 : 1);
}
