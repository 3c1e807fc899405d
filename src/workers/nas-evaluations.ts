/**
 * NAS evaluations for the study machinery (`hwnas study create|run|resume`, worker threads, Redis
 * workers), registered on import:
 * - `nas-table`: objective values looked up in a tabular benchmark (options: `space` = 'nb201',
 *   `table` = path of the .csv/.json table, `objectives` = 'accuracy:max,latency_ms:min', `delayMs` = 0:
 *   a pause per lookup, to try interruption and remote workers on a table; `maxLatencyMs`: trials whose
 *   `latencyColumn` = 'latency_ms' value is above it are infeasible; `columns`: a column mapping 'metric=column[%],...'
 *   the table is read with, src/nas/tabular.ts parseTableColumns; `tableSha256`: the table's content hash, refused
 *   when the file has other content (table-hash.ts; `hwnas study run|resume` passes the study's));
 * - `nas-train`: short real training of each architecture plus its cost on a hardware target (options:
 *   `space` = 'mbv2', `dataset` (required, e.g. 'fashion-mnist'), `target` = 'bitfusion-edge',
 *   `objectives` = 'accuracy:max,latency_ms:min', `epochs` = 1, `limit` = 2000 training images (or a `limit=` in the dataset spec, not both),
 *   `policy` = precision preset for latency, e.g. 'w8a8', `latency` = 'model' | 'network' (whole network
 *   timed on the target's device, host-cpu), `latencyAnchor` = true (network mode: timed interleaved with
 *   a fixed point of the space), `maxLatencyMs` (constraint: trials above it are infeasible); joint `+bits` spaces:
 *   `scoring` = 'qaft' (float training, calibrated activations, `qaftEpochs` = 1 of quantization-aware
 *   fine-tuning) | 'ptq' (post-training quantization of the float-trained net)); resilience (issue 14): objectives
 *   `fault_drop` (a small weight-fault injection per trial) and `fault_score` (the topology predictor), options
 *   `faultBer` = 1e-5, `faultRuns` = 5, `faultImages` = 1000, `maxFaultDrop` (constraint, accuracy fraction), `protect` = 'ecc'
 *   (each trial's `ecc_share` parameter hardens that share of its layers with ECC, costed on the target);
 * - `nas-supernet`: the options of `nas-train` (but `epochs`) plus `steps` = 1000, `seed` = 0, `sampling` =
 *   'uniform' | 'macs-bins' (SPOS's cost-binned path sampling) and `bnImages` = 512: one SPOS supernet over the
 *   (mbv2) space is trained per process, then every trial is scored with inherited weights after batch-norm
 *   recalibration on `bnImages` training images;
 * - `nas-blockwise`: a block-wise (S8) student assembled from the teacher and the distilled stage weights
 *   of `artifact` (the folder `hwnas nas --strategy blockwise` prepared), fine-tuned `finetuneEpochs` = 1
 *   and scored on the validation split (options: those of nas-train but epochs and latency, plus `artifact`).
 * Both default the study's space to the architecture space's parameters, so a config needs only the
 * evaluator, the strategy and the budget. Heavy parts (table file, data set, tensor engine) load on
 * the first trial of each process, once.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import type { ArchLatencyOptions } from '../nas/cost.js';
import { ECC_SHARE_PARAM, ECC_SHARES, parseObjectives } from '../nas/objectives.js';
import { type NasTable, parseNasTable, parseTableColumns, type TableColumn, tableCheapObjectives, tabularEvaluator } from '../nas/tabular.js';
import { SearchSpace } from '../search/space.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { spaceInputShape } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { Evaluator } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import { seedSchema } from '../util/seed.js';
import { registerEvaluation } from './registry.js';
import { checkSha256, SHA256_HEX, sha256Hex } from './table-hash.js';
import { parseWith } from './zod-error.js';

const DEFAULT_OBJECTIVES = 'accuracy:max,latency_ms:min';

const tableOptions = z
  .object({
    space: z.string().min(1).optional(),
    table: z.string().min(1),
    objectives: z.string().min(1).optional(),
    delayMs: z.number().int().min(0).max(60_000).optional(),
    maxLatencyMs: z.number().positive().optional(),
    latencyColumn: z.string().min(1).optional(),
    columns: z.string().min(1).optional(),
    /** sha256 of the table the study was created with: a table of other content is refused (table-hash.ts). */
    tableSha256: z.string().regex(SHA256_HEX, 'expected 64 lowercase hex digits (a sha256)').optional(),
  })
  .strict();

/** Options shared by the training-based NAS evaluations (nas-train, nas-supernet, nas-retrieval in retrieval-evaluations.ts). */
export const commonTrain = {
  space: z.string().min(1).optional(),
  dataset: z.string().min(1),
  target: z.string().min(1).optional(),
  objectives: z.string().min(1).optional(),
  limit: z.number().int().min(1).optional(),
  policy: z.string().min(1).optional(),
  latency: z.enum(['model', 'network']).optional(),
  latencyAnchor: z.boolean().optional(),
  maxLatencyMs: z.number().positive().optional(),
};

const commonTrainSchema = z.object(commonTrain);
/** What {@link trainCommon} reads (evaluations with fewer options, e.g. nas-blockwise, fit too). */
export type CommonTrainOptions = z.infer<typeof commonTrainSchema>;

const trainOptions = z
  .object({
    ...commonTrain,
    epochs: z.number().int().min(1).max(1000).optional(),
    scoring: z.enum(['qaft', 'ptq']).optional(),
    qaftEpochs: z.number().int().min(0).max(1000).optional(),
    faultBer: z.number().gt(0).max(1).optional(),
    faultRuns: z.number().int().min(1).max(10_000).optional(),
    faultImages: z.number().int().min(1).optional(),
    maxFaultDrop: z.number().min(0).max(1).optional(),
    protect: z.enum(['ecc']).optional(),
  })
  .strict();

/** The study space of `nas-train`: the architecture space's parameters, plus `ecc_share` with `protect: 'ecc'` (issue 14). */
function trainSpace(o: z.infer<typeof trainOptions>): SearchSpace {
  const base = getArchSpace(o.space ?? 'mbv2').space;
  if (!o.protect) return base;
  return new SearchSpace({ ...base.params, [ECC_SHARE_PARAM]: { kind: 'categorical', choices: [...ECC_SHARES] } });
}

const blockwiseOptions = z
  .object({
    space: commonTrain.space,
    dataset: commonTrain.dataset,
    target: commonTrain.target,
    objectives: commonTrain.objectives,
    limit: commonTrain.limit,
    policy: commonTrain.policy,
    maxLatencyMs: commonTrain.maxLatencyMs,
    artifact: z.string().min(1),
    finetuneEpochs: z.number().int().min(0).max(1000).optional(),
  })
  .strict();

const supernetOptions = z
  .object({
    ...commonTrain,
    steps: z.number().int().min(1).max(10_000_000).optional(),
    sampling: z.enum(['uniform', 'macs-bins']).optional(),
    bnImages: z.number().int().min(1).max(1_000_000).optional(),
    seed: seedSchema.optional(),
  })
  .strict();

/** Lazily builds an evaluator on the first call, once per process (concurrent first calls share it). */
export function lazy(build: () => Promise<Evaluator>): Evaluator {
  let ready: Promise<Evaluator> | undefined;
  return async (params, ctx) => {
    ready ??= build();
    return (await ready)(params, ctx);
  };
}

/** The `columns` mapping of a nas-table evaluation (`hwnas nas --table-columns`, or the space's default), parsed. */
const tableColumns = (o: { columns?: string | undefined }): TableColumn[] | undefined =>
  o.columns === undefined ? undefined : parseTableColumns(o.columns, "evaluator 'nas-table' option columns");
const objectivesOf = (spec: string | undefined): Objective[] => parseObjectives(spec ?? DEFAULT_OBJECTIVES);
/** The parsed options of a nas-table evaluation. */
const tableOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof tableOptions> => parseWith(tableOptions, o, "evaluator 'nas-table' options");

/** The last table {@link checkedTable} parsed: a study's cheap objectives and its evaluator are built one after the other. */
let lastTable: { readonly key: string; readonly table: NasTable } | undefined;

/**
 * The table of a nas-table evaluation. The file is read and hashed on every call, and (with `tableSha256`) refused
 * unless its content has that sha256; the parse is reused while the content hash (and the space and columns) are the
 * last call's, so a study's cheap objectives and its evaluator parse the table once but each checks what it reads.
 */
function checkedTable(o: z.infer<typeof tableOptions>): NasTable {
  const space = getArchSpace(o.space ?? 'nb201');
  let bytes: Buffer;
  try {
    bytes = readFileSync(o.table);
  } catch {
    throw new ConfigError(`NAS table file '${o.table}' cannot be read`);
  }
  const sha = sha256Hex(bytes);
  if (o.tableSha256 !== undefined) checkSha256(o.table, sha, o.tableSha256, "evaluator 'nas-table'");
  const key = JSON.stringify([resolve(o.table), sha, space.name, o.columns ?? null]);
  if (lastTable?.key === key) return lastTable.table;
  const table = parseNasTable(bytes.toString('utf8'), o.table, space, tableColumns(o));
  lastTable = { key, table };
  return table;
}
const trainOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof trainOptions> => parseWith(trainOptions, o, "evaluator 'nas-train' options");
const supernetOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof supernetOptions> =>
  parseWith(supernetOptions, o, "evaluator 'nas-supernet' options");

const blockwiseOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof blockwiseOptions> =>
  parseWith(blockwiseOptions, o, "evaluator 'nas-blockwise' options");

/**
 * Plain progress lines on stderr while the supernet trains (its first trial waits for it: ~90 s at the
 * default 1000 steps), one per tenth; none when HWNAS_QUIET_PROGRESS=1 (the CLI sets it for `--json`
 * with a redirected stderr, so `--json 2>&1` stays parseable).
 */
function supernetProgress(steps: number): (p: { step: number; loss: number }) => void {
  const every = Math.max(1, Math.ceil(steps / 10));
  const t0 = performance.now();
  let recent: number[] = [];
  return ({ step, loss }) => {
    recent.push(loss);
    const done = step + 1;
    if (done % every !== 0 && done !== steps) return;
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    recent = [];
    if (process.env.HWNAS_QUIET_PROGRESS === '1') return;
    process.stderr.write(`supernet training ${done}/${steps} loss=${mean.toFixed(4)} ${((performance.now() - t0) / 1000).toFixed(0)}s\n`);
  };
}

/** What the training and supernet evaluators share: space, objectives, target, policy, latency mode and constraint, and the data set (loaded lazily). */
export function trainCommon(o: CommonTrainOptions, defaultObjectives = DEFAULT_OBJECTIVES) {
  const space = getArchSpace(o.space ?? 'mbv2');
  const objectives = parseObjectives(o.objectives ?? defaultObjectives);
  const target = getTarget(o.target ?? 'bitfusion-edge');
  const policy = o.policy !== undefined ? policyPreset(o.policy) : undefined;
  const mode = ('latency' in o ? o.latency : undefined) ?? 'model';
  // network timing: a fixed point of the space (seeded) is timed with every architecture, against drift
  const latency: ArchLatencyOptions =
    mode === 'network' && !('latencyAnchor' in o && o.latencyAnchor === false)
      ? { mode, anchor: space.graph(space.fromParams(space.space.sample(new Rng(0)))) }
      : { mode };
  const loadData = async () => {
    const { loadSearchDataset } = await import('../nas/data.js');
    // same data rules as `hwnas nas`: the spec's own options kept, limit from the spec or `limit`, loaded at the space's
    // largest input size; the process's one load (`hwnas nas` loaded it before creating the study)
    return loadSearchDataset(o.dataset, o.limit, spaceInputShape(space));
  };
  return {
    space,
    objectives,
    target,
    latency,
    loadData,
    ...(policy ? { policy } : {}),
    ...(o.maxLatencyMs !== undefined ? { maxLatencyMs: o.maxLatencyMs } : {}),
  };
}

registerEvaluation({
  name: 'nas-table',
  description:
    "architecture looked up in a tabular NAS benchmark (options: space = 'nb201', table = <file .csv|.json>, objectives = 'accuracy:max,latency_ms:min', maxLatencyMs: the latency line, tableSha256: the content the table must have)",
  objectives(options) {
    return objectivesOf(tableOpts(options).objectives);
  },
  defaultSpace(options) {
    return getArchSpace(tableOpts(options).space ?? 'nb201').space;
  },
  archSpace: (options) => getArchSpace(tableOpts(options).space ?? 'nb201').name,
  cheapObjectives(options) {
    // the table's cost columns (latency, size, ...): a lookup, not a query
    const o = tableOpts(options);
    return tableCheapObjectives(checkedTable(o), objectivesOf(o.objectives));
  },
  create(options) {
    const o = tableOpts(options);
    const objectives = objectivesOf(o.objectives);
    // read and check the table now: a bad file or a missing column fails the study before any trial
    const constraint =
      o.maxLatencyMs !== undefined ? { maxMs: o.maxLatencyMs, ...(o.latencyColumn !== undefined ? { column: o.latencyColumn } : {}) } : undefined;
    const look = tabularEvaluator(checkedTable(o), objectives, constraint);
    const delay = o.delayMs ?? 0;
    if (delay === 0) return look;
    return async (params, ctx) => {
      await new Promise((r) => setTimeout(r, delay));
      return look(params, ctx);
    };
  },
});

registerEvaluation({
  name: 'nas-train',
  description:
    "architecture trained briefly and costed on a target (options: space = 'mbv2', dataset (required), target = 'bitfusion-edge', objectives = 'accuracy:max,latency_ms:min', epochs = 1, limit = 2000, policy)",
  objectives(options) {
    return objectivesOf(trainOpts(options).objectives);
  },
  defaultSpace(options) {
    return trainSpace(trainOpts(options));
  },
  archSpace: (options) => getArchSpace(trainOpts(options).space ?? 'mbv2').name,
  async cheapObjectives(options) {
    // the target's cost model and the graph's size: no training (the data set gives the graph's channels and classes)
    const o = trainOpts(options);
    if (o.protect) return undefined; // the ECC cost depends on the trial's protection choice: not a cheap objective
    const { loadData, ...c } = trainCommon(o);
    const { trainCheapObjectives } = await import('../nas/train-eval.js');
    const probe = trainCheapObjectives({ ...c, shape: [1, 1, 1], classes: 2 });
    if (!probe) return undefined; // no cost objective: fail before loading data
    const d = await loadData();
    return trainCheapObjectives({ ...c, shape: d.shape, classes: d.numClasses });
  },
  create(options) {
    const o = trainOpts(options);
    const { loadData, ...c } = trainCommon(o);
    return lazy(async () => {
      const dataset = await loadData();
      const { trainingEvaluator } = await import('../nas/train-eval.js'); // loads the tensor engine
      return trainingEvaluator({
        ...c,
        dataset,
        epochs: o.epochs ?? 1,
        ...(o.scoring ? { scoring: o.scoring } : {}),
        ...(o.qaftEpochs !== undefined ? { qaftEpochs: o.qaftEpochs } : {}),
        faults: {
          ...(o.faultBer !== undefined ? { ber: o.faultBer } : {}),
          ...(o.faultRuns !== undefined ? { runs: o.faultRuns } : {}),
          ...(o.faultImages !== undefined ? { images: o.faultImages } : {}),
          ...(o.maxFaultDrop !== undefined ? { maxDrop: o.maxFaultDrop } : {}),
        },
        ...(o.protect ? { protect: o.protect } : {}),
      });
    });
  },
});

registerEvaluation({
  name: 'nas-supernet',
  description:
    'architecture scored with weights inherited from one SPOS supernet trained per process (mbv2 spaces; options: those of nas-train but epochs, plus steps = 1000, seed = 0)',
  objectives(options) {
    return objectivesOf(supernetOpts(options).objectives);
  },
  defaultSpace(options) {
    return getArchSpace(supernetOpts(options).space ?? 'mbv2').space;
  },
  archSpace: (options) => getArchSpace(supernetOpts(options).space ?? 'mbv2').name,
  create(options) {
    const o = supernetOpts(options);
    const { loadData, ...c } = trainCommon(o);
    if (!c.space.options)
      throw new ConfigError(
        `evaluator 'nas-supernet' options.space = '${c.space.name}': expected an mbv2-style space (mbv2, mbv2-micro, mbv2-mbnet, mbv2-imagenet)`,
      );
    return lazy(async () => {
      const dataset = await loadData();
      const { supernetEvaluator } = await import('../nas/supernet.js'); // loads the tensor engine
      return supernetEvaluator({
        ...c,
        dataset,
        steps: o.steps ?? 1000,
        seed: o.seed ?? 0,
        ...(o.sampling ? { sampling: o.sampling } : {}),
        ...(o.bnImages !== undefined ? { calibSamples: o.bnImages } : {}),
        onTrainStep: supernetProgress(o.steps ?? 1000),
      });
    });
  },
});

registerEvaluation({
  name: 'nas-blockwise',
  description:
    'block-wise (S8) student assembled from a teacher and distilled stage weights (options.artifact), fine-tuned briefly and scored on the validation split (mbv2 spaces)',
  objectives(options) {
    return objectivesOf(blockwiseOpts(options).objectives);
  },
  defaultSpace(options) {
    return getArchSpace(blockwiseOpts(options).space ?? 'mbv2').space;
  },
  create(options) {
    const o = blockwiseOpts(options);
    const { loadData, latency: _model, ...c } = trainCommon(o);
    return lazy(async () => {
      const dataset = await loadData();
      const { blockwiseEvaluator, loadBlockwiseArtifact } = await import('../nas/blockwise-study.js'); // loads the tensor engine
      return blockwiseEvaluator({
        ...c,
        dataset,
        artifact: loadBlockwiseArtifact(o.artifact),
        ...(o.finetuneEpochs !== undefined ? { finetuneEpochs: o.finetuneEpochs } : {}),
      });
    });
  },
});
