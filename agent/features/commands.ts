import type { CommandHandler } from './requests.js';
import type { CameraMonitor } from './monitor.js';
import type { DiscoveryRounds } from './discovery-rounds.js';
import { statusMessage } from './status-message.js';
import type { Publisher } from './publisher.js';

/** The commands an agent answers on `{root}/agents/{id}/request/{command}`: one entry each. */
export function agentCommands(deps: { monitor: CameraMonitor; discovery: DiscoveryRounds; publisher: Publisher }): Record<string, CommandHandler> {
  const { monitor, discovery, publisher } = deps;
  const known = (cameraId: string | undefined) => {
    if (cameraId !== undefined && !monitor.cameras.has(cameraId)) {
      throw Object.assign(new Error(`no camera "${cameraId}" on this agent`), { code: 'UNKNOWN_CAMERA' });
    }
  };
  return {
    discover: async () => {
      const o = await discovery.discover();
      return { found: o.found, added: o.added, moved: o.moved, removed: o.removed, problems: o.problems };
    },
    check: async ({ cameraId }) => {
      known(cameraId);
      const ids = cameraId ? [cameraId] : undefined;
      await monitor.checkLiveness(ids);
      const recs = ids ? ids.map((id) => monitor.cameras.get(id)!) : [...monitor.cameras.values()];
      return recs.map((r) => {
        const s = statusMessage(r);
        return { cameraId: s.cameraId, state: s.state, rung: s.rung, reason: s.reason, detail: s.detail };
      });
    },
    /** the retained status of every camera (or one) goes out again now, changed or not */
    status: async ({ cameraId }) => {
      known(cameraId);
      const recs = cameraId ? [monitor.cameras.get(cameraId)!] : monitor.cameras.values();
      return { published: publisher.republish(recs) };
    },
  };
}
