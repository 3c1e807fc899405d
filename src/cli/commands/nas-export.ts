/**
 * `hwnas nas --out`: the networks of the search's front as ONNX files. A training search keeps no weights (a trial's
 * network is let go after it is scored), so each exported architecture is trained again exactly as its trial was: the
 * same data (the evaluator's own loading), the same epochs and the trial's evaluation seed (derived from the study seed
 * and the trial's proposal index, as the study loop derives it). The float network is written with the ONNX exporter;
 * a joint-space (`+bits`) network, scored fake-quantized under its trial's precisions, as QDQ ONNX from the weights
 * and fake-quantization it was scored with (as `quantize --out`). Each file is scored by onnxruntime on the validation
 * split the search measured, so its accuracy is checked against the stored trial's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QuantHooksConfig } from '../../engine/quant-grid.js';
import { ConfigError } from '../../errors.js';
import type { Model } from '../../ir/types.js';
import type { NasTrial } from '../../nas/run.js';
import type { ArchSpace } from '../../search/spaces/types.js';
import { type JsonValue, trialSeed } from '../../search/types.js';
import type { Store } from '../../store/types.js';
import type { EvaluationContext } from '../../study/run-study.js';
import { StudyHistory } from '../../study/study-history.js';
import { type CommonTrainOptions, trainCommon } from '../../workers/nas-evaluations.js';
import { onnxAccuracy } from './eval.js';

/** One network `hwnas nas --out` wrote. */
export interface ExportedNetwork {
  readonly trial: number;
  readonly arch: string;
  readonly file: string;
  /** The accuracy the search stored for the trial (validation split), when accuracy is an objective. */
  readonly recordedAccuracy?: number;
  /** The retrained network's accuracy on the same split, in the training engine. */
  readonly retrainedAccuracy: number;
  /** The written file's accuracy on the same split, in onnxruntime. */
  readonly onnxAccuracy: number;
  /** The network's input, `[C, H, W]` (mbv2 architectures fix their own input size). */
  readonly input: readonly number[];
}

/**
 * Where `--out` writes, checked before the search: a path ending in `.onnx` is one file (the front's best first
 * objective), anything else a folder (created) holding `trial-<n>.onnx` per front network.
 */
export function outTarget(out: string): { readonly kind: 'file' | 'folder'; readonly path: string } {
  return out.toLowerCase().endsWith('.onnx') ? { kind: 'file', path: out } : { kind: 'folder', path: out };
}

/** The front trials `--out` writes: all of them for a folder, else the one with the best first objective (the lowest number on a tie). */
export function trialsToExport(pareto: readonly NasTrial[], kind: 'file' | 'folder', first: { name: string; direction: 'minimize' | 'maximize' }): NasTrial[] {
  if (kind === 'folder') return [...pareto];
  const sign = first.direction === 'maximize' ? -1 : 1;
  const best = [...pareto].sort((a, b) => sign * ((a.values[first.name] as number) - (b.values[first.name] as number)) || a.number - b.number)[0];
  return best ? [best] : [];
}

/** Options of {@link exportNasNetworks}. */
export interface NasExportOptions {
  readonly store: Store;
  readonly study: string;
  /** The study's seed (its config's). */
  readonly seed: number;
  readonly space: ArchSpace;
  /** The study's `nas-train` evaluator options. */
  readonly evaluatorOptions: Readonly<Record<string, JsonValue>>;
  readonly trials: readonly NasTrial[];
  readonly out: { readonly kind: 'file' | 'folder'; readonly path: string };
  /** Called before each network is trained (progress on stderr). */
  readonly onStart?: (t: NasTrial, i: number, n: number) => void;
}

/** Trains each of `o.trials` again as its trial was and writes it as ONNX; see the module comment. */
export async function exportNasNetworks(o: NasExportOptions): Promise<ExportedNetwork[]> {
  if (o.trials.length === 0) return [];
  const opts = o.evaluatorOptions;
  // the fault settings, constraints and costs are not needed to train: only the network and its accuracy
  const { loadData, maxLatencyMs: _m, objectives: _o, ...c } = trainCommon(opts as unknown as CommonTrainOptions);
  const dataset = await loadData();
  const { trainingEvaluator, resizeSplit, archInputSize } = await import('../../nas/train-eval.js');
  const history = new StudyHistory({ store: o.store, studyName: o.study, objectives: [{ name: 'accuracy', direction: 'maximize' }] });
  history.refresh();
  if (o.out.kind === 'folder') mkdirSync(o.out.path, { recursive: true });
  const out: ExportedNetwork[] = [];
  for (const [i, t] of o.trials.entries()) {
    o.onStart?.(t, i, o.trials.length);
    const trial = o.store.getTrials(o.study)[t.number];
    if (!trial) throw new ConfigError(`study '${o.study}' has no trial ${t.number}`);
    let kept: { model: Model; accuracy: number; quant?: QuantHooksConfig } | undefined;
    const evaluate = trainingEvaluator({
      ...c,
      dataset,
      objectives: [{ name: 'accuracy', direction: 'maximize' }],
      epochs: typeof opts.epochs === 'number' ? opts.epochs : 1,
      ...(opts.protect === 'ecc' ? { protect: 'ecc' as const } : {}),
      ...(opts.scoring === 'qaft' || opts.scoring === 'ptq' ? { scoring: opts.scoring } : {}),
      ...(typeof opts.qaftEpochs === 'number' ? { qaftEpochs: opts.qaftEpochs } : {}),
      costless: true,
      onTrained: (model, r) => {
        kept = { model, accuracy: r.accuracy, ...(r.quant ? { quant: r.quant } : {}) };
      },
    });
    const ctx: EvaluationContext = {
      studyName: o.study,
      trialNumber: t.number,
      // as the study loop seeds the trial (src/study/run-study.ts): the study seed and the trial's proposal index
      seed: trialSeed(o.seed ^ 0x5bd1e995, history.proposalIndex(t.number)),
      signal: new AbortController().signal,
      setUserAttr: () => {},
    };
    await evaluate(trial.params, ctx);
    if (!kept) throw new Error(`trial ${t.number}: the network was not trained`);
    const file = o.out.kind === 'file' ? o.out.path : join(o.out.path, `trial-${t.number}.onnx`);
    if (kept.quant) {
      // a joint-space trial: its weights and activations as it was scored (QDQ, as quantize --out writes them)
      const { exportQdqOnnx } = await import('../../quant/qdq-export.js');
      writeFileSync(file, exportQdqOnnx(kept.model, kept.quant));
    } else {
      const { saveOnnx } = await import('../../onnx/export.js');
      saveOnnx(kept.model, file);
    }
    const a = o.space.fromParams(trial.params);
    const size = archInputSize(a) ?? dataset.shape[1];
    const val = resizeSplit(dataset.val, dataset.shape, size);
    const r = await onnxAccuracy(file, val.x, val.y, val.n);
    const recorded = t.values.accuracy;
    out.push({
      trial: t.number,
      arch: t.arch,
      file,
      ...(recorded !== undefined ? { recordedAccuracy: recorded } : {}),
      retrainedAccuracy: kept.accuracy,
      onnxAccuracy: r.accuracy,
      input: [dataset.shape[0], size, size],
    });
  }
  return out;
}
