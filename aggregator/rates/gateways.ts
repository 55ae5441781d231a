import type { CameraState } from '../../protocols/index.js';
import type { CameraFact } from './model.js';
import { byCode } from './order.js';

export type StateCounts = Record<CameraState, number>;

/** An NVR's or encoder's channels under one gateway, and how many of them are down. */
export interface DeviceTally {
  deviceId: string;
  channels: number;
  offline: number;
  unknown: number;
}

interface GatewayRow {
  states: StateCounts;
  devices: Map<string, DeviceTally>;
}

const zero = (): StateCounts => ({ online: 0, degraded: 0, offline: 0, unknown: 0 });

/**
 * Each gateway's cameras by counted state, and its devices' channels (an NVR,
 * an encoder: one ONVIF device, many channels), kept in step with the rate
 * counters one change at a time. The gateway list reads it in O(gateways +
 * devices); it walked every camera of the centre at each request (a
 * province's million effective states for one overview).
 */
export class GatewayTally {
  private readonly rows = new Map<string, GatewayRow>();

  /** Counts a camera's fact in (+1) or out (-1). */
  add(f: Pick<CameraFact, 'agentId' | 'state' | 'deviceId'>, sign: 1 | -1): void {
    let row = this.rows.get(f.agentId);
    if (!row) this.rows.set(f.agentId, (row = { states: zero(), devices: new Map() }));
    row.states[f.state] += sign;
    const deviceId = f.deviceId ?? null;
    if (deviceId !== null) {
      let d = row.devices.get(deviceId);
      if (!d) row.devices.set(deviceId, (d = { deviceId, channels: 0, offline: 0, unknown: 0 }));
      d.channels += sign;
      if (f.state === 'offline') d.offline += sign;
      if (f.state === 'unknown') d.unknown += sign;
      if (d.channels === 0) row.devices.delete(deviceId);
    }
    if (row.devices.size === 0 && row.states.online + row.states.degraded + row.states.offline + row.states.unknown === 0) this.rows.delete(f.agentId);
  }

  /** A gateway's cameras by state (a copy; zeros when it has none). */
  states(agentId: string): StateCounts {
    const row = this.rows.get(agentId);
    return row ? { ...row.states } : zero();
  }

  /** A gateway's devices with their channel counts, by device id (copies). */
  devices(agentId: string): DeviceTally[] {
    const row = this.rows.get(agentId);
    if (!row) return [];
    return [...row.devices.values()].map((d) => ({ ...d })).sort((x, y) => byCode(x.deviceId, y.deviceId));
  }

  /** The gateways that have cameras. */
  agents(): IterableIterator<string> {
    return this.rows.keys();
  }
}
