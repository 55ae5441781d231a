import { overlapMs, type RecordingCheck } from '../../protocols/index.js';
import { findRecordedSpans, getSearchXaddr } from '../adapters/onvif/onvif-device.js';
import { SoapError } from '../adapters/onvif/soap-client.js';
import { errorMessage } from '../lib/errors.js';
import type { CameraProbeState } from './ladder.js';

const DAY_MS = 86_400_000;

/**
 * Recording integrity of the last 24 h from the device's own recording
 * search (ONVIF Profile G): the recorded spans it lists, clipped to the day,
 * overlaps counted once, against a continuous recording schedule. A device
 * without a search service says so (`supported: false`), not 0%. Needs the
 * ONVIF login found by the liveness rungs; undefined when there is none yet.
 */
export async function checkRecording(st: CameraProbeState, deadlineMs: number, now: () => number = Date.now): Promise<RecordingCheck | undefined> {
  const xaddr = st.target.xaddr;
  if (!xaddr || !st.inspection) return undefined;
  const c = st.inspection.credential;
  const session = { xaddr, credentials: c ? { username: c.username, password: c.password } : undefined, timeDiffMs: st.clockDriftMs ?? 0, digest: undefined, deadlineMs };
  const at = () => new Date(now()).toISOString();
  let search: string | null;
  try {
    search = await getSearchXaddr(session);
  } catch (err) {
    // a device that does not know GetServices has no Profile G either; one that did not answer is not judged
    if (err instanceof SoapError && (err.code === 'ONVIF_FAULT' || err.code === 'ONVIF_BAD_XML')) return { supported: false, recordedSec: null, scheduledSec: null, checkedAt: at(), detail: 'the device does not answer GetServices: no recording search' };
    return { supported: true, recordedSec: null, scheduledSec: null, checkedAt: at(), detail: `recording search not reached: ${errorMessage(err).slice(0, 200)}` };
  }
  try {
    if (!search) return { supported: false, recordedSec: null, scheduledSec: null, checkedAt: at(), detail: 'the device offers no recording search (ONVIF Profile G)' };
    const spans = await findRecordedSpans(session, search);
    const end = now();
    const recordedMs = overlapMs(end - DAY_MS, end, spans);
    return { supported: true, recordedSec: Math.round(recordedMs / 1000), scheduledSec: DAY_MS / 1000, checkedAt: at(), detail: null };
  } catch (err) {
    return { supported: true, recordedSec: null, scheduledSec: null, checkedAt: at(), detail: `recording search failed: ${errorMessage(err).slice(0, 200)}` };
  }
}
