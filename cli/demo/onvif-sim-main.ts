/**
 * Runs the ONVIF simulator as its own process (for network namespaces):
 *   node dist/cli/demo/onvif-sim-main.js '<SimOptions as JSON>'
 * Prints one JSON line {discoveryPort, devices:[{uuid, xaddr}]} once ready;
 * exits when stdin closes or on SIGTERM.
 */
import { startOnvifSimulator, type SimOptions } from './onvif-sim.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as SimOptions;
const sim = await startOnvifSimulator(opts);
process.stdout.write(`${JSON.stringify({ discoveryPort: sim.discoveryPort, devices: sim.devices.map((d) => ({ uuid: d.uuid, xaddr: d.xaddr })) })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
