import type { CameraStatusMessage } from '../../../protocols/index.js';
import type { Handler } from '../handler.js';

const bindingOf = (s: CameraStatusMessage) => `${s.pointId ?? ''}|${s.gbId ?? ''}|${s.category ?? ''}`;
const timeOf = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/**
 * `{root}/agents/{id}/cameras/{cam}/status`, retained: a camera's latest
 * status from the gateway that owns it; an empty message (its agent removed
 * it) makes it no longer installed.
 */
export const cameraStatus: Handler<'cameraStatus'> = ({ fleet }, { topic: { agentId, cameraId }, message: status }) => {
  if (!fleet.owns(agentId, cameraId)) return fleet.refuse(agentId, cameraId);
  if (status === null) {
    fleet.removeCamera(agentId, cameraId);
    fleet.ingest.accept('status_cleared');
    return 'applied';
  }
  const now = fleet.now();
  let c = fleet.cameras.get(cameraId);
  const lastRecordingCheck = c?.status.recording?.checkedAt;
  const boundBefore = c ? bindingOf(c.status) : undefined;
  let same = false;
  if (!c) {
    // a retained status left on the broker by a removal whose clear was lost comes back at every resubscribe; one
    // checked in the very millisecond of the removal may be the camera's next (a release answered within 1 ms)
    const removed = fleet.removedAt.get(cameraId);
    const checked = timeOf(status.checkedAt);
    if (removed !== undefined && (checked === null || checked < removed)) {
      fleet.ingest.accept('status_of_removed_camera');
      return 'applied';
    }
    fleet.removedAt.delete(cameraId);
    c = { cameraId, agentId, status, firstSeen: now, marks: [] };
  } else {
    // replicas sharing the ingest may hand two statuses of a camera over in the other order: the older one changes
    // nothing (a clock set back by more than 10 minutes is taken as it comes)
    const held = timeOf(c.status.checkedAt);
    const checked = timeOf(status.checkedAt);
    if (held !== null && checked !== null && checked < held && held - checked < 10 * 60_000) {
      fleet.ingest.accept('status_older');
      return 'applied';
    }
    // the retained copy of the status held (a resubscription brings every camera's again): nothing to store
    same = checked === held && JSON.stringify(status) === JSON.stringify(c.status);
    c.status = status;
  }
  // each daily recording check is kept: the reports of a period add up the checks made in it
  const rec = status.recording;
  if (rec && rec.checkedAt !== lastRecordingCheck) fleet.changes.record({ kind: 'recordingCheck', cameraId, checkedAt: Date.parse(rec.checkedAt), supported: rec.supported, recordedSec: rec.recordedSec, scheduledSec: rec.scheduledSec });
  if (!same) fleet.saveCamera(c);
  if (boundBefore !== bindingOf(status)) fleet.events.emit('cameraBound');
  fleet.refresh(c);
  // events carry the history; a status that disagrees with it means events were missed
  const eff = fleet.effectiveState(c);
  if (eff !== 'unknown' || c.marks.length === 0) fleet.reconcile(c, eff, c.marks.length === 0 ? fleet.clamp(Date.parse(status.since)) : now);
  fleet.ingest.accept(same ? 'status_same' : 'status');
  return 'applied';
};
