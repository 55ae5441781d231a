// The upper-platform simulator lives with the demo's simulators (cli/demo/), where the demo and bench:gb28181 reach it
// too; the tests import it from here.
export { UpperPlatform, type CatalogItem, type NotifyRecord } from '../../cli/demo/gb-upper-platform.js';
