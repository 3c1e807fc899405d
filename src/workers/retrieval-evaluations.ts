/**
 * The CMP-NAS evaluation (S7) for the study machinery, registered on import:
 * - `nas-retrieval`: an architecture of an mbv2-style space trained briefly and compatibly with a frozen
 *   gallery (paragon) retrieval model, then scored by cross-model retrieval: the validation split embedded
 *   by the trial's query model against the training split embedded by the gallery model (mAP, recall@1,
 *   recall@5), and costed on a hardware target. Options: `space` = 'mbv2', `dataset` (required),
 *   `gallery` (required: path of the gallery model's .onnx), `target` = 'bitfusion-edge', `objectives` =
 *   'map:max,latency_ms:min', `epochs` = 1, `limit` = 2000 training images, `lr`, `loss` = 'norm-softmax',
 *   `alignWeight` = 1, `policy`, `latency` = 'model' | 'network', `maxLatencyMs`.
 * The gallery model, data set and tensor engine load on the first trial of each process, once; the
 * gallery embeddings are computed once per process.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseObjectives } from '../nas/objectives.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { RETRIEVAL_LOSSES } from '../tasks/retrieval.js';
import { commonTrain, lazy, trainCommon } from './nas-evaluations.js';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';

/** Default objectives of a retrieval search. */
export const RETRIEVAL_OBJECTIVES = 'map:max,latency_ms:min';

const optionsSchema = z
  .object({
    ...commonTrain,
    gallery: z.string().min(1),
    epochs: z.number().int().min(1).max(1000).optional(),
    lr: z.number().positive().optional(),
    loss: z.enum(RETRIEVAL_LOSSES).optional(),
    alignWeight: z.number().min(0).optional(),
  })
  .strict();

const opts = (o: Readonly<Record<string, unknown>>): z.infer<typeof optionsSchema> => parseWith(optionsSchema, o, "evaluator 'nas-retrieval' options");

registerEvaluation({
  name: 'nas-retrieval',
  description:
    "CMP-NAS: architecture trained compatibly with a frozen gallery retrieval model and scored by cross-model mAP (options: space = 'mbv2', dataset, gallery = <g.onnx> (required), target, objectives = 'map:max,latency_ms:min', epochs = 1, limit = 2000)",
  objectives(options) {
    return parseObjectives(opts(options).objectives ?? RETRIEVAL_OBJECTIVES);
  },
  defaultSpace(options) {
    return getArchSpace(opts(options).space ?? 'mbv2').space;
  },
  create(options) {
    const o = opts(options);
    const { loadData, space, ...c } = trainCommon(o, RETRIEVAL_OBJECTIVES);
    if (!space.options)
      throw new ConfigError(`evaluator 'nas-retrieval' options.space = '${space.name}': expected an mbv2-style space (mbv2, mbv2-micro, mbv2-mbnet)`);
    if (!existsSync(o.gallery))
      throw new ConfigError(`evaluator 'nas-retrieval' options.gallery = '${o.gallery}': file not found (expected a retrieval model .onnx)`);
    return lazy(async () => {
      const { loadOnnx } = await import('../onnx/import.js');
      const { galleryModel, retrievalEvaluator } = await import('../nas/retrieval.js'); // loads the tensor engine
      const dataset = await loadData();
      return retrievalEvaluator({
        ...c,
        space,
        dataset,
        gallery: galleryModel(loadOnnx(o.gallery), o.gallery),
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        ...(o.lr !== undefined ? { lr: o.lr } : {}),
        ...(o.loss !== undefined ? { loss: o.loss } : {}),
        ...(o.alignWeight !== undefined ? { alignWeight: o.alignWeight } : {}),
      });
    });
  },
});
