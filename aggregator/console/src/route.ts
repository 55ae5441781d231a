import { useEffect, useState } from 'preact/hooks';

/** The console's whole selection lives in the URL query (page, region, window, filters): shareable and reload-safe. */
export type Route = Record<string, string>;

export const PAGES = ['overview', 'regions', 'problems', 'gateways', 'plan', 'audit', 'accounts', 'camera'] as const;
export type Page = (typeof PAGES)[number];

export function readRoute(): Route {
  return Object.fromEntries(new URLSearchParams(location.search));
}

export function pageOf(r: Route): Page {
  return (PAGES as readonly string[]).includes(r['page'] ?? '') ? (r['page'] as Page) : 'overview';
}

/** The href of the route with `patch` applied (undefined or '' removes a key). */
export function hrefWith(r: Route, patch: Record<string, string | undefined>): string {
  const next = { ...r };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
  }
  const q = new URLSearchParams(next).toString();
  return q ? `/?${q}` : '/';
}

const listeners = new Set<() => void>();

/** Moves to `href` without reloading the page. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const update = () => setRoute(readRoute());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A click on an in-console link moves without a reload (a middle or modified click opens a new tab as usual). */
export function onLink(e: MouseEvent): void {
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/?') && href !== '/' || a.hasAttribute('download')) return;
  e.preventDefault();
  navigate(href);
  window.scrollTo(0, 0);
}
