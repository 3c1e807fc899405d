/**
 * NAS evaluations for the study machinery (`hwnas study create|run|resume`, worker threads, Redis
 * workers), registered on import:
 * - `nas-table`: objective values looked up in a tabular benchmark (options: `space` = 'nb201',
 *   `table` = path of the .csv/.json table, `objectives` = 'accuracy:max,latency_ms:min');
 * - `nas-train`: short real training of each architecture plus its cost on a hardware target (options:
 *   `space` = 'mbv2', `dataset` (required, e.g. 'fashion-mnist'), `target` = 'bitfusion-edge',
 *   `objectives` = 'accuracy:max,latency_ms:min', `epochs` = 1, `limit` = 2000 training images (or a `limit=` in the dataset spec, not both),
 *   `policy` = precision preset for latency, e.g. 'w8a8').
 * Both default the study's space to the architecture space's parameters, so a config needs only the
 * evaluator, the strategy and the budget. Heavy parts (table file, data set, tensor engine) load on
 * the first trial of each process, once.
 */
import { z } from 'zod';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';
import { policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { spaceInputShape } from '../search/spaces/types.js';
import type { Objective } from '../search/types.js';
import type { Evaluator } from '../study/run-study.js';
import { parseObjectives } from '../nas/objectives.js';
import { loadNasTable, tabularEvaluator } from '../nas/tabular.js';

const DEFAULT_OBJECTIVES = 'accuracy:max,latency_ms:min';

const tableOptions = z
  .object({
    space: z.string().min(1).optional(),
    table: z.string().min(1),
    objectives: z.string().min(1).optional(),
  })
  .strict();

const trainOptions = z
  .object({
    space: z.string().min(1).optional(),
    dataset: z.string().min(1),
    target: z.string().min(1).optional(),
    objectives: z.string().min(1).optional(),
    epochs: z.number().int().min(1).max(1000).optional(),
    limit: z.number().int().min(1).optional(),
    policy: z.string().min(1).optional(),
  })
  .strict();

/** Lazily builds an evaluator on the first call, once per process (concurrent first calls share it). */
function lazy(build: () => Promise<Evaluator>): Evaluator {
  let ready: Promise<Evaluator> | undefined;
  return async (params, ctx) => {
    ready ??= build();
    return (await ready)(params, ctx);
  };
}

const objectivesOf = (spec: string | undefined): Objective[] => parseObjectives(spec ?? DEFAULT_OBJECTIVES);
const tableOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof tableOptions> => parseWith(tableOptions, o, "evaluator 'nas-table' options");
const trainOpts = (o: Readonly<Record<string, unknown>>): z.infer<typeof trainOptions> => parseWith(trainOptions, o, "evaluator 'nas-train' options");

registerEvaluation({
  name: 'nas-table',
  description: "architecture looked up in a tabular NAS benchmark (options: space = 'nb201', table = <file .csv|.json>, objectives = 'accuracy:max,latency_ms:min')",
  objectives(options) {
    return objectivesOf(tableOpts(options).objectives);
  },
  defaultSpace(options) {
    return getArchSpace(tableOpts(options).space ?? 'nb201').space;
  },
  create(options) {
    const o = tableOpts(options);
    const space = getArchSpace(o.space ?? 'nb201');
    const objectives = objectivesOf(o.objectives);
    // read and check the table now: a bad file or a missing column fails the study before any trial
    return tabularEvaluator(loadNasTable(o.table, space), objectives);
  },
});

registerEvaluation({
  name: 'nas-train',
  description: "architecture trained briefly and costed on a target (options: space = 'mbv2', dataset (required), target = 'bitfusion-edge', objectives = 'accuracy:max,latency_ms:min', epochs = 1, limit = 2000, policy)",
  objectives(options) {
    return objectivesOf(trainOpts(options).objectives);
  },
  defaultSpace(options) {
    return getArchSpace(trainOpts(options).space ?? 'mbv2').space;
  },
  create(options) {
    const o = trainOpts(options);
    const space = getArchSpace(o.space ?? 'mbv2');
    const objectives = objectivesOf(o.objectives);
    const target = getTarget(o.target ?? 'bitfusion-edge');
    const policy = o.policy !== undefined ? policyPreset(o.policy) : undefined;
    return lazy(async () => {
      const { nasDatasetOptions } = await import('../nas/run.js');
      const { loadDataset } = await import('../data/load.js');
      // same data rules as `hwnas nas`: the spec's own options kept, limit from the spec or `limit`, loaded at the space's largest input size
      const d = nasDatasetOptions(o.dataset, o.limit, spaceInputShape(space));
      const dataset = await loadDataset(d.spec, d.options);
      const { trainingEvaluator } = await import('../nas/train-eval.js'); // loads the tensor engine
      return trainingEvaluator({ space, dataset, target, objectives, epochs: o.epochs ?? 1, ...(policy ? { policy } : {}) });
    });
  },
});
