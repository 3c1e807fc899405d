/**
 * Strategy 'distinct': wraps another registered strategy so that it does not spend trials on
 * architectures that compute what an earlier trial computed (same or isomorphic architecture; see
 * `distinctComputations`). `hwnas nas` wraps every generic strategy in it unless `--no-distinct`.
 * Options: `archSpace` (required), `inner` (a strategy name or `{ name, options }`, required), `maxTries`.
 */
import { ConfigError } from '../../errors.js';
import { canonicalStrategyName, createStrategy, registerStrategy, type StrategyContext } from '../../search/registry.js';
import type { ArchSpace } from '../../search/spaces/types.js';
import type { SearchStrategy } from '../../search/types.js';
import { distinctComputations } from '../tabular.js';
import { archSpaceOption, StrategyOptions } from './options.js';

/** Registry name of the repeat filter. */
export const DISTINCT = 'distinct';

/** `s` wrapped in the repeat filter when `distinct` is true (then the options must name `archSpace`). */
export function withDistinct(s: SearchStrategy, distinct: boolean | undefined, space: ArchSpace | undefined, strategy: string): SearchStrategy {
  if (!distinct) return s;
  if (!space)
    throw new ConfigError(`strategy '${strategy}' option distinct = true needs option archSpace (the architecture space whose computations are compared)`);
  return distinctComputations(s, space);
}

function createDistinct(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const o = new StrategyOptions(DISTINCT, options);
  const space = archSpaceOption(o, ctx, true);
  const inner = o.required('inner', o.strategyRef('inner'), 'the wrapped strategy: a name or { name, options }');
  const maxTries = o.number('maxTries', 1, 1000, true);
  o.done();
  if (canonicalStrategyName(inner.name) === DISTINCT)
    throw new ConfigError(`strategy '${DISTINCT}' option inner = '${inner.name}': expected another strategy than the filter itself`);
  return distinctComputations(createStrategy(inner.name, inner.options, ctx), space, maxTries);
}

registerStrategy(
  DISTINCT,
  createDistinct,
  'NAS repeat filter: wraps options.inner so that it skips architectures computing what an earlier trial computed (isomorphic cells)',
  'nas',
);
