import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { regionAncestors } from '../../../protocols/gbt.js';

/** Who the console acts as (GET /api/session). */
export interface Session {
  user: string | null;
  role: 'viewer' | 'operator' | 'admin' | 'security' | 'auditor' | null;
  regions: string[];
  csrf: string | null;
  idleUntil?: string | null;
}

let csrf: string | null = null;
const expiredListeners = new Set<() => void>();

export function setCsrf(token: string | null): void {
  csrf = token;
}

/** A 401 from any request: the session ended (idle, lifetime, a password change): the console asks for a login, keeping the page. */
export function onSessionEnded(l: () => void): () => void {
  expiredListeners.add(l);
  return () => expiredListeners.delete(l);
}

export function sessionEnded(): void {
  for (const l of expiredListeners) l();
}

/** A changing request with this session's CSRF token; a 401 ends the session on screen. */
export async function send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: string, contentType = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = contentType;
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body } : {}) });
  if (res.status === 401 && path !== '/api/login') sessionEnded();
  return res;
}

export const SessionContext = createContext<Session>({ user: null, role: null, regions: [], csrf: null });

export function useSession(): Session {
  return useContext(SessionContext);
}

/** The region a user starts at: the whole area for every region, else the first of their own regions (the highest). */
export function homeRegion(s: Session): string {
  if (s.regions.includes('all') || s.regions.length === 0) return 'all';
  const own = new Set(s.regions);
  return s.regions.filter((r) => !regionAncestors(r).slice(1).some((a) => own.has(a))).sort()[0] ?? 'all';
}

/** Whether the session's regions cover a region (the breadcrumb leaves out what is above them). */
export function covers(s: Session, region: string): boolean {
  if (s.regions.includes('all')) return true;
  return region !== 'all' && regionAncestors(region).some((r) => s.regions.includes(r));
}
