import type { Handler } from '../handler.js';

/**
 * `{root}/cascade/{tier}/rollup|state`: a lower aggregator's numbers or its
 * connection; our counts change with them. Our own rollup, where both tiers
 * share a broker and a root, is not a tier below us.
 */
export const cascadeRollup: Handler<'cascadeRollup'> = ({ fleet, rates, ownTier }, { topic: { tier }, message }) => {
  if (tier === ownTier) return 'applied';
  if (fleet.tiers.apply(tier, { kind: 'rollup', message }) === 'applied') rates.markDirty();
  return 'applied';
};

export const cascadeState: Handler<'cascadeState'> = ({ fleet, rates, ownTier }, { topic: { tier }, message }) => {
  if (tier === ownTier) return 'applied';
  if (fleet.tiers.apply(tier, { kind: 'state', message }) === 'applied') rates.markDirty();
  return 'applied';
};
