import { existsSync } from 'node:fs';
import {
  ChannelMismatchError,
  type Dataset,
  loadDataset,
  modelGeometry,
  noteNumericClasses,
  parseDatasetSpec,
  requireScoredSplit,
  type SampleSource,
  type Split,
  type StreamedDataset,
} from '../../data/index.js';
import type { EngineModel, TrainInput, TrainOptions, TrainProgress } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { inputNode, type Model, outputShape } from '../../ir/index.js';
import { saveOnnx } from '../../onnx/index.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { requireOneOutput } from '../../tasks/index.js';
import { checkOutPath, EXIT_INTERRUPTED, floatOption, intOption, printJson, seedOption } from '../io.js';
import { createProgress } from '../progress.js';
import { CLI_TRAIN_DEFAULTS } from '../register/train.js';

/** Options shared by commands that train. */
export interface TrainFlags {
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly lr?: string;
  readonly optimizer?: string;
  readonly schedule?: string;
  readonly weightDecay?: string;
  readonly labelSmoothing?: string;
  readonly seed?: string;
  readonly workers?: string;
  readonly limit?: string;
  readonly augment?: boolean | string;
  readonly json?: boolean;
}

/**
 * Load the data set a model needs: its input size and channels decide resizing and channel replication.
 * `modelLabel` names the model in errors (default: the graph name).
 */
export async function datasetForModel(spec: string, model: Model, limit?: number, modelLabel = model.graph.name, anyClasses = false): Promise<Dataset> {
  requireOneOutput(model.graph, modelLabel);
  return datasetForShapes(spec, inputNode(model.graph).shape, anyClasses ? undefined : outputShape(model.graph), limit, modelLabel);
}

/**
 * {@link datasetForModel} from a model's per-sample input and output shapes (an ONNX file run as it is); without
 * `outShape` any number of classes is taken (a model built for the data set's classes afterwards).
 */
export async function datasetForShapes(
  spec: string,
  inShape: readonly number[],
  outShape: readonly number[] | undefined,
  limit: number | undefined,
  modelLabel: string,
): Promise<Dataset> {
  const parsed = parseDatasetSpec(spec);
  // the spec's own options win over the model's size, but --limit (training images) joins a spec limit
  const merged = joinLimit(parsed.options.limit, limit);
  let ds: Dataset;
  try {
    ds = await loadDataset({ ...parsed, options: { ...parsed.options, ...(merged !== undefined ? { limit: merged } : {}) } }, modelGeometry(inShape));
  } catch (e) {
    throw e instanceof ChannelMismatchError ? channelMismatch(modelLabel, inShape, spec, e) : e;
  }
  noteNumericClasses(spec, ds);
  if (outShape !== undefined && (outShape.length !== 1 || outShape[0] !== ds.numClasses)) throw outputMismatch(modelLabel, outShape, ds);
  return ds;
}

/**
 * The error for data of more channels than a model takes (CIFAR-10 for zoo:mnist-cnn): both shapes, and for a zoo
 * model the same model built for the data's shape (`zoo:mnist-cnn?channels=3&size=32`).
 */
function channelMismatch(modelLabel: string, inShape: readonly number[], spec: string, e: ChannelMismatchError): ConfigError {
  const [c, h, w] = e.stored;
  const zoo = /^zoo:([^?]+)(?:\?(.*))?$/.exec(modelLabel);
  let fix = `use a model that takes ${c}-channel input`;
  if (zoo) {
    const q = new URLSearchParams(zoo[2] ?? '');
    q.set('channels', String(c));
    q.set('size', String(h));
    // zoo models are square (size= is height and width; width= is the channel multiplier): a non-square set is resized
    fix = `use zoo:${zoo[1]}?${decodeURIComponent(q.toString())} (the same model built for ${c}x${h}x${h} input${w !== h ? `; the ${h}x${w} images are resized to it` : ''})`;
  }
  return new ConfigError(`model '${modelLabel}' takes ${inShape.join('x')} images; data set '${spec}' gives ${c}x${h}x${w}, and ${e.message}: ${fix}`);
}

/**
 * The error for a model whose per-sample output is not `[classes]` of a data set: a flat output of another size, or
 * an unflattened one (`[10,1,1]` of a fully convolutional net) that needs a Flatten.
 */
export function outputMismatch(modelLabel: string, outShape: readonly number[], ds: { readonly name: string; readonly numClasses: number }): ConfigError {
  const k = ds.numClasses;
  const size = outShape.reduce((a, b) => a * b, 1);
  const fix =
    outShape.length > 1 && size === k
      ? `a classifier's output must be flat, [${k}]: add a Flatten before the output (torch.flatten(x, 1) or nn.Flatten() in PyTorch)`
      : `use a model with ${k} outputs (e.g. zoo:<name>?classes=${k})`;
  return new ConfigError(`model '${modelLabel}' outputs [${outShape.join(',')}] but data set '${ds.name}' has ${k} classes: ${fix}`);
}

/** Turn CLI flags into engine training options. */
export function trainOptionsFromFlags(f: TrainFlags, dflt: { epochs: number }): TrainOptions {
  const optimizer = f.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new ConfigError(`--optimizer must be adam or sgd, got '${optimizer}'`);
  const schedule = f.schedule ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'step' && schedule !== 'constant') {
    throw new ConfigError(`--schedule must be cosine, step or constant, got '${schedule}'`);
  }
  const workers = f.workers ?? 'auto';
  if (workers !== 'auto' && workers !== '1' && workers !== '2') throw new ConfigError(`--workers must be 1, 2 or auto, got '${workers}'`);
  return {
    epochs: intOption('--epochs', f.epochs, dflt.epochs, 1),
    batchSize: intOption('--batch-size', f.batchSize, CLI_TRAIN_DEFAULTS.batchSize, 1),
    optimizer,
    schedule,
    lr: f.lr !== undefined ? floatOption('--lr', f.lr, 0, 0) : optimizer === 'adam' ? CLI_TRAIN_DEFAULTS.adamLr : CLI_TRAIN_DEFAULTS.sgdLr,
    weightDecay: floatOption('--weight-decay', f.weightDecay, 0, 0),
    labelSmoothing: floatOption('--label-smoothing', f.labelSmoothing, 0, 0),
    seed: seedOption(f.seed),
    workers: workers === 'auto' ? 'auto' : workers === '1' ? 1 : 2,
  };
}

/** A split in memory or streamed, as the engine's training input. */
const trainInput = (s: Split | SampleSource): TrainInput => ('read' in s ? { source: s } : s);

/** Options of {@link trainProgress}. */
export interface TrainProgressOptions {
  /** Label of the bar (`train`; `fine-tune` for quantize's quantization-aware fine-tuning). */
  readonly label: string;
  /** Steps of the whole run; without it the bar starts at the first step, sized by its epochs x batches. */
  readonly total?: number;
  /** `--json`: no plain lines on a redirected stderr (see createProgress). */
  readonly quiet: boolean;
  /** Sees every step's progress after the bar (e.g. to say where Ctrl-C stopped the run). */
  readonly onStep?: (p: TrainProgress) => void;
}

/**
 * The progress output of a training run, as the engine's `onProgress` / `onEpochEnd` hooks: a bar of steps with the
 * epoch, the batch loss and images/s, and without a terminal a line per epoch with its mean loss, validation accuracy
 * (when the run has validation images) and images/s. `hwnas train` and the training of every command print through it.
 */
export function trainProgress(o: TrainProgressOptions): Required<Pick<TrainOptions, 'onProgress' | 'onEpochEnd'>> & { stop(): void } {
  const make = (total: number) => createProgress({ total, label: o.label, fields: ['epoch', 'loss', 'img/s'], quiet: o.quiet });
  let bar = o.total !== undefined ? make(o.total) : undefined;
  return {
    onProgress: (p) => {
      bar ??= make(p.batches * p.epochs);
      bar.update(p.step + 1, { epoch: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(4), 'img/s': Math.round(p.imagesPerSec) });
      o.onStep?.(p);
    },
    onEpochEnd: (e) => {
      if (!o.quiet && !process.stderr.isTTY) {
        process.stderr.write(
          `epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, ${e.valAccuracy !== undefined ? `val accuracy ${(e.valAccuracy * 100).toFixed(2)}%` : 'no validation images'}, ${Math.round(e.imagesPerSec)} img/s\n`,
        );
      }
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Train an engine model on a data set (in memory or streamed) with a progress bar; returns the engine model and figures.
 * `onStep` (optional) sees every step's progress after the bar.
 */
export async function trainWithProgress(
  em: EngineModel,
  ds: Pick<Dataset, 'name' | 'preprocessing'> & { readonly train: Split | SampleSource; readonly val: Split | SampleSource },
  opts: TrainOptions,
  quiet: boolean,
  augment: number | false = false,
  onStep?: (p: TrainProgress) => void,
): Promise<{ imagesPerSec: number; loss: number; workers: number; seconds: number }> {
  const { train } = await import('../../engine/index.js');
  const batches = Math.ceil(ds.train.n / (opts.batchSize ?? 128));
  const progress = trainProgress({ label: 'train', total: batches * opts.epochs, quiet, ...(onStep ? { onStep } : {}) });
  const res = await train(em, trainInput(ds.train), {
    ...opts,
    ...augmentFor(augment, ds),
    // no held-out images (e.g. limit=val:0 in a pre-training): no validation line rather than a 0.00% that means nothing
    ...(ds.val.n > 0 ? { validation: trainInput(ds.val) } : {}),
    onProgress: progress.onProgress,
    onEpochEnd: progress.onEpochEnd,
  });
  progress.stop();
  return { imagesPerSec: res.imagesPerSec, loss: res.loss, workers: res.workers, seconds: res.seconds };
}

/**
 * The engine's augmentation for a crop padding of `--augment` (none for false) on a data set: pad by `px` with the
 * data set's background value and crop back, plus horizontal flips for fashion-mnist.
 */
export function augmentFor(px: number | false, ds: Pick<Dataset, 'name' | 'preprocessing'>): Pick<TrainOptions, 'augment'> {
  return px === false ? {} : { augment: { cropPadding: px, flip: ds.name === 'fashion-mnist', fill: ds.preprocessing?.background ?? 0 } };
}

/** The crop padding of `--augment [px]`: false when absent, 2 for the bare flag. */
export function augmentPadding(v: boolean | string | undefined): number | false {
  if (v === undefined || v === false) return false;
  if (v === true) return 2;
  return intOption('--augment', v, 2, 0);
}

/** The action of the command registered in src/cli/register/train.ts (imported when that command runs). */
export const trainAction = async (spec: string, f: TrainFlags & { dataset: string; out?: string; task?: string }) => {
  if (f.task !== undefined && f.task !== 'classification') {
    if (f.task !== 'retrieval') throw new ConfigError(`--task '${f.task}': expected classification or retrieval`);
    const { trainRetrieval } = await import('./retrieval.js');
    return trainRetrieval(spec, f);
  }
  for (const k of ['embeddingDim', 'loss', 'compatibleWith', 'alignWeight', 'compat', 'valEvery'] as const)
    if ((f as unknown as Record<string, unknown>)[k] !== undefined)
      throw new ConfigError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --task retrieval only`);
  const opts = trainOptionsFromFlags(f, { epochs: 1 });
  const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
  if (f.out !== undefined) checkOutPath('--out', f.out, [['model', spec]]);
  // an architecture of a search space (as hwnas nas prints it) is built once the data set gives its classes
  const build = spec.startsWith('space:') && !existsSync(spec) ? await spaceModelBuilder(spec, opts.seed ?? 0) : undefined;
  const model = build ? build(10) : loadModelSpec(spec, opts.seed ?? 0);
  const stage = sayWhereOnInterrupt('while loading the data set');
  try {
    await trainCommand(spec, f, opts, limit, model, stage, build);
  } finally {
    stage.remove();
  }
};

/**
 * Ctrl-C during `hwnas train` (nothing is kept: the model is written only after the last epoch) or another command's
 * last stage: says where the command stood and `after` (what is kept and how to go on; default that nothing was
 * written), then exits 130. `at` updates the place (and what follows it, when given); `remove()` uninstalls it.
 */
export function sayWhereOnInterrupt(initial: string, after = 'nothing written'): { at(where: string, after?: string): void; remove(): void } {
  let where = initial;
  let then = after;
  const onSig = (): void => {
    process.stderr.write(`\ninterrupted ${where}; ${then}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', onSig);
  return {
    at: (w, a) => {
      where = w;
      if (a !== undefined) then = a;
    },
    remove: () => process.removeListener('SIGINT', onSig),
  };
}

/**
 * The model of a `space:<space>:<arch>` spec for `classes` classes, at the space's input channels and the
 * architecture's own input size (as a `hwnas nas` trial trains it). A joint architecture+precision space (`+bits`) is
 * refused: `train` trains float32 weights, and the architecture's precisions would be dropped without a word.
 */
async function spaceModelBuilder(spec: string, seed: number): Promise<(classes: number) => Model> {
  const rest = spec.slice('space:'.length);
  const name = rest.slice(0, Math.max(0, rest.indexOf(':')));
  if (name.includes('+bits')) {
    const arch = rest.slice(name.length + 1);
    const at = arch.lastIndexOf('@');
    throw new ConfigError(
      `model '${spec}': hwnas train trains float32 networks, and '${name}' is a joint architecture+precision space (the '@${at >= 0 ? arch.slice(at + 1) : '...'}' part): ` +
        `train the architecture in float32 with 'space:${name.replace(/\+bits.*$/, '')}:${at >= 0 ? arch.slice(0, at) : arch}' and quantize the .onnx it writes (hwnas quantize), or get the searched network quantized at its precisions from hwnas nas --out`,
    );
  }
  const [{ backboneFromSpec }, { getArchSpace }, { spaceInputShape }] = await Promise.all([
    import('./retrieval.js'),
    import('../../search/spaces/registry.js'),
    import('../../search/spaces/types.js'),
  ]);
  const channels = name === '' ? 1 : spaceInputShape(getArchSpace(name)).channels;
  const probe = backboneFromSpec(spec, seed, channels, 10); // checks the spec before any data is loaded
  return (classes) => (classes === 10 ? probe : backboneFromSpec(spec, seed, channels, classes));
}

/**
 * `hwnas train` for classification, once its flags are checked and its model loaded; with `build` (a space
 * architecture) the model is built for the data set's classes.
 */
async function trainCommand(
  spec: string,
  f: TrainFlags & { dataset: string; out?: string },
  opts: TrainOptions,
  limit: number | undefined,
  probe: Model,
  stage: { at(where: string): void },
  build?: (classes: number) => Model,
): Promise<void> {
  const ds =
    parseDatasetSpec(f.dataset).options.stream === true
      ? await streamForModel(f.dataset, probe, limit, spec, !!f.json, build !== undefined)
      : await datasetForModel(f.dataset, probe, limit, spec, build !== undefined);
  const model = build ? build(ds.numClasses) : probe;
  try {
    // both held-out splits are scored (validation each epoch, test at the end): refuse an empty one before training
    requireScoredSplit(ds.val, 'validation', `--dataset '${f.dataset}'`);
    requireScoredSplit(ds.test, 'test', `--dataset '${f.dataset}'`);
  } catch (e) {
    if ('close' in ds) ds.close();
    throw e;
  }
  const { buildModel, evaluateSource, initEngine } = await import('../../engine/index.js');
  const backend = await initEngine();
  const em = buildModel(model);
  try {
    stage.at(`at epoch 1/${opts.epochs} (before its first batch)`);
    const r = await trainWithProgress(em, ds, opts, !!f.json, augmentPadding(f.augment), (p) =>
      stage.at(`at epoch ${p.epoch + 1}/${p.epochs} (batch ${p.batch + 1}/${p.batches})`),
    );
    stage.at('after training, while scoring the test split');
    const test = 'read' in ds.test ? evaluateSource(em, ds.test) : em.evaluate(ds.test.x, ds.test.y, ds.test.n);
    if (f.out) saveOnnx(em.toModel(), f.out);
    const result = {
      model: model.graph.name,
      dataset: ds.name,
      epochs: opts.epochs,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      trainLoss: r.loss,
      trainImagesPerSec: r.imagesPerSec,
      trainSeconds: r.seconds,
      workers: r.workers,
      backend,
      seed: opts.seed,
      ...('file' in ds ? { streamedFrom: ds.file } : {}),
      ...(f.out ? { out: f.out } : {}),
    };
    if (f.json) printJson(result);
    else {
      process.stdout.write(
        `${model.graph.name} on ${ds.name}: test accuracy ${(test.accuracy * 100).toFixed(2)}% (${ds.test.n} images), ` +
          `${Math.round(r.imagesPerSec)} train img/s with ${r.workers} worker(s)${f.out ? `; wrote ${f.out}` : ''}\n`,
      );
    }
  } finally {
    em.dispose();
    if ('close' in ds) ds.close();
  }
}

/**
 * {@link datasetForModel} for a streamed data set (`imagefolder:<dir>;stream`): decoded at the model's input
 * size and channels into a stream file on the first run (a progress bar), then read in chunks.
 */
export async function streamForModel(
  spec: string,
  model: Model,
  limit: number | undefined,
  modelLabel: string,
  quiet: boolean,
  anyClasses = false,
): Promise<StreamedDataset> {
  requireOneOutput(model.graph, modelLabel);
  const { openDatasetStream } = await import('../../data/index.js');
  const inShape = inputNode(model.graph).shape;
  const parsed = parseDatasetSpec(spec);
  const merged = joinLimit(parsed.options.limit, limit);
  const bar = createProgress({ total: 1, label: 'decode', quiet });
  const ds = await openDatasetStream(
    { ...parsed, options: { ...parsed.options, ...(merged !== undefined ? { limit: merged } : {}) } },
    {
      ...modelGeometry(inShape),
      onDecode: (done, total) => {
        bar.setTotal(total);
        bar.update(done);
      },
    },
  );
  bar.stop();
  noteNumericClasses(spec, ds);
  const out = outputShape(model.graph);
  if (!anyClasses && (out.length !== 1 || out[0] !== ds.numClasses)) {
    ds.close();
    throw outputMismatch(modelLabel, out, ds);
  }
  return ds;
}

/**
 * A zoo model gets a short training first (quantizing random weights means nothing). `data` is the data set's spec,
 * or the data set already loaded for this model (callers that check its splits before any training).
 */
export async function trainedModel(spec: string, data: string | Dataset, epochs: number, seed: number, quiet: boolean, limit?: number): Promise<Model> {
  const model = loadModelSpec(spec, seed);
  if (!spec.startsWith('zoo:')) return model;
  const ds = typeof data === 'string' ? await datasetForModel(data, model, limit) : data;
  if (!quiet) process.stderr.write(`${spec} has no trained weights: training it for ${epochs} epoch(s) on ${ds.name} first\n`);
  const { buildModel, initEngine } = await import('../../engine/index.js');
  // every caller (quantize, transform, faults) gets an engine ready to train on, whether or not it set one up itself
  await initEngine();
  const em = buildModel(model);
  try {
    await trainWithProgress(em, ds, { epochs, batchSize: 128, optimizer: 'adam', lr: 2e-3, schedule: 'cosine', seed }, quiet);
    return em.toModel();
  } finally {
    em.dispose();
  }
}

/** A spec's `limit=` joined with --limit (training images): --limit sets the training count, the spec's the others. */
function joinLimit(specLimit: ReturnType<typeof parseDatasetSpec>['options']['limit'], limit: number | undefined) {
  if (limit === undefined) return specLimit;
  if (specLimit === undefined) return { train: limit };
  return typeof specLimit === 'number' ? { train: limit, val: specLimit, test: specLimit } : { ...specLimit, train: limit };
}
