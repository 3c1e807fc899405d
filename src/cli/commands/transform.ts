import { requireImagesInSplit, requireScoredSplit } from '../../data/split.js';
import { ConfigError, InfeasibleError } from '../../errors.js';
import { getTarget, policyPreset } from '../../hardware/index.js';
import { saveOnnx } from '../../onnx/index.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import type { JsonValue } from '../../search/types.js';
import { DEFAULT_STORE_PATH } from '../../store/sqlite-store.js';
import { ALT_FAMILIES, type AltFamily } from '../../transform/alternatives.js';
import type { FinetuneOptions, LatencyBudget } from '../../transform/hant.js';
import { bestHantTrial, choiceOf, HANT_OBJECTIVES, type HantScreening, ilpOptions, loadScreening, saveScreening } from '../../transform/screening.js';
import { hantSpace } from '../../transform/strategies/hant-ilp.js';
import { formatTable } from '../../util/table.js';
import { checkOutPath, floatOption, interruptible, intOption, printJson, seedOption } from '../io.js';
import { createProgress } from '../progress.js';
import { openCommandStudy, openStore, runConfiguredStudy } from './study.js';
import { studyFilePath } from './study-files.js';
import { datasetForModel, sayWhereOnInterrupt, trainedModel } from './train.js';

/** Parses `--budget latency=0.5x` (ratio of the teacher's latency) or `latency=1.2ms` (absolute). */
export function parseLatencyBudget(s: string): LatencyBudget {
  const m = /^latency=([0-9]*\.?[0-9]+(?:e-?\d+)?)(x|ms)$/.exec(s.trim());
  const v = m ? Number(m[1]) : NaN;
  if (!m || !(v > 0)) throw new ConfigError(`--budget '${s}' is invalid: expected latency=<ratio>x (e.g. latency=0.5x) or latency=<ms>ms (e.g. latency=1.2ms)`);
  return m[2] === 'x' ? { ratio: v } : { ms: v };
}

interface TransformFlags {
  readonly dataset: string;
  readonly target: string;
  readonly budget: string;
  readonly out?: string;
  readonly precision?: string;
  readonly steps?: string;
  readonly distillSamples?: string;
  readonly distillLr?: string;
  readonly families?: string;
  readonly units?: string;
  readonly finetuneEpochs?: string;
  readonly finetuneLr?: string;
  readonly finetuneLoss?: string;
  readonly finetuneLabelSmoothing?: string;
  readonly kdWeight?: string;
  readonly refine?: string;
  readonly scoring?: string;
  readonly refineSteps?: string;
  readonly refineLr?: string;
  readonly limit?: string;
  readonly trainEpochs?: string;
  readonly seed?: string;
  readonly trials?: string;
  readonly valSamples?: string;
  readonly store?: string;
  readonly study?: string;
  readonly threads?: string;
  readonly redis?: string;
  readonly json?: boolean;
}

/** The action of the command registered in src/cli/register/transform.ts (imported when that command runs). */
export const transformAction = async (spec: string, f: TransformFlags) => {
  const budget = parseLatencyBudget(f.budget);
  const seed = seedOption(f.seed);
  const target = getTarget(f.target);
  const families = f.families?.split(',').map((s) => s.trim());
  for (const fam of families ?? []) {
    if (!(ALT_FAMILIES as readonly string[]).includes(fam))
      throw new ConfigError(`--families: unknown family '${fam}': expected some of ${ALT_FAMILIES.join(', ')}`);
  }
  const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
  const epochs = intOption('--finetune-epochs', f.finetuneEpochs, 4, 0);
  const steps = intOption('--steps', f.steps, 40, 1);
  const distillSamples = intOption('--distill-samples', f.distillSamples, 1024, 1);
  const distillLr = floatOption('--distill-lr', f.distillLr, 3e-2, 0);
  if (!(distillLr > 0)) throw new ConfigError(`--distill-lr ${distillLr}: expected a value > 0`);
  const refineLr = floatOption('--refine-lr', f.refineLr, 1e-2, 0);
  if (!(refineLr > 0)) throw new ConfigError(`--refine-lr ${refineLr}: expected a value > 0`);
  const finetuneLr = floatOption('--finetune-lr', f.finetuneLr, 3e-3, 0);
  const finetuneLoss = f.finetuneLoss ?? 'labels';
  if (finetuneLoss !== 'labels' && finetuneLoss !== 'logits' && finetuneLoss !== 'kd')
    throw new ConfigError(`--finetune-loss '${finetuneLoss}': expected labels, logits or kd`);
  const ftLs = floatOption('--finetune-label-smoothing', f.finetuneLabelSmoothing, 0.1, 0);
  if (ftLs >= 1) throw new ConfigError(`--finetune-label-smoothing ${ftLs}: expected a value in [0, 1)`);
  const kdWeight = floatOption('--kd-weight', f.kdWeight, 0.5, 0);
  if (kdWeight > 1) throw new ConfigError(`--kd-weight ${kdWeight}: expected a value in [0, 1]`);
  const refineSteps = intOption('--refine-steps', f.refineSteps, 150, 0);
  const refine = f.refine ?? 'pareto';
  const scoring = f.scoring ?? 'local';
  if (scoring !== 'local' && scoring !== 'network') throw new ConfigError(`--scoring '${scoring}': expected local or network`);
  if (refine !== 'pareto' && refine !== 'chosen') throw new ConfigError(`--refine '${refine}': expected pareto or chosen`);
  const precision = f.precision ? policyPreset(f.precision) : undefined;
  if (f.out !== undefined)
    checkOutPath('--out', f.out, [
      ['model', spec],
      ['--store', f.store ?? DEFAULT_STORE_PATH],
    ]);
  const trainEpochs = intOption('--train-epochs', f.trainEpochs, 2, 1);
  const trials = intOption('--trials', f.trials, 1, 1);
  const valSamples = intOption('--val-samples', f.valSamples, 1000, 1);
  const threads = intOption('--threads', f.threads, 0, 0);
  const unitList = f.units ? f.units.split(',').map((s) => s.trim()) : undefined;
  const quiet = !!f.json;
  const log = (m: string): void => {
    if (!quiet) process.stderr.write(`${m}\n`);
  };
  // what the selection study depends on (fine-tuning and the output belong to the final stage, not to the study)
  const settings: Record<string, JsonValue> = {
    model: spec,
    dataset: f.dataset,
    target: f.target,
    budget: f.budget,
    precision: f.precision ?? null,
    steps,
    distillSamples,
    distillLr,
    families: families ?? null,
    units: unitList ?? null,
    refine: refineSteps > 0 ? refine : null,
    refineSteps,
    refineLr: refineSteps > 0 ? refineLr : null,
    ...(scoring === 'network' ? { scoring } : {}),
    limit: limit ?? null,
    trainEpochs,
    valSamples,
    seed,
  };
  const t0 = performance.now();
  const { screenHant, finishHant, choiceText, planHant } = await import('../../transform/hant.js');
  // before any training: the units, the budget (latency needs no trained weights) and the data set's test split
  const untrained = loadModelSpec(spec, seed);
  planHant(untrained, {
    target,
    budget,
    ...(precision ? { policy: precision } : {}),
    ...(families ? { families: families as AltFamily[] } : {}),
    ...(unitList ? { units: unitList } : {}),
    refine,
  });
  const data = await datasetForModel(f.dataset, untrained, limit, spec);
  // trials are scored on validation images (and --scoring network's held-out loss), the result on test images
  requireScoredSplit(data.val, 'validation', `--dataset '${f.dataset}'`);
  requireScoredSplit(data.test, 'test', `--dataset '${f.dataset}'`);
  if (f.valSamples !== undefined) requireImagesInSplit(valSamples, '--val-samples', data.val, 'validation', `--dataset '${f.dataset}'`);
  // distillation reads the first --distill-samples training images: an explicit count above them is refused (the default, 1024, takes what there is)
  if (f.distillSamples !== undefined)
    requireImagesInSplit(
      distillSamples,
      '--distill-samples',
      data.train,
      'training',
      `--dataset '${f.dataset}'${limit !== undefined ? ` with --limit ${limit}` : ''}`,
    );
  const { initEngine } = await import('../../engine/index.js');
  await initEngine();
  const storePath = f.store ?? DEFAULT_STORE_PATH;
  const store = openStore(f.store);
  try {
    let screened: HantScreening | undefined;
    const prefix = `transform-${spec
      .replace(/^zoo:/, '')
      .replace(/^.*[\\/]/, '')
      .replace(/\.(onnx|json)$/, '')}`;
    // Ctrl-C before the study exists (training a zoo teacher, the screening) stops at once, saying that nothing is
    // stored: the study is created once the screening is saved, so the same command starts over
    const nothingStored = `nothing is stored (the study is created once the screening is saved): the same command starts it again`;
    const early = sayWhereOnInterrupt('while opening the study', nothingStored);
    const cs = await openCommandStudy(store, {
      storePath,
      prefix,
      ...(f.study !== undefined ? { name: f.study } : {}),
      settings,
      nTrials: trials,
      prepare: async (name, uid) => {
        // keyed by the study's uid: a study of this name in another store of the folder has its own screening
        const dir = studyFilePath(storePath, 'transform', name, uid);
        log(`study ${name}: new; screening the alternatives once (saved in ${dir})`);
        // a zoo model is trained first (a teacher with random weights teaches nothing)
        early.at('while training the teacher');
        const model = await trainedModel(spec, data, trainEpochs, seed, quiet);
        early.at('during the screening');
        let bar: ReturnType<typeof createProgress> | undefined;
        const s = await screenHant(model, data, {
          target,
          budget,
          seed,
          steps,
          distillSamples,
          valSamples,
          lr: distillLr,
          ...(precision ? { policy: precision } : {}),
          ...(families ? { families: families as AltFamily[] } : {}),
          ...(unitList ? { units: unitList } : {}),
          ...(refineSteps > 0 ? { refineSteps, refine, refineLr } : {}),
          ...(scoring === 'network' ? { scoring } : {}),
          onProgress: (p) => {
            early.at(`during the screening (distill ${p.done}/${p.total})`);
            bar ??= createProgress({ total: p.total, label: 'distill', fields: ['unit', 'loss'], quiet });
            bar.update(p.done, { unit: `${p.unit}:${p.alt}`, loss: p.loss.toFixed(4) });
          },
          onPhase: log,
        });
        bar?.stop();
        early.at('while saving the screening');
        saveScreening(dir, s);
        screened = s;
        return {
          name,
          evaluator: { name: 'hant-student', options: { dir, target: f.target } },
          strategy: { name: 'hant-ilp', options: ilpOptions(s.manifest) as unknown as Record<string, JsonValue> },
          space: hantSpace(ilpOptions(s.manifest)).toJSON() as unknown as Record<string, JsonValue>,
          objectives: HANT_OBJECTIVES.map((o) => ({ ...o })),
          nTrials: trials,
          seed,
          concurrency: 1,
        };
      },
    }).finally(() => early.remove());
    const dir = cs.config.evaluator.options?.dir;
    if (typeof dir !== 'string') throw new ConfigError(`study '${cs.name}' has no screening folder in its evaluator options; use another --study name`);
    if (cs.status === 'resumed') log(`study ${cs.name}: continuing (screening from ${dir}); hwnas report ${cs.name} shows its trials`);
    const s = screened ?? loadScreening(dir);
    const { aborted } = await interruptible(
      (signal) => runConfiguredStudy(store, cs.name, { threads, ...(f.redis ? { redis: f.redis } : {}), quiet, signal }),
      () => log('interrupted: stopping the selection study; finished trials are kept'),
    );
    const all = store.getTrials(cs.name);
    const best = bestHantTrial(all);
    if (!best) {
      throw new InfeasibleError(
        `study '${cs.name}': no trial is complete and within the latency budget ${s.manifest.budgetMs.toPrecision(4)} ms (${all.length} trials${aborted ? ', interrupted' : ''}); run the command again to continue it`,
      );
    }
    const choice = choiceOf(s.manifest, best.params);
    log(
      `chosen: trial ${best.number} of ${all.length}${aborted ? ' (interrupted)' : ''}, validation accuracy ${((best.values?.[0] ?? NaN) * 100).toFixed(2)}% before fine-tuning: ${choiceText(s.manifest, choice)}`,
    );
    const finetune: FinetuneOptions = epochs === 0 ? false : { epochs, lr: finetuneLr, loss: finetuneLoss, labelSmoothing: ftLs, kdWeight };
    // Ctrl-C in the last stage stops at once: the study's trials are stored, the same command redoes only this stage
    const last = sayWhereOnInterrupt(
      epochs === 0 ? 'while scoring the chosen network' : 'during the fine-tuning',
      `the screening and the study's trials are stored (study '${cs.name}' in ${storePath}); run the same command to ${epochs === 0 ? 'finish' : 'fine-tune'} and export without screening or searching again`,
    );
    let r: Awaited<ReturnType<typeof finishHant>>;
    try {
      r = await finishHant(s, data, choice, { target, seed, finetune, onPhase: log }, t0);
      if (f.out) saveOnnx(r.model, f.out);
    } finally {
      last.remove();
    }
    const { model: _m, ...rest } = r;
    const name = s.teacher.graph.name;
    // a continued study reads its screening from the store's folder: seconds.distill/refine/ilp are that screening's
    // (the run that screened), seconds.finetune/total this run's (docs/transform.md, "JSON")
    const studyInfo = {
      study: cs.name,
      trial: best.number,
      trials: all.length,
      ...(aborted ? { interrupted: true } : {}),
      screening: { stored: cs.status === 'resumed', dir },
    };
    if (f.json) {
      printJson({ model: name, dataset: data.name, ...rest, ...(f.out ? { out: f.out } : {}), ...studyInfo });
      return;
    }
    // the layers outside the units (pooling, activations, the head ...) cost the same in both networks: their row
    // makes each latency column add up to the summary line below
    const sum = (k: 'teacherLatencyMs' | 'latencyMs'): number => r.layers.reduce((a, l) => a + l[k], 0);
    const other = {
      unit: '(other layers)',
      chosen: '-',
      family: '-',
      alternatives: '-',
      teacherLatencyMs: r.teacher.latencyMs - sum('teacherLatencyMs'),
      latencyMs: r.student.latencyMs - sum('latencyMs'),
      loss: '-',
      macs: '-',
    };
    process.stdout.write(
      `${formatTable(
        [...r.layers, other],
        [
          { key: 'unit', header: 'unit' },
          { key: 'chosen', header: 'chosen op' },
          { key: 'family', header: 'family' },
          { key: 'alternatives', header: 'alts' },
          { header: 'teacher ms', value: (l) => l.teacherLatencyMs },
          { header: 'ms', value: (l) => l.latencyMs },
          { header: 'rel. loss', value: (l) => l.loss },
          { header: 'MACs', value: (l) => l.macs },
        ],
      )}\n`,
    );
    const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
    process.stdout.write(
      `${name} on ${r.target} (${r.policy}): latency ${r.teacher.latencyMs.toPrecision(4)} -> ${r.student.latencyMs.toPrecision(4)} ms ` +
        `(${r.speedup.toFixed(2)}x, budget ${r.budgetMs.toPrecision(4)} ms); accuracy ${pct(r.teacher.accuracy)} -> ${pct(r.student.accuracy)} ` +
        `(${pct(r.student.accuracyBeforeFinetune)} before fine-tuning); ILP ${r.ilp.variables} binaries in ${r.ilp.solveMs.toFixed(0)} ms` +
        `${f.out ? `; wrote ${f.out}` : ''}; study ${cs.name} (trial ${best.number} of ${all.length}${aborted ? ', interrupted' : ''})\n`,
    );
  } finally {
    store.close();
  }
};
