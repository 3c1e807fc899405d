/**
 * The quantization evaluation for the study machinery (`hwnas quantize`, `hwnas study run|resume`,
 * worker threads, Redis workers), registered on import:
 * - `quant-policy`: a point of a quantization study's bits space (per-layer weight/activation bits, or
 *   CW-HAWQ's channel counts per width) evaluated post-training on the search (validation) images with
 *   activation ranges calibrated on 512 training images, and costed on the target; objective accuracy
 *   (maximise), constraint = budgeted cost - budget. Options: `model` (an hwnas IR .json path, a .onnx
 *   path, or zoo:<name> with seeded untrained weights), `dataset` (spec), `target`, `budget`
 *   ({kind, value} in absolute units), `searchImages` (default 1000), `seed` (zoo weights, default 0),
 *   `channel` ({bits, orders, actBits}: CW-HAWQ's widths, per-layer channel order, activation bits per layer and width),
 *   `maxFaultScore` (a second constraint: the topology resilience predictor's score of the policy at `faultBer` = 1e-5
 *   must not exceed it; issue 14), `protect` (issue 14: the trials' `<layer>.ecc` / `range` parameters choose SEC-DED
 *   ECC per layer and range restriction; their cost on the target (src/resilience/protection.ts) is added to the
 *   budgeted cost and the cost attributes, and the fault score accounts for them; userAttrs.protection names them),
 *   `objectives` (issue 14: accuracy first, then any of latency_ms, energy_mj, size_kb, fault_drop, fault_score,
 *   minimised), `faultDrop` ({ber, runs, images, seed}: the measured drop, weight-fault runs of the deployed QDQ policy
 *   on the first `images` validation images, stratified sampling under one seed for every trial so that policies are
 *   compared on common faults; with ECC-hardened layers independent sampling), `maxFaultDrop` (a constraint on it).
 * The model, data set and tensor engine load on the first trial of each process, once.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { LayerCostAttr } from '../hardware/layer-costs.js';
import { getTarget } from '../hardware/registry.js';
import type { PrecisionPolicy } from '../ir/precision.js';
import type { Graph } from '../ir/types.js';
import { readProtection } from '../quant/strategies/problem.js';
import { predictResilience } from '../resilience/predictor.js';
import { protectionCost, rangeRestrictionPoints, restrictRanges } from '../resilience/protection.js';
import type { JsonValue, Objective } from '../search/types.js';
import type { Evaluator } from '../study/run-study.js';
import { seedSchema } from '../util/seed.js';
import { registerEvaluation } from './registry.js';
import { checkSearchImages } from './search-images.js';
import { parseWith } from './zod-error.js';

const optionsSchema = z
  .object({
    model: z.string().min(1),
    dataset: z.string().min(1),
    target: z.string().min(1),
    budget: z.object({ kind: z.enum(['latency', 'energy', 'size', 'bops']), value: z.number().positive() }).strict(),
    searchImages: z.number().int().min(1).optional(),
    seed: seedSchema.optional(),
    reward: z.enum(['ptq', 'finetune']).optional(),
    finetuneImages: z.number().int().min(1).optional(),
    channel: z
      .object({
        bits: z.array(z.number().int().min(1).max(8)).min(1),
        orders: z.array(z.array(z.number().int().min(0))),
        actBits: z.array(z.array(z.number().int().min(1).max(32))),
        actChannels: z
          .object({ acts: z.array(z.number().int().min(1).max(32)).min(2), orders: z.array(z.array(z.number().int().min(0)).nullable()) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    maxFaultScore: z.number().positive().optional(),
    faultBer: z.number().gt(0).max(1).optional(),
    protect: z.boolean().optional(),
    objectives: z
      .array(z.enum(['accuracy', 'latency_ms', 'energy_mj', 'size_kb', 'fault_drop', 'fault_score']))
      .min(1)
      .optional(),
    faultDrop: z
      .object({
        ber: z.number().gt(0).max(1),
        runs: z.number().int().min(1),
        images: z.number().int().min(1),
        seed: seedSchema,
      })
      .strict()
      .optional(),
    maxFaultDrop: z.number().min(0).max(1).optional(),
  })
  .strict();

/** Options of the `quant-policy` evaluation. */
export type QuantPolicyOptions = z.infer<typeof optionsSchema>;

const OBJECTIVES: readonly Objective[] = [{ name: 'accuracy', direction: 'maximize' }];

/** The study's objectives: accuracy alone by default; with `objectives`, accuracy maximised and every cost minimised. */
function objectivesOf(o: QuantPolicyOptions): Objective[] {
  return o.objectives ? o.objectives.map((name) => ({ name, direction: name === 'accuracy' ? 'maximize' : 'minimize' })) : [...OBJECTIVES];
}

/** [0, 1] at every range-restriction point: a clip node's cost on a target does not depend on its bounds. */
function placeholderBounds(graph: Graph): Map<string, { min: number; max: number }> {
  return new Map(rangeRestrictionPoints(graph).map((p) => [p, { min: 0, max: 1 }] as const));
}

function parse(options: Readonly<Record<string, unknown>>): QuantPolicyOptions {
  return parseWith(optionsSchema, options, "evaluator 'quant-policy' options");
}

registerEvaluation({
  name: 'quant-policy',
  description:
    'per-layer bits (or CW-HAWQ channel counts) of a model: post-training accuracy on validation images, cost on a target, constraint cost - budget (options: model, dataset, target, budget {kind, value}, searchImages = 1000, seed, channel, reward = ptq | finetune (HAQ: accuracy after 1 epoch of QAT on finetuneImages = 2000 training images), maxFaultScore (constraint: the resilience predictor score at faultBer = 1e-5), protect (the trials choose ECC per layer / range restriction, costed on the target), objectives (accuracy first, then latency_ms, energy_mj, size_kb, fault_drop, fault_score), faultDrop {ber, runs, images, seed} (measured weight-fault drop on validation images, common faults for every trial), maxFaultDrop (constraint on it))',
  objectives: (options) => objectivesOf(parse(options)),
  checkData: (options) => checkSearchImages('quant-policy', parse(options)),
  create(options) {
    const o = parse(options);
    const objectives = objectivesOf(o);
    const wantsDrop = objectives.some((x) => x.name === 'fault_drop') || o.maxFaultDrop !== undefined;
    if (wantsDrop && !o.faultDrop)
      throw new ConfigError("evaluator 'quant-policy': the fault_drop objective or maxFaultDrop needs options.faultDrop {ber, runs, images, seed}");
    if (o.objectives && o.objectives[0] !== 'accuracy')
      throw new ConfigError(`evaluator 'quant-policy' options.objectives ${JSON.stringify(o.objectives)}: expected accuracy first`);
    const target = getTarget(o.target);
    if (!o.model.startsWith('zoo:') && !existsSync(o.model))
      throw new ConfigError(
        `evaluator 'quant-policy' options.model = ${JSON.stringify(o.model)}: no such file; expected an hwnas .json, a .onnx file or zoo:<name>`,
      );
    let ready: Promise<Evaluator> | undefined;
    let held: { dispose(): void } | undefined; // the engine model built below: its weights are tensors
    const build = async (): Promise<Evaluator> => {
      const [{ inputNode }, { loadDataset, modelGeometry }, { loadModelSpec }, engine, quant] = await Promise.all([
        import('../ir/shapes.js'),
        import('../data/load.js'),
        import('../onnx/model-source.js'),
        import('../engine/index.js'),
        import('../quant/index.js'),
      ]);
      const model = loadModelSpec(o.model, o.seed ?? 0);
      await engine.initEngine();
      if (target.prepare) await target.prepare(model);
      const shape = inputNode(model.graph).shape;
      const ds = await loadDataset(o.dataset, modelGeometry(shape));
      const fm = engine.buildModel(model);
      held = fm;
      const calibration = quant.calibrateActivations(fm, ds.train.x, Math.min(512, ds.train.n), 'mse');
      // checkData refused a searchImages above the validation count before the study ran (a study stored before that
      // check, or a command's, keeps the cap its stored trials were scored with)
      const k = Math.min(o.searchImages ?? 1000, ds.val.n);
      const per = ds.val.x.length / ds.val.n;
      const searchSet = { x: ds.val.x.subarray(0, k * per), y: ds.val.y.subarray(0, k), n: k };
      const coster = new quant.PolicyCoster(model.graph, target);
      // HAQ's fine-tune reward: one epoch on the first `finetuneImages` training images (default 2000)
      const fk = Math.min(o.finetuneImages ?? 2000, ds.train.n);
      const tper = ds.train.x.length / ds.train.n;
      const finetune =
        o.reward === 'finetune'
          ? { data: { x: ds.train.x.subarray(0, fk * tper), y: ds.train.y.subarray(0, fk), n: fk }, epochs: 1, seed: o.seed ?? 0 }
          : undefined;
      const inner = quant.quantPolicyEvaluator({
        model: fm,
        searchSet,
        calibration,
        coster,
        budget: o.budget,
        ...(o.channel ? { channel: o.channel } : {}),
        ...(finetune ? { finetune } : {}),
      });
      const layers = coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels }));
      if (o.maxFaultScore === undefined && !o.protect && !o.objectives && !wantsDrop) return inner;
      const ber = o.faultBer ?? o.faultDrop?.ber ?? 1e-5;
      // the measured drop (issue 14): weight-fault runs on the first `images` validation images of the deployed
      // (QDQ) policy; stratified sampling with one seed for every trial, so policies are compared on common faults
      const fd = o.faultDrop;
      // checkData refused images above the validation count (a study stored before that check, or quantize's default
      // --fault-images 500, keeps the cap)
      const dropImages = fd ? Math.min(fd.images, ds.val.n) : 0;
      const dropData = { x: ds.val.x.subarray(0, dropImages * per), y: ds.val.y.subarray(0, dropImages), n: dropImages };
      const { runFaultCampaign } = await import('../resilience/campaign.js');
      const kind = o.budget.kind;
      return async (params, ctx) => {
        const r = await inner(params, ctx);
        const policy = r.userAttrs?.policy as unknown as PrecisionPolicy;
        // protection chosen by the trial (issue 14): its cost on the target joins the budgeted cost
        const { hardened, range } = o.protect ? readProtection(layers, params) : { hardened: [], range: false };
        let attrs: Record<string, JsonValue> = { ...r.userAttrs };
        let constraints = [...(r.constraints ?? [])];
        if (range || hardened.length > 0) {
          const restricted = range ? restrictRanges({ graph: model.graph, weights: new Map() }, placeholderBounds(model.graph)).graph : undefined;
          const c = protectionCost(target, model.graph, policy, { ...(restricted ? { restricted } : {}), hardened: new Set(hardened) });
          const extra = { latency: c.latencyMs - c.baseLatencyMs, energy: c.energyMj - c.baseEnergyMj, size: c.extraWeightBytes, bops: 0 };
          constraints = constraints.map((x, i) => (i === 0 ? x + extra[kind] : x));
          const num = (k: string): number => (typeof attrs[k] === 'number' ? (attrs[k] as number) : Number.NaN);
          // the report's per-layer bars add up to the trial's latency: the protection's time is a row of its own
          const row: LayerCostAttr = {
            layer: '(protection)',
            op: 'protection',
            latencyMs: extra.latency,
            energyMj: Number.isFinite(extra.energy) ? extra.energy : null,
          };
          const rows = Array.isArray(attrs.layerCosts) ? attrs.layerCosts : [];
          attrs = {
            ...attrs,
            ...(extra.latency > 0 ? { layerCosts: [...rows, row as unknown as JsonValue] } : {}),
            latency_ms: num('latency_ms') + extra.latency,
            energy_mj: num('energy_mj') + extra.energy,
            size_kb: num('size_kb') + extra.size / 1024,
            protection: { range, hardened, extraLatency: c.extraLatency, extraLatencyMs: extra.latency, extraWeightBytes: c.extraWeightBytes },
          };
        }
        let score = Number.NaN;
        if (o.maxFaultScore !== undefined || objectives.some((x) => x.name === 'fault_score')) {
          // resilience constraint (issue 14): the topology predictor's expected damage of the candidate policy, with its protection
          score = predictResilience(model.graph, policy, ber, model.weights, { rangeRestriction: range, hardened: new Set(hardened) }).score;
          if (o.maxFaultScore !== undefined) constraints = [...constraints, score - o.maxFaultScore];
          attrs = { ...attrs, fault_score: score, fault_ber: ber };
        }
        let drop = Number.NaN;
        if (wantsDrop && fd) {
          const c = await runFaultCampaign({
            model,
            policy,
            data: dropData,
            calibration: { x: ds.train.x, n: Math.min(512, ds.train.n) },
            bers: [fd.ber],
            sites: ['weights'],
            trials: fd.runs,
            seed: fd.seed,
            layerTrials: 0,
            ...(hardened.length > 0 ? { hardened: new Set(hardened) } : { sampling: 'stratified' as const }),
          });
          const row = c.results[0];
          if (!row) throw new Error('fault campaign returned no result');
          drop = c.baselineAccuracy - row.meanAccuracy;
          if (o.maxFaultDrop !== undefined) constraints = [...constraints, drop - o.maxFaultDrop];
          attrs = {
            ...attrs,
            fault_drop: drop,
            fault_ber: fd.ber,
            fault_baseline: c.baselineAccuracy,
            fault_p5: row.p5Accuracy,
            fault_runs: fd.runs,
            fault_images: dropImages,
          };
        }
        const metric = (name: string): number =>
          name === 'accuracy' ? (r.values[0] as number) : name === 'fault_drop' ? drop : name === 'fault_score' ? score : (attrs[name] as number);
        return { ...r, values: objectives.map((x) => metric(x.name)), constraints, userAttrs: attrs };
      };
    };
    const evaluate: Evaluator = async (params, ctx) => {
      ready ??= build();
      return (await ready)(params, ctx);
    };
    // dropped by the process (see BuiltEvaluator): free the model's tensors; a later call builds it again
    const dispose = (): void => {
      held?.dispose();
      held = undefined;
      ready = undefined;
    };
    return Object.assign(evaluate, { dispose });
  },
});
