import type { Handler } from '../handler.js';

/**
 * `{root}/rates/{region}`, retained: what the broker holds of our rates (our
 * own echo, a forgery, a region of an older plan). Never trusted, only
 * compared: the rates publisher repairs what it did not write.
 */
export const rates: Handler<'rates'> = ({ rates: watch }, { topic: { region }, message }) => {
  watch.observe(region, message);
  return 'applied';
};
