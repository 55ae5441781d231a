import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { topicSegment } from '../../protocols/index.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import { MAX_CHANNELS, type ChannelLayout } from './channels.js';

const layoutFile = z.object({
  version: z.literal(1),
  devices: z
    .array(
      z.object({
        deviceId: topicSegment,
        channels: z.array(z.object({ source: z.string().min(1).max(256), index: z.number().int().positive().max(4096) })).max(MAX_CHANNELS),
      }),
    )
    .max(100_000),
});

/** Where a device's channels are, as the monitor keeps them. */
export interface LayoutBook {
  get(deviceId: string): ChannelLayout | undefined;
  set(deviceId: string, layout: ChannelLayout): void;
  forget(deviceId: string): void;
}

/** Layouts held in memory only (tests, tools). */
export class MemoryLayouts implements LayoutBook {
  protected readonly layouts = new Map<string, ChannelLayout>();
  get(deviceId: string): ChannelLayout | undefined {
    return this.layouts.get(deviceId);
  }
  set(deviceId: string, layout: ChannelLayout): void {
    this.layouts.set(deviceId, layout);
  }
  forget(deviceId: string): void {
    this.layouts.delete(deviceId);
  }
}

/**
 * The channels of multi-channel devices, kept in the state directory: after
 * a restart an NVR that is down is still its sixteen channels (turning
 * offline together), not one camera until it answers again.
 */
export class ChannelLayouts extends MemoryLayouts {
  constructor(private readonly deps: { file: string; log: Logger }) {
    super();
    this.load();
  }

  override set(deviceId: string, layout: ChannelLayout): void {
    super.set(deviceId, layout);
    this.save();
  }

  override forget(deviceId: string): void {
    if (!this.layouts.has(deviceId)) return;
    super.forget(deviceId);
    this.save();
  }

  private load(): void {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.deps.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.warn({ file: this.deps.file, err: { message: (err as Error).message } }, 'channel layouts unreadable: devices are read again at their next check');
      return;
    }
    const r = layoutFile.safeParse(raw);
    if (!r.success) {
      this.deps.log.warn({ file: this.deps.file, problem: z.prettifyError(r.error).slice(0, 300) }, 'channel layouts not understood: devices are read again at their next check');
      return;
    }
    for (const d of r.data.devices) this.layouts.set(d.deviceId, d.channels);
  }

  private save(): void {
    try {
      const devices = [...this.layouts].map(([deviceId, channels]) => ({ deviceId, channels }));
      writeFileAtomic(this.deps.file, JSON.stringify({ version: 1, devices }));
    } catch (err) {
      this.deps.log.warn({ file: this.deps.file, err: { message: (err as Error).message } }, 'channel layouts not written: after a restart a device is one camera until it answers');
    }
  }
}
