import type { CommandHandler } from './requests.js';
import type { CameraMonitor } from './monitor.js';
import type { DiscoveryRounds } from './discovery-rounds.js';
import { statusMessage } from './status-message.js';
import type { Publisher } from './publisher.js';

/** The commands an agent answers on `{root}/agents/{id}/request/{command}`: one entry each. */
export function agentCommands(deps: { monitor: CameraMonitor; discovery: DiscoveryRounds; publisher: Publisher }): Record<string, CommandHandler> {
  const { monitor, discovery, publisher } = deps;
  /** the cameras a request names: one camera, an NVR's channels (its device id), or every camera */
  const named = (cameraId: string | undefined): string[] | undefined => {
    if (cameraId === undefined) return undefined;
    const ids = monitor.camerasOf(cameraId);
    if (ids.length === 0) throw Object.assign(new Error(`no camera or device "${cameraId}" on this agent`), { code: 'UNKNOWN_CAMERA' });
    return ids;
  };
  return {
    discover: async () => {
      const o = await discovery.discover();
      return { found: o.found, added: o.added, moved: o.moved, removed: o.removed, problems: o.problems };
    },
    check: async ({ cameraId }) => {
      const ids = named(cameraId);
      await monitor.checkLiveness(ids);
      // a camera removed meanwhile (its NVR read again) is left out
      const recs = ids ? ids.flatMap((id) => monitor.cameras.get(id) ?? []) : [...monitor.cameras.values()];
      return recs.map((r) => {
        const s = statusMessage(r);
        return { cameraId: s.cameraId, state: s.state, rung: s.rung, reason: s.reason, detail: s.detail };
      });
    },
    /** the retained status of every camera (or one) goes out again now, changed or not */
    status: async ({ cameraId }) => {
      const ids = named(cameraId);
      const recs = ids ? ids.flatMap((id) => monitor.cameras.get(id) ?? []) : monitor.cameras.values();
      return { published: publisher.republish(recs) };
    },
  };
}
