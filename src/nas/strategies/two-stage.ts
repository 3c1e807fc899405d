/**
 * Strategy 'two-stage' (HURRICANE; see ../two-stage.ts). Options (JSON, computed once by the command):
 * `sensitive` (the hardware-sensitive parameters, from `sensitiveParams`), `stage1Trials`, `stage1` and
 * `stage2` (inner strategies: a name or `{ name, options }`, default nsga2), `referenceSeed` (default 0),
 * `keep` (stage-1 settings stage 2 chooses among, default 8), `opFields` and `ops` (operator pre-selection:
 * the parameter suffixes of a block's operator and the allowed value tuples; blocks then search one operator
 * index each), `distinct` with `archSpace` (repeat filter over the whole search).
 */
import { ConfigError } from '../../errors.js';
import { createStrategy, registerStrategy, type StrategyContext } from '../../search/registry.js';
import type { SearchStrategy } from '../../search/types.js';
import { MAX_SEED } from '../../util/seed.js';
import { TwoStageSearch } from '../two-stage.js';
import { withDistinct } from './distinct.js';
import { archSpaceOption, StrategyOptions } from './options.js';

function createTwoStage(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const o = new StrategyOptions('two-stage', options);
  const space = archSpaceOption(o, ctx, false);
  const distinct = o.boolean('distinct');
  const sensitive = o.required(
    'sensitive',
    o.array('sensitive', 'parameter names', (v) => (typeof v === 'string' && v !== '' ? v : undefined), 1),
    'the hardware-sensitive parameter names (at least one)',
  );
  const stage1Trials = o.required('stage1Trials', o.number('stage1Trials', 1, Infinity, true), 'the number of stage-1 trials (an integer >= 1)');
  const stage1 = o.strategyRef('stage1') ?? { name: 'nsga2', options: {} };
  const stage2 = o.strategyRef('stage2') ?? { name: 'nsga2', options: {} };
  const referenceSeed = o.number('referenceSeed', 0, MAX_SEED, true);
  const keep = o.number('keep', 1, Infinity, true);
  const isScalar = (v: unknown): v is string | number | boolean | null => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  const opFields = o.array('opFields', 'parameter suffixes (non-empty strings)', (v) => (typeof v === 'string' && v !== '' ? v : undefined), 1);
  const allowed = o.array(
    'ops',
    'operators (arrays of scalar values, one per opFields entry)',
    (v) => (Array.isArray(v) && v.every(isScalar) && v.length === (opFields?.length ?? -1) ? (v as (string | number | boolean | null)[]) : undefined),
    1,
  );
  if ((opFields === undefined) !== (allowed === undefined))
    throw new ConfigError("strategy 'two-stage': options opFields and ops go together (the operator fields and the allowed operators)");
  o.done();
  const search = new TwoStageSearch({
    sensitive,
    stage1Trials,
    inner: (stage) => (stage === 1 ? createStrategy(stage1.name, stage1.options) : createStrategy(stage2.name, stage2.options)),
    ...(referenceSeed !== undefined ? { referenceSeed } : {}),
    ...(keep !== undefined ? { keep } : {}),
    ...(opFields && allowed ? { ops: { fields: opFields, allowed } } : {}),
  });
  // the inner strategies see partial points (one stage's parameters): the repeat filter wraps the whole search
  return withDistinct(search, distinct, space, 'two-stage');
}

registerStrategy(
  'two-stage',
  createTwoStage,
  'HURRICANE two-stage NAS: hardware-sensitive parameters first (options.sensitive), then the rest with a choice among stage 1 Pareto settings',
  'nas',
);
