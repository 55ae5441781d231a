import { z } from 'zod';

/**
 * Agent and camera ids travel as single MQTT topic levels, so they may not
 * contain `/`, `+`, `#` or whitespace. Kept to a conservative alphabet.
 */
const TOPIC_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const topicSegment = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'use letters, digits, "_", ".", ":" or "-" (one MQTT topic level)');

/** The same rule as `topicSegment`, as a plain test: the codec checks every topic's ids with it on the hot path. */
export const isTopicSegment = (s: string): boolean => TOPIC_SEGMENT.test(s);

/** GB/T 28181 device id: 20 digits (docs/domain.md §3). Deeper checks live in gbt28181.ts. */
export const gbId = z.string().regex(/^\d{20}$/, 'a GB/T 28181 id is 20 digits');

/** GB/T 2260 region code: 6 digits, optionally followed by a 2-digit grassroots unit. */
export const regionCode = z.string().regex(/^\d{6}(\d{2})?$/, 'a GB/T 2260 region code is 6 digits (8 with a grassroots unit)');

export const pointCategory = z.enum(['key_public_area', 'key_industry_part', 'other']);
export type PointCategory = z.infer<typeof pointCategory>;

/** The category a camera is counted under: its point's, else its agent config's, else `unassigned` (docs/domain.md §1). */
export const cameraCategory = z.enum([...pointCategory.options, 'unassigned']);
export type CameraCategory = z.infer<typeof cameraCategory>;

/** Fields of a planned point that a complete camera record (一机一档, 建档率) may require (`register.requiredFields`). */
export const REGISTER_FIELDS = ['gbId', 'name', 'address', 'longitude', 'latitude', 'category', 'installedOn', 'owner', 'maintainer'] as const;
export type RegisterField = (typeof REGISTER_FIELDS)[number];
export const DEFAULT_REGISTER_FIELDS: readonly RegisterField[] = ['gbId', 'name', 'address', 'longitude', 'latitude', 'category'];
