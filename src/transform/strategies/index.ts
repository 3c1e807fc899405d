/**
 * Transform strategies, registered in the one strategy registry on import (src/cli/plugins.ts
 * imports this module): `hant-ilp`, HANT's selection of one alternative per unit.
 */
import { registerStrategy } from '../../search/registry.js';
import { HantIlp, parseHantIlpOptions } from './hant-ilp.js';

export * from './hant-ilp.js';

registerStrategy(
  'hant-ilp',
  (o) => new HantIlp(parseHantIlpOptions(o)),
  'HANT selection: the ILP solution over the per-unit alternative table (min summed distillation loss under a latency budget), then its next-best solutions',
  'transform',
);
