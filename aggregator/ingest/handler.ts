import type { Logger } from 'pino';
import type { DecodedOf, TopicKind } from '../../protocols/index.js';
import type { AggregatorState } from '../features/state.js';

/** What the retained rates topics tell the rates publisher: what the broker holds (our echo, a forgery, an old plan's region). */
export interface RatesWatch {
  observe(region: string, payload: Buffer | null): void;
  /** something changed that the counters do not show (a tier's rollup) */
  markDirty(): void;
}

/** What every handler is given: the fleet model it decides from and changes, and the few collaborators some kinds need. */
export interface HandlerContext {
  fleet: AggregatorState;
  log: Logger;
  rates: RatesWatch;
  /**
   * our own tier when we publish our rollup on the broker and root we read
   * (both tiers on one broker): that rollup is not a tier below us
   */
  ownTier: string | undefined;
}

/** What a handler made of a message: applied, or refused because another gateway owns the camera (counted under its topic). */
export type Outcome = 'applied' | 'not_owner';

/** One handler per kind of message: it decides from the fleet model and changes it; the changes reach the store through the model. */
export type Handler<K extends TopicKind> = (ctx: HandlerContext, msg: DecodedOf<K>) => Outcome;
