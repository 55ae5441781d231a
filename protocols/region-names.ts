import { REGION_NAMES } from './region-names-data.js';

/** Names of regions the division data does not have (grassroots units), or that a centre calls otherwise: from its plan. */
export type RegionNameOverrides = ReadonlyMap<string, string>;

/**
 * The name of a GB/T 2260 region: the plan's name for the code first, else
 * the division dataset's (provinces, cities, counties; see
 * region-names-data.ts for its source and version); undefined when neither
 * knows it: the code is then shown as it is, never an empty cell.
 */
export function regionName(code: string, overrides?: RegionNameOverrides): string | undefined {
  const own = overrides?.get(code);
  if (own) return own;
  return Object.prototype.hasOwnProperty.call(REGION_NAMES, code) ? REGION_NAMES[code] : undefined;
}

/** A region as people read it: "西湖区 (330106)", or the code alone when no name is known. */
export function regionLabel(code: string, overrides?: RegionNameOverrides): string {
  const name = regionName(code, overrides);
  return name ? `${name} (${code})` : code;
}
