/** The aggregator's HTTP API as the console reads it: the same documented endpoints, typed by the protocol's schemas. */
import type { z } from 'zod';
import { sessionEnded } from './session.js';
import type { framesResponse, agentsResponse, auditResponse, gb28181Response, registerResponse, bindingsResponse, cameraResponse, camerasResponse, dailyResponse, historyResponse, planUploadResponse, ratesResponse } from '../../../protocols/http-api.js';

export type Rates = z.infer<typeof ratesResponse>;
export type RegionRates = Rates['regions'][number];
export type CategoryRates = NonNullable<RegionRates['categories']['all']>;
export type CamerasPage = z.infer<typeof camerasResponse>;
export type CameraRow = CamerasPage['cameras'][number];
export type Camera = z.infer<typeof cameraResponse>;
export type History = z.infer<typeof historyResponse>;
export type Frames = z.infer<typeof framesResponse>;
export type Agents = z.infer<typeof agentsResponse>;
export type Gb28181 = z.infer<typeof gb28181Response>;
export type Register = z.infer<typeof registerResponse>;
export type Audit = z.infer<typeof auditResponse>;
export type Bindings = z.infer<typeof bindingsResponse>;
export type PlanUpload = z.infer<typeof planUploadResponse>;
export type Daily = z.infer<typeof dailyResponse>;
export type DailyPoint = Daily['days'][number];

/** How far a centre that is starting has come loading its store (a 503 STARTING, or `restored` rates). */
export type Starting = { phase?: 'reading' | 'placing' | 'starting'; loaded?: number; of?: number };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    /** a centre loading its store after a start: the request is worth asking again in a moment */
    readonly starting?: Starting,
  ) {
    super(message);
  }
}

/** GET a JSON endpoint; an error answer becomes an ApiError with the server's message. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal: signal ?? null, headers: { Accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as unknown;
  if (res.status === 401) sessionEnded();
  if (!res.ok) {
    const b = body as { error?: { message?: string; code?: string }; starting?: Starting } | null;
    throw new ApiError(res.status, b?.error?.message ?? `HTTP ${res.status}`, b?.error?.code, b?.error?.code === 'STARTING' ? b.starting : undefined);
  }
  return body as T;
}

/** A query string of the given values, leaving out empty ones. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
