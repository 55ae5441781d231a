import type { RungResult } from '../../protocols/index.js';
import type { OnvifInspection } from './onvif-inspect.js';

/** What the ONVIF rungs learn about a device: a camera's own, or one shared by the channels of an NVR or encoder. */
export interface OnvifProbe {
  inspection: OnvifInspection | undefined;
  /** name of the credential set the ONVIF service accepted last */
  onvifCredentialName: string | undefined;
  clockDriftMs: number | null;
  /** read profiles and stream URIs again at the next ONVIF rung (a discovery ran) */
  reinspect: boolean;
}

export const newOnvifProbe = (): OnvifProbe => ({ inspection: undefined, onvifCredentialName: undefined, clockDriftMs: null, reinspect: false });

interface DeviceEntry {
  xaddr: string;
  probe: OnvifProbe;
  /** the device's rungs of a round (by the round's start), shared by its channels checked in that round */
  rungs: { since: number; result: Promise<RungResult[]> } | undefined;
  /** a fresh inspection asked for by a channel whose stream failed, once a round */
  reread: { since: number; at: number; result: Promise<void> } | undefined;
}

/**
 * The device rungs (TCP, ONVIF with its clock) of multi-channel devices run
 * once per device per round and stand for all its channels: sixteen channels
 * of an NVR cost one GetSystemDateAndTime and one authenticated call a
 * round, not sixteen, and go down together when the NVR does.
 */
export class DeviceChecks {
  private readonly devices = new Map<string, DeviceEntry>();

  /** The shared probe of a device (a new one when the device moved to another address). */
  probeOf(deviceId: string, xaddr: string): OnvifProbe {
    return this.entry(deviceId, xaddr).probe;
  }

  /** The device's rungs for the round that started at `since`: the first channel runs them, the others wait for the same result. */
  rungs(deviceId: string, xaddr: string, since: number, run: (probe: OnvifProbe) => Promise<RungResult[]>): Promise<RungResult[]> {
    const e = this.entry(deviceId, xaddr);
    if (e.rungs && e.rungs.since === since) return e.rungs.result;
    const result = run(e.probe);
    e.rungs = { since, result };
    return result;
  }

  /** Reads the device's profiles and stream URIs again, at most once per round and once per `everyMs`. */
  reread(deviceId: string, xaddr: string, since: number, everyMs: number, run: (probe: OnvifProbe) => Promise<void>): Promise<void> {
    const e = this.entry(deviceId, xaddr);
    const now = Date.now();
    if (e.reread && (e.reread.since === since || now - e.reread.at < everyMs)) return e.reread.result;
    const result = run(e.probe);
    e.reread = { since, at: now, result };
    return result;
  }

  /** Every device's next rung reads profiles and stream URIs again (a discovery ran). */
  reinspectAll(): void {
    for (const e of this.devices.values()) e.probe.reinspect = true;
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  has(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  private entry(deviceId: string, xaddr: string): DeviceEntry {
    let e = this.devices.get(deviceId);
    if (!e || e.xaddr !== xaddr) {
      // the same device elsewhere most likely takes the same login; what else it taught is asked again
      const remembered = e?.probe.onvifCredentialName;
      e = { xaddr, probe: { ...newOnvifProbe(), onvifCredentialName: remembered }, rungs: undefined, reread: undefined };
      this.devices.set(deviceId, e);
    }
    return e;
  }
}
