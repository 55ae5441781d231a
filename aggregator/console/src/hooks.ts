import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api.js';

export type Loaded<T> = { status: 'loading'; data?: T | undefined } | { status: 'ok'; data: T } | { status: 'error'; error: string; data?: T | undefined };

/**
 * GETs `path` and again whenever it or `tick` changes (the live feed bumps
 * the tick); the last answer stays on screen while the next one loads, so
 * the page does not blink.
 */
export function useJson<T>(path: string | null, tick = 0): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' });
  const [again, setAgain] = useState(0);
  const last = useRef<T | undefined>(undefined);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setState({ status: 'loading', data: last.current });
    getJson<T>(path, ctl.signal).then(
      (data) => {
        last.current = data;
        setState({ status: 'ok', data });
      },
      (e: Error) => {
        if (!ctl.signal.aborted) setState({ status: 'error', error: e.message, data: last.current });
      },
    );
    return () => ctl.abort();
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
