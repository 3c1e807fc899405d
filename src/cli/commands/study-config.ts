/**
 * The study config file (`hwnas study create --config study.json`), validated with zod; errors name
 * the bad field. Example:
 * ```json
 * { "name": "mnist-bits", "evaluator": { "name": "policy-cost", "options": { "target": "bitfusion-edge" } },
 *   "strategy": { "name": "nsga2", "options": { "populationSize": 20 } }, "nTrials": 200, "seed": 0 }
 * ```
 * `space` (SearchSpace JSON) and `objectives` default to the evaluator's own.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import '../plugins.js';
import { ConfigError } from '../../errors.js';
import { canonicalStrategyName, createStrategy, defaultStrategyOptions, strategyNames } from '../../search/registry.js';
import { SearchSpace, type SpaceJson } from '../../search/space.js';
import { checkPopulationFits } from '../../search/strategies/variation.js';
import type { JsonValue, Objective, SearchStrategy } from '../../search/types.js';
import { createPruner, type Pruner } from '../../study/pruning.js';
import { seedSchema } from '../../util/seed.js';
import { getEvaluation } from '../../workers/registry.js';
import { parseWith } from '../../workers/zod-error.js';

const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(json), z.record(z.string(), json)]));

/** Schema of a study config. */
export const studyConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "1-128 letters, digits, '.', '_' or '-'"),
    evaluator: z.object({ name: z.string().min(1), options: z.record(z.string(), json).optional() }).strict(),
    space: z.record(z.string(), json).optional(),
    objectives: z
      .array(z.object({ name: z.string().min(1), direction: z.enum(['minimize', 'maximize']) }).strict())
      .min(1)
      .optional(),
    strategy: z.union([z.string().min(1), z.object({ name: z.string().min(1), options: z.record(z.string(), json).optional() }).strict()]).optional(),
    nTrials: z.number().int().min(1).max(10_000_000),
    seed: seedSchema.optional(),
    concurrency: z.number().int().min(1).max(1024).optional(),
    /** Times a trial whose process died or was interrupted is run again (default 3). */
    maxRetries: z.number().int().min(0).max(100).optional(),
    /**
     * Architecture evaluations (nas-table, nas-train, nas-supernet, command with options.space) without a
     * `space`: `hwnas study create` wraps a generic strategy in the repeat filter ('distinct'), as `hwnas nas`
     * does; false turns it off.
     */
    distinct: z.boolean().optional(),
    /** Early stopping from intermediate values: { name: 'median' | 'successive-halving', options } (src/study/pruning.ts). */
    pruner: z
      .object({ name: z.string().min(1), options: z.record(z.string(), json).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** A validated study config. */
export type StudyConfig = z.infer<typeof studyConfigSchema>;

/** What a config resolves to. */
export interface ResolvedStudy {
  readonly config: StudyConfig;
  readonly space: SearchSpace;
  readonly objectives: Objective[];
  readonly strategy: SearchStrategy;
  readonly seed: number;
  readonly pruner?: Pruner;
}

/** Validates a config object (ConfigError naming the bad field, e.g. `study.json.nTrials = -1: ...`). */
export function parseStudyConfig(value: unknown, source = 'study config'): StudyConfig {
  return parseWith(studyConfigSchema, value, source);
}

/** Reads and validates a config file. */
export function readStudyConfig(path: string): StudyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError(`cannot read study config ${JSON.stringify(path)}: ${why}; expected a JSON study config file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`study config ${JSON.stringify(path)} is not valid JSON: ${(e as Error).message}`);
  }
  return parseStudyConfig(value, path);
}

/** Builds the space, objectives and strategy of a config (ConfigErrors name the field). */
export function resolveStudy(config: StudyConfig): ResolvedStudy {
  const ev = getEvaluation(config.evaluator.name);
  const opts = config.evaluator.options ?? {};
  const evObjectives = ev.objectives(opts);
  const objectives = config.objectives ?? evObjectives;
  if (objectives.length !== evObjectives.length) {
    throw new ConfigError(
      `objectives: ${objectives.length} given (${objectives.map((o) => o.name).join(', ')}) but evaluator '${ev.name}' returns ${evObjectives.length} (${evObjectives.map((o) => o.name).join(', ')})`,
    );
  }
  let space: SearchSpace;
  if (config.space) space = SearchSpace.fromJSON(config.space as SpaceJson);
  else if (ev.defaultSpace) space = ev.defaultSpace(opts);
  else throw new ConfigError(`space: evaluator '${ev.name}' has no default search space; give one in the config`);
  const s = config.strategy ?? (objectives.length > 1 ? 'nsga2' : 'bo');
  const seed = config.seed ?? 0;
  const ctx = { space, objectives, nTrials: config.nTrials, seed };
  const strategy = typeof s === 'string' ? createStrategy(s, {}, ctx) : createStrategy(s.name, s.options ?? {}, ctx);
  const pruner = config.pruner ? createPruner(config.pruner) : undefined;
  return { config, space, objectives, strategy, seed, ...(pruner ? { pruner } : {}) };
}

/**
 * The config `hwnas study create` stores: the generic strategies get the budget-dependent defaults of
 * `hwnas nas` (population a tenth of the budget, BO startup from the space's dimension; options given
 * in the config win), and on an architecture evaluation's own space (one whose registration names its
 * `archSpace`) the repeat filter wraps them unless `distinct: false`. Done once at creation, so resuming a study never changes its strategy.
 */
export function withStrategyDefaults(config: StudyConfig): StudyConfig {
  const ev = getEvaluation(config.evaluator.name);
  const opts = config.evaluator.options ?? {};
  const objectives = config.objectives ?? ev.objectives(opts);
  const s = config.strategy ?? (objectives.length > 1 ? 'nsga2' : 'bo');
  const name = canonicalStrategyName(typeof s === 'string' ? s : s.name);
  if (!strategyNames('generic').includes(name)) return config;
  const given = typeof s === 'string' ? {} : (s.options ?? {});
  if ((name === 'nsga2' || name === 'regularized-evolution') && typeof given.populationSize === 'number')
    checkPopulationFits(name, given.populationSize, config.nTrials);
  const space = config.space ? SearchSpace.fromJSON(config.space as SpaceJson) : ev.defaultSpace?.(opts);
  if (!space) return config;
  const pop = typeof given.populationSize === 'number' ? given.populationSize : undefined;
  const strategy = { name, options: { ...defaultStrategyOptions(name, config.nTrials, space.encodedDimension, pop), ...given } };
  const arch = config.space === undefined && config.distinct !== false ? ev.archSpace?.(opts) : undefined;
  return { ...config, strategy: arch ? { name: 'distinct', options: { archSpace: arch, inner: strategy } } : strategy };
}
