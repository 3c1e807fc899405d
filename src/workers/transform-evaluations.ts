/**
 * `hant-student`: one trial of HANT's selection study (`hwnas transform`), registered on import.
 * Options: `dir` (required: the absolute path of the screening folder `hwnas transform` wrote, see
 * src/transform/screening.ts; a Redis worker on another machine needs it on a shared disk at the same
 * path), `target` (target spec; default the one named in the screening), `delayMs`.
 * Params: one per unit, the chosen alternative's name. Returns [validation accuracy of the assembled
 * student after batch-norm recalibration, before fine-tuning; network latency in ms] with the constraint
 * latency - budget. The screening files and the tensor engine load on the first trial of each process.
 */
import { z } from 'zod';
import { getTarget } from '../hardware/registry.js';
import type { Evaluator } from '../study/run-study.js';
import { HANT_OBJECTIVES, ilpOptions, loadScreening, readManifest } from '../transform/screening.js';
import { hantSpace } from '../transform/strategies/hant-ilp.js';
import { delay } from './builtin.js';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';

const options = z
  .object({
    dir: z.string().min(1),
    target: z.string().min(1).optional(),
    delayMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();

const parse = (o: Readonly<Record<string, unknown>>): z.infer<typeof options> => parseWith(options, o, "evaluator 'hant-student' options");

registerEvaluation({
  name: 'hant-student',
  description:
    'HANT selection trial: the student assembled from a screening folder, validation accuracy (before fine-tuning) and latency on the target, constraint latency - budget (options: dir (required), target, delayMs)',
  objectives(o) {
    parse(o);
    return HANT_OBJECTIVES.map((x) => ({ ...x }));
  },
  defaultSpace(o) {
    return hantSpace(ilpOptions(readManifest(parse(o).dir)));
  },
  create(o) {
    const opts = parse(o);
    let ready: Promise<Evaluator> | undefined;
    const build = async (): Promise<Evaluator> => {
      const s = loadScreening(opts.dir);
      const target = getTarget(opts.target ?? s.manifest.target);
      const { initEngine } = await import('../engine/backend.js');
      await initEngine();
      const { evaluateSelection } = await import('../transform/selection.js');
      return (params) => evaluateSelection(s, target, params);
    };
    return async (params, ctx) => {
      await delay(opts.delayMs ?? 0, ctx.signal);
      ready ??= build();
      return (await ready)(params, ctx);
    };
  },
});
