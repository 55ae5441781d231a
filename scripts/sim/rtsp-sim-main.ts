/**
 * Runs the RTSP endpoint simulator as its own process: node rtsp-sim-main.js '<RtspSimOptions JSON>'; prints {ports}.
 * stdin lines `down 3 4 5` / `up 3 4 5` take endpoints' streams away and back.
 */
import { createInterface } from 'node:readline';
import { startRtspSim, type RtspSimOptions } from './rtsp-sim.js';

const sim = await startRtspSim(JSON.parse(process.argv[2] ?? '{"count":1}') as RtspSimOptions);
process.stdout.write(`${JSON.stringify({ ports: sim.ports })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [cmd, ...ids] = line.trim().split(/\s+/);
    for (const id of ids.map(Number).filter(Number.isInteger)) {
      if (cmd === 'down') sim.down.add(id);
      else if (cmd === 'up') sim.down.delete(id);
    }
  })
  .on('close', stop);
