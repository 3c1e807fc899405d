/**
 * The ensemble evaluation for the study machinery (`hwnas study run|resume`, worker threads, Redis workers),
 * registered on import:
 * - `ensemble-config`: a point (K members, member weight bits) of a bitwise-ensemble study, scored by the
 *   majority vote of K members on the validation split (never the test split: the search picks by this
 *   figure) and costed on a hardware target with the members run one after another on one array; objectives
 *   `accuracy` (maximise) and `latency_ms` / `energy_mj` (minimise), chosen by `objectives`.
 *
 * How a trial is computed: per process, the float model is trained once (`floatEpochs`, zoo models; a file
 * model is taken as trained), and per member weight width b, one latent model is trained once from it
 * (`bitwiseEpochs`, src/ensemble's `runEnsemble`) and `max(members)` members are sampled from it with a
 * seeded generator; the trial (K, b) is the vote of the first K of those members. So a trial is a
 * deterministic function of (K, b, seed), and trials sharing b share the training: run a study with
 * `--threads 0` (or 1) to train each width once; every extra thread or Redis worker trains its own copy.
 *
 * Options: `model` (zoo:<name>, an hwnas .json or a .onnx), `dataset` (a spec; its `limit=` bounds the
 * training images), `target`, `members` (the K choices, default [1, 2, 3, 5, 7, 9]), `weightBits` (the
 * member widths, default [1, 2, 4]), `actBits` (default 8), `sampling` (stochastic | independent; default
 * stochastic), `floatEpochs` (default 2), `bitwiseEpochs` (default 2), `distill` (default 0), `searchImages`
 * (validation images scored, default 1000), `objectives` (default ['accuracy', 'latency_ms']), `seed`.
 * The model, data set and tensor engine load on the first trial of each process.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { EnsembleRun } from '../ensemble/run.js';
import { ConfigError } from '../errors.js';
import { getTarget } from '../hardware/registry.js';
import type { Model } from '../ir/types.js';
import { type ParamSpec, SearchSpace } from '../search/space.js';
import type { JsonValue, Objective, Params } from '../search/types.js';
import type { EvaluationContext, EvaluationResult } from '../study/run-study.js';
import { seedSchema } from '../util/seed.js';
import { registerEvaluation } from './registry.js';
import { checkSearchImages } from './search-images.js';
import { parseWith } from './zod-error.js';

/** Objective names `ensemble-config` can return. */
export const ENSEMBLE_METRICS = ['accuracy', 'latency_ms', 'energy_mj'] as const;

const optionsSchema = z
  .object({
    model: z.string().min(1),
    dataset: z.string().min(1),
    target: z.string().min(1),
    members: z.array(z.number().int().min(1).max(64)).min(1).optional(),
    weightBits: z.array(z.number().int().min(1).max(8)).min(1).optional(),
    actBits: z.number().int().min(1).max(32).optional(),
    sampling: z.enum(['stochastic', 'independent']).optional(),
    floatEpochs: z.number().int().min(0).max(1000).optional(),
    bitwiseEpochs: z.number().int().min(0).max(1000).optional(),
    distill: z.number().min(0).max(1).optional(),
    searchImages: z.number().int().min(1).optional(),
    objectives: z.array(z.enum(ENSEMBLE_METRICS)).min(1).optional(),
    seed: seedSchema.optional(),
  })
  .strict();

/** Options of the `ensemble-config` evaluation. */
export type EnsembleConfigOptions = z.infer<typeof optionsSchema>;

interface Setup {
  readonly o: EnsembleConfigOptions;
  readonly members: readonly number[];
  readonly weightBits: readonly number[];
  readonly objectives: readonly (typeof ENSEMBLE_METRICS)[number][];
}

function setup(options: Readonly<Record<string, unknown>>): Setup {
  const o = parseWith(optionsSchema, options, "evaluator 'ensemble-config' options");
  const target = getTarget(o.target);
  const objectives = o.objectives ?? ['accuracy', 'latency_ms'];
  if (new Set(objectives).size !== objectives.length)
    throw new ConfigError(`evaluator 'ensemble-config' options.objectives = ${JSON.stringify(objectives)}: repeated name`);
  if (objectives.includes('energy_mj') && !target.hasEnergy)
    throw new ConfigError(`evaluator 'ensemble-config' objective 'energy_mj': target '${target.name}' has no energy model`);
  const a = o.actBits ?? 8;
  if (a > 8 && a !== 16 && a !== 32) throw new ConfigError(`evaluator 'ensemble-config' options.actBits = ${a}: expected 1..8, or 16/32 for float`);
  const uniq = (xs: readonly number[]): number[] => [...new Set(xs)].sort((x, y) => x - y);
  return { o, members: uniq(o.members ?? [1, 2, 3, 5, 7, 9]), weightBits: uniq(o.weightBits ?? [1, 2, 4]), objectives };
}

registerEvaluation({
  name: 'ensemble-config',
  description:
    "ensemble size K and member weight bits of a bitwise ensemble (docs/ensembles.md): majority-vote accuracy on validation images vs the members' sequential latency/energy on a target (options: model, dataset, target, members = [1,2,3,5,7,9], weightBits = [1,2,4], actBits = 8, sampling, floatEpochs = 2, bitwiseEpochs = 2, distill = 0, searchImages = 1000, objectives = ['accuracy','latency_ms'], seed)",
  objectives(options) {
    const s = setup(options);
    return s.objectives.map((name): Objective => ({ name, direction: name === 'accuracy' ? 'maximize' : 'minimize' }));
  },
  defaultSpace(options) {
    const s = setup(options);
    const p: Record<string, ParamSpec> = {
      members: { kind: 'categorical', choices: [...s.members] },
      weightBits: { kind: 'categorical', choices: [...s.weightBits] },
    };
    return new SearchSpace(p);
  },
  checkData: (options) => checkSearchImages('ensemble-config', setup(options).o),
  create(options) {
    const s = setup(options);
    const { o } = s;
    const target = getTarget(o.target);
    if (!o.model.startsWith('zoo:') && !existsSync(o.model))
      throw new ConfigError(
        `evaluator 'ensemble-config' options.model = ${JSON.stringify(o.model)}: no such file; expected an hwnas .json, a .onnx file or zoo:<name>`,
      );
    const maxK = s.members[s.members.length - 1] as number;
    const seed = o.seed ?? 0;
    type Loaded = Awaited<ReturnType<typeof load>>;
    const load = async () => {
      const [{ inputNode }, { loadDataset, modelGeometry }, { loadModelSpec }, engine, ens] = await Promise.all([
        import('../ir/shapes.js'),
        import('../data/load.js'),
        import('../onnx/model-source.js'),
        import('../engine/index.js'),
        import('../ensemble/index.js'),
      ]);
      const model = loadModelSpec(o.model, seed);
      await engine.initEngine();
      if (target.prepare) await target.prepare(model);
      const shape = inputNode(model.graph).shape;
      const ds = await loadDataset(o.dataset, modelGeometry(shape));
      // checkData refused a searchImages above the validation count before the study ran (one stored before that check keeps the cap)
      const k = Math.min(o.searchImages ?? 1000, ds.val.n);
      if (k === 0) throw new ConfigError(`evaluator 'ensemble-config': data set '${ds.name}' has no validation images to score trials on`);
      const per = ds.val.x.length / ds.val.n;
      // the search scores on validation images: the test split stays unseen
      const search = { ...ds, test: { x: ds.val.x.subarray(0, k * per), y: ds.val.y.subarray(0, k), n: k } };
      const recipe = (epochs: number) => ({
        epochs,
        batchSize: 64,
        optimizer: 'adam' as const,
        lr: 3e-3,
        schedule: 'cosine' as const,
        labelSmoothing: 0.1,
        seed,
        workers: 1 as const,
      });
      const floatEpochs = o.floatEpochs ?? (o.model.startsWith('zoo:') ? 2 : 0);
      let floatModel: Model = model;
      if (floatEpochs > 0) {
        const fm = engine.buildModel(model);
        try {
          await engine.train(fm, search.train, recipe(floatEpochs));
          floatModel = fm.toModel();
        } finally {
          fm.dispose();
        }
      }
      return { ens, search, floatModel, recipe };
    };
    let ready: Promise<Loaded> | undefined;
    const runs = new Map<number, Promise<EnsembleRun>>();
    const runFor = async (bits: number): Promise<EnsembleRun> => {
      ready ??= load();
      const l = await ready;
      let r = runs.get(bits);
      if (!r) {
        r = l.ens.runEnsemble(l.floatModel, l.search, {
          members: maxK,
          precision: { weightBits: bits, actBits: o.actBits ?? 8 },
          sampling: o.sampling ?? 'stochastic',
          floatTrain: l.recipe(0),
          bitwiseTrain: l.recipe(o.bitwiseEpochs ?? 2),
          distill: o.distill ?? 0,
          seed,
        });
        runs.set(bits, r);
        r.catch(() => runs.delete(bits)); // a failed training is retried by the next trial, not cached
      }
      return r;
    };
    return async (params: Params, ctx: EvaluationContext): Promise<EvaluationResult> => {
      const K = params.members;
      const bits = params.weightBits;
      if (typeof K !== 'number' || !Number.isInteger(K) || K < 1 || K > maxK)
        throw new ConfigError(`parameter 'members' = ${JSON.stringify(K)}: expected an integer 1..${maxK} (options.members)`);
      if (typeof bits !== 'number' || !s.weightBits.includes(bits))
        throw new ConfigError(`parameter 'weightBits' = ${JSON.stringify(bits)}: expected one of ${JSON.stringify(s.weightBits)}`);
      if (ctx.signal.aborted) throw new Error('evaluation aborted');
      const run = await runFor(bits);
      const { ensembleCost } = await import('../ensemble/cost.js');
      const cost = ensembleCost(target, run.floatModel.graph, run.policy, K);
      const accuracy = run.accuracy.majorityVsMembers[K - 1] as number;
      const metric = { accuracy, latency_ms: cost.sequential.latencyMs, energy_mj: cost.sequential.energyMj };
      const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
      return {
        values: s.objectives.map((m) => metric[m]),
        userAttrs: {
          policy: run.policy as unknown as JsonValue,
          target: target.name,
          memberPrecision: cost.memberPrecision,
          memberAccuracies: run.accuracy.memberAccuracies.slice(0, K) as JsonValue,
          meanSoftmaxAccuracy: run.accuracy.meanVsMembers[K - 1] as number,
          floatAccuracy: run.floatAccuracy,
          w8a8Accuracy: run.w8a8Accuracy,
          latency_ms: cost.sequential.latencyMs,
          energy_mj: finite(cost.sequential.energyMj),
          parallelLatencyMs: cost.parallel.latencyMs,
          memberLatencyMs: cost.member.latencyMs,
          floatLatencyMs: cost.float.latencyMs,
          w8a8LatencyMs: cost.w8a8 ? cost.w8a8.latencyMs : null,
          w8a8EnergyMj: cost.w8a8 ? finite(cost.w8a8.energyMj) : null,
          searchImages: run.testImages,
        },
      };
    };
  },
});
