import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, type Starting } from './api.js';

export type Loaded<T> = { status: 'loading'; data?: T | undefined; starting?: Starting | undefined } | { status: 'ok'; data: T } | { status: 'error'; error: string; data?: T | undefined };

/** how often a page asks again while the centre is starting (503 STARTING, or rates restored from before the restart) */
const STARTING_RETRY_MS = 2000;
/** and for how long at most (a province's store loads in under a minute) */
const STARTING_RETRIES = 300;

/**
 * GETs `path` and again whenever it or `tick` changes (the live feed bumps
 * the tick); the last answer stays on screen while the next one loads, so
 * the page does not blink. While the centre is starting it asks again every
 * 2 s by itself: a 503 STARTING shows as loading (with how far the centre
 * has come), an answer `restored` from before the restart until the live one.
 */
export function useJson<T>(path: string | null, tick = 0): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [again, setAgain] = useState(0);
  const last = useRef<T | undefined>(undefined);
  const retries = useRef(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const askAgain = () => {
      if (retries.current++ < STARTING_RETRIES) timer = setTimeout(() => setAgain((n) => n + 1), STARTING_RETRY_MS);
    };
    setState((was) => ({ status: 'loading', data: last.current, starting: was.status === 'loading' ? was.starting : undefined }));
    getJson<T>(path, ctl.signal).then(
      (data) => {
        last.current = data;
        setState({ status: 'ok', data });
        if ((data as { restored?: unknown } | null)?.restored) askAgain();
        else retries.current = 0;
      },
      (e: Error) => {
        if (ctl.signal.aborted) return;
        if (e instanceof ApiError && e.starting && retries.current < STARTING_RETRIES) {
          setState({ status: 'loading', data: last.current, starting: e.starting });
          askAgain();
          return;
        }
        setState({ status: 'error', error: e.message, data: last.current });
      },
    );
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [path, tick, again]);
  return { ...state, reload: () => setAgain((n) => n + 1) };
}

/** Bumped by the live feed: pages that show states refetch when it moves. */
/** The live feed: `connecting` until it first opens (nothing was lost yet), `on`, and `off` once an open feed was lost. */
export type LiveState = 'connecting' | 'on' | 'off';
export const LiveContext = createContext<{ tick: number; state: LiveState }>({ tick: 0, state: 'connecting' });

export function useLive() {
  return useContext(LiveContext);
}

/**
 * Subscribes to /api/live; `tick` moves at most once per `minMs` however
 * fast cameras change. A browser holds at most six connections to one
 * server: a hidden tab, or a page left for another (kept in the back/forward
 * cache), gives its stream back, so that six console tabs do not stall the
 * seventh; it reconnects, and reloads its figures, when shown again.
 */
export function useLiveFeed(minMs = 1500, enabled = true): { tick: number; state: LiveState } {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (typeof EventSource === 'undefined' || !enabled) return;
    let es: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastBump = 0;
    const bump = () => {
      timer = undefined;
      lastBump = Date.now();
      setTick((n) => n + 1);
    };
    const connect = () => {
      if (es) return;
      es = new EventSource('/api/live');
      es.onopen = () => setState('on');
      // before the first open, a retry is still connecting (nothing the operator saw was lost); a refused feed is off
      es.onerror = () => {
        const closed = es?.readyState === EventSource.CLOSED;
        setState((was) => (was === 'connecting' && !closed ? was : 'off'));
      };
      es.addEventListener('cameras', () => {
        if (timer) return;
        timer = setTimeout(bump, Math.max(0, lastBump + minMs - Date.now()));
      });
    };
    const disconnect = () => {
      es?.close();
      es = undefined;
      setState((was) => (was === 'connecting' ? was : 'off'));
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') return disconnect();
      connect();
      bump(); // what changed while hidden
    };
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) onVisibility();
    };
    connect();
    document.addEventListener('visibilitychange', onVisibility);
    addEventListener('pagehide', disconnect);
    addEventListener('pageshow', onShow);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
      removeEventListener('pagehide', disconnect);
      removeEventListener('pageshow', onShow);
      disconnect();
    };
  }, [minMs, enabled]);
  return { tick, state };
}
