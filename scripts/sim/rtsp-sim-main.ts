/** Runs the RTSP endpoint simulator as its own process: node rtsp-sim-main.js '<RtspSimOptions JSON>'; prints {ports}. */
import { startRtspSim, type RtspSimOptions } from './rtsp-sim.js';

const sim = await startRtspSim(JSON.parse(process.argv[2] ?? '{"count":1}') as RtspSimOptions);
process.stdout.write(`${JSON.stringify({ ports: sim.ports })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
