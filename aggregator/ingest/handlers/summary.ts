import type { Handler } from '../handler.js';

/** `{root}/agents/{id}/summary`: counted; the centre computes its own numbers from statuses and events. */
export const summary: Handler<'summary'> = ({ fleet }) => {
  fleet.ingest.accept('summary');
  return 'applied';
};
