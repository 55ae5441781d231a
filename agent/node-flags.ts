/**
 * V8 flags the agent runs with in production (bin shebang, systemd unit,
 * benchmark): a small young generation and size-optimised code keep a
 * 1,000-camera gateway near 100 MB instead of ~150 MB, for little CPU.
 * Measured by scripts/bench/liveness.ts.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];
