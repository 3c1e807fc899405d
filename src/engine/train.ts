/**
 * Training loop: seeded mini-batch SGD/Adam with learning-rate schedules, weight decay, label
 * smoothing, batch-norm running statistics, optional augmentation, on one thread or data-parallel over
 * two (see parallel.ts). Same model weights, data, options and seed give bit-identical final weights
 * (for a given worker count and backend).
 *
 * Per step: the batch is gathered (in the epoch's seeded shuffled order), augmented on the calling
 * thread with its own seeded generator, converted to the engine layout; gradients of the mean softmax
 * cross-entropy are computed (split over the workers); the optimizer (optim.ts) updates a flat float32
 * copy of the parameters that is then written to the model. Weight decay applies to conv and dense
 * weights only (not to biases or batch-norm parameters).
 */

import { type AugmentOptions, augmentInPlace } from '../data/augment.js';
import type { SampleShape, SampleSource } from '../data/types.js';
import { ConfigError, ShapeError } from '../errors.js';
import { Yielder } from '../util/event-loop.js';
import { Rng } from '../util/rng.js';
import type { EngineModel } from './model.js';
import { nchwToNhwc } from './model.js';
import { learningRate, Optimizer, type OptimizerName, type ScheduleName, type ScheduleOptions } from './optim.js';
import { DataParallelGradients } from './parallel.js';
import { tf } from './tf.js';
import { computeGradients, type FlatLayout, flatLayout, readParams, writeParams } from './train-step.js';

/** Labelled samples: `x` holds `n` NCHW samples of the model's input shape, `y` integer labels. */
export interface TrainData {
  readonly x: Float32Array;
  readonly y: ArrayLike<number>;
  readonly n: number;
  /**
   * Optional per-sample target distributions (n x classes, rows summing to 1), e.g. a teacher's softmax
   * for knowledge distillation; mixed into the one-hot labels with weight {@link TrainOptions.softWeight}.
   */
  readonly soft?: Float32Array;
}

/**
 * Labelled samples read on demand (a streamed data set, see src/data/stream.ts): each epoch takes the
 * source's seeded chunk-local order, each batch reads its samples. No soft targets.
 */
export interface SourceData {
  readonly source: SampleSource;
}

/** What {@link train} trains on: samples in memory or a streamed source. */
export type TrainInput = TrainData | SourceData;

/** Accuracy and loss of `model` on a streamed source, a chunk of `batch` samples at a time in stored order. */
export function evaluateSource(model: EngineModel, source: SampleSource, batch = 1024): { accuracy: number; loss: number; n: number } {
  const per = source.shape[0] * source.shape[1] * source.shape[2];
  const x = new Float32Array(Math.min(batch, source.n) * per);
  const idx = new Int32Array(Math.min(batch, source.n));
  let correct = 0;
  let loss = 0;
  for (let s = 0; s < source.n; s += idx.length) {
    const m = Math.min(idx.length, source.n - s);
    for (let i = 0; i < m; i++) idx[i] = s + i;
    source.read(idx.subarray(0, m), x);
    const r = model.evaluate(x.subarray(0, m * per), source.y.subarray(s, s + m), m);
    correct += r.accuracy * m;
    loss += r.loss * m;
  }
  return { accuracy: source.n ? correct / source.n : 0, loss: source.n ? loss / source.n : 0, n: source.n };
}

/** Progress report after each batch. */
export interface TrainProgress {
  /** 0-based epoch. */
  readonly epoch: number;
  readonly epochs: number;
  /** 0-based batch within the epoch. */
  readonly batch: number;
  readonly batches: number;
  /** Global 0-based step. */
  readonly step: number;
  /** Loss of this batch. */
  readonly loss: number;
  /** Learning rate used for this step. */
  readonly lr: number;
  /** Training images per second since the start of the epoch. */
  readonly imagesPerSec: number;
}

/** Summary of one epoch. */
export interface EpochSummary {
  readonly epoch: number;
  /** Mean training loss over the epoch's batches (sample-weighted). */
  readonly loss: number;
  readonly imagesPerSec: number;
  readonly seconds: number;
  /** Validation accuracy/loss when `validation` data were given. */
  readonly valAccuracy?: number;
  readonly valLoss?: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  readonly epochs: number;
  /** Default 128. */
  readonly batchSize?: number;
  /** Default 'adam'. */
  readonly optimizer?: OptimizerName;
  /** Peak learning rate (default 1e-3 for Adam, 0.05 for SGD). */
  readonly lr?: number;
  /** SGD momentum (default 0.9) and Nesterov (default false). */
  readonly momentum?: number;
  readonly nesterov?: boolean;
  /** Default 'cosine'. */
  readonly schedule?: ScheduleName;
  /** Linear warm-up length in epochs (fractional allowed; default 0). */
  readonly warmupEpochs?: number;
  /** 'step' schedule: decay every this many epochs (default epochs/3) by `gamma` (default 0.1). */
  readonly stepEpochs?: number;
  readonly gamma?: number;
  /** L2 weight decay on conv/dense weights (default 0). */
  readonly weightDecay?: number;
  /** Label smoothing in [0, 1) (default 0). */
  readonly labelSmoothing?: number;
  /**
   * Weight in [0, 1] of `data.soft` in the training target: target = (1 - w) one-hot + w soft
   * (default 0.5 when `data.soft` is given; ignored without it).
   */
  readonly softWeight?: number;
  /** Seed of the shuffling and augmentation (default 0). */
  readonly seed?: number;
  /** Random crop / flip augmentation (see src/data/augment.ts). */
  readonly augment?: AugmentOptions;
  /** Drop the last incomplete batch of each epoch (default false). */
  readonly dropLast?: boolean;
  /**
   * Threads computing gradients: 1, 2 (data-parallel, see parallel.ts) or 'auto' (default): 2 when the
   * machine has at least 2 CPUs, the batch is at least 32, there are at least 20 steps (the worker
   * takes ~1 s to start) and no in-thread-only hooks are set.
   */
  readonly workers?: 1 | 2 | 'auto';
  /** Evaluated (eval mode) after each epoch. */
  readonly validation?: TrainInput;
  /** Called after every batch. */
  readonly onProgress?: (p: TrainProgress) => void;
  /**
   * Called after every epoch (after its validation); awaited. Returning `true` (or a promise of it) stops
   * the training there: no further epoch runs and the result says `stoppedEarly` (e.g. a study's pruner
   * decided, see src/study/pruning.ts).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most callers return nothing (void); a stop decision is a boolean
  readonly onEpochEnd?: (e: EpochSummary) => void | boolean | Promise<void | boolean>;
  /**
   * Longest stretch of batches without giving the event loop a turn, in ms (default 250; 0 = after every
   * batch). Timers such as a study's trial heartbeat and Ctrl-C handlers run in these turns.
   */
  readonly yieldEveryMs?: number;
}

/** What {@link train} returns. */
export interface TrainResult {
  readonly epochs: readonly EpochSummary[];
  readonly steps: number;
  /** Mean training loss of the last epoch. */
  readonly loss: number;
  /** Training images per second over all epochs (excluding worker start-up and validation). */
  readonly imagesPerSec: number;
  readonly seconds: number;
  readonly workers: 1 | 2;
  /** True when `onEpochEnd` stopped the training before `epochs` epochs. */
  readonly stoppedEarly: boolean;
}

/** Resolves the worker count for a model and options. */
export async function chooseWorkers(model: EngineModel, opts: Pick<TrainOptions, 'workers' | 'batchSize'> & { readonly steps?: number }): Promise<1 | 2> {
  const w = opts.workers ?? 'auto';
  if (w !== 1 && w !== 2 && w !== 'auto') throw new ConfigError(`workers ${JSON.stringify(w)} is invalid: expected 1, 2 or 'auto'`);
  const h = model.hooks;
  const inThreadHooks = (h.weightTransform !== undefined || h.biasTransform !== undefined || h.activationTransform !== undefined) && !model.hooksModule;
  if (w === 2 && inThreadHooks) {
    throw new ConfigError('workers: 2 needs the model hooks as a module (BuildOptions.hooksModule): hook functions cannot cross into a worker thread');
  }
  if (w !== 'auto') return w;
  const os = await import('node:os');
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return cpus >= 2 && (opts.batchSize ?? 128) >= 32 && (opts.steps ?? Infinity) >= 20 && !inThreadHooks ? 2 : 1;
}

function check(opts: TrainOptions, data: TrainData, per: number, source?: SampleSource): void {
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new ConfigError(`epochs ${opts.epochs} must be a non-negative integer`);
  const bs = opts.batchSize ?? 128;
  if (!Number.isInteger(bs) || bs < 1) throw new ConfigError(`batchSize ${bs} must be a positive integer`);
  const ls = opts.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls < 1)) throw new ConfigError(`labelSmoothing ${ls} must be in [0, 1)`);
  if (opts.lr !== undefined && !(opts.lr > 0)) throw new ConfigError(`lr ${opts.lr} must be > 0`);
  if (!Number.isInteger(data.n) || data.n < 1) throw new ShapeError(`training data has n=${data.n} samples, expected a positive integer`);
  if (source !== undefined) {
    const sp = source.shape[0] * source.shape[1] * source.shape[2];
    if (sp !== per) throw new ShapeError(`streamed samples are [${source.shape.join(', ')}] (${sp} values), the model's input has ${per}`);
  } else if (data.x.length < data.n * per) throw new ShapeError(`training data x has ${data.x.length} values, expected n x ${per} = ${data.n * per}`);
  if (data.y.length < data.n) throw new ShapeError(`training data has ${data.y.length} labels for ${data.n} samples`);
  const w = opts.softWeight ?? 0.5;
  if (!(w >= 0 && w <= 1)) throw new ConfigError(`softWeight ${w} must be in [0, 1]`);
}

/**
 * Trains `model` in place on `data`; returns per-epoch summaries and the measured throughput.
 * @example
 * const r = await train(m, { x: ds.train.x, y: ds.train.y, n: ds.train.n }, { epochs: 2, seed: 1 });
 */
export async function train(model: EngineModel, input: TrainInput, opts: TrainOptions): Promise<TrainResult> {
  const inShape = model.inputShape;
  const per = inShape.reduce((a, b) => a * b, 1);
  const source = 'source' in input ? input.source : undefined;
  const data: TrainData = 'source' in input ? { x: new Float32Array(0), y: input.source.y, n: input.source.n } : input;
  check(opts, data, per, source);
  const k = model.outputShape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < data.n; i++) {
    const v = data.y[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= k) throw new ShapeError(`label ${v} at index ${i} is out of range: expected 0..${k - 1}`);
  }
  if (data.soft && data.soft.length < data.n * k) throw new ShapeError(`soft targets have ${data.soft.length} values, expected n x classes = ${data.n} x ${k}`);
  const soft = data.soft;
  const softW = soft ? (opts.softWeight ?? 0.5) : 0;
  const bs = Math.min(opts.batchSize ?? 128, data.n);
  const kind = opts.optimizer ?? 'adam';
  const lr0 = opts.lr ?? (kind === 'adam' ? 1e-3 : 0.05);
  const dropLast = opts.dropLast === true && data.n >= bs;
  const batches = dropLast ? Math.floor(data.n / bs) : Math.ceil(data.n / bs);
  const totalSteps = batches * opts.epochs;
  const stepEpochs = opts.stepEpochs ?? Math.max(1, Math.round(opts.epochs / 3));
  const schedule = {
    kind: opts.schedule ?? 'cosine',
    lr: lr0,
    totalSteps,
    warmupSteps: Math.round((opts.warmupEpochs ?? 0) * batches),
    stepSize: stepEpochs * batches,
    gamma: opts.gamma ?? 0.1,
  } as const;
  const layout = flatLayout(model);
  const optim = new Optimizer(
    layout.total,
    {
      kind,
      ...(opts.momentum !== undefined ? { momentum: opts.momentum } : {}),
      ...(opts.nesterov !== undefined ? { nesterov: opts.nesterov } : {}),
      weightDecay: opts.weightDecay ?? 0,
    },
    decayMask(layout),
  );
  const labelSmoothing = opts.labelSmoothing ?? 0;
  const workers = await chooseWorkers(model, { batchSize: bs, steps: totalSteps, ...(opts.workers !== undefined ? { workers: opts.workers } : {}) });
  const backend = tf.getBackend();
  if (workers === 2 && backend !== 'wasm' && backend !== 'cpu')
    throw new ConfigError(`data-parallel training needs the 'wasm' or 'cpu' backend, the engine runs '${backend}'`);
  const dp = workers === 2 ? await DataParallelGradients.start(model, layout, { backend: backend as 'wasm' | 'cpu', maxBatch: bs, labelSmoothing }) : undefined;

  const loop = new TrainLoop(model, layout, optim, schedule, batches, { ...opts, what: 'training' });
  const { params, grads, stats } = loop;
  let order: Int32Array = Int32Array.from({ length: data.n }, (_, i) => i);
  const shuffleRng = new Rng(opts.seed ?? 0);
  const augRng = new Rng(((opts.seed ?? 0) ^ 0x5bd1e995) >>> 0);
  const bx = new Float32Array(bs * per);
  const bxe = new Float32Array(bs * per);
  const by = new Float32Array(bs * k);
  const sampleShape: SampleShape | undefined = inShape.length === 3 ? (inShape as unknown as SampleShape) : undefined;
  const val = opts.validation;
  const validate = val ? () => ('source' in val ? evaluateSource(model, val.source) : model.evaluate(val.x, val.y, val.n)) : undefined;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (source !== undefined) order = source.epochOrder(shuffleRng);
      else shuffleRng.shuffle(order as unknown as number[]);
      loop.beginEpoch(epoch);
      for (let b = 0; b < batches; b++) {
        const start = b * bs;
        const n = Math.min(bs, data.n - start);
        by.fill(0, 0, n * k);
        if (source !== undefined) source.read(order.subarray(start, start + n), bx);
        for (let i = 0; i < n; i++) {
          const src = order[start + i] as number;
          if (source === undefined) bx.set(data.x.subarray(src * per, (src + 1) * per), i * per);
          if (soft && softW > 0) for (let j = 0; j < k; j++) by[i * k + j] = softW * (soft[src * k + j] as number);
          const at = i * k + (data.y[src] as number);
          by[at] = (by[at] as number) + 1 - softW;
        }
        if (opts.augment && sampleShape) augmentInPlace(bx.subarray(0, n * per), n, sampleShape, augRng, opts.augment);
        let xin: Float32Array = bx;
        if (sampleShape && sampleShape[0] > 1) xin = nchwToNhwc(bx.subarray(0, n * per), n, sampleShape[0], sampleShape[1], sampleShape[2], bxe);
        const loss = dp ? dp.compute(params, xin, by, n, grads, stats) : computeGradients(model, layout, xin, by, n, labelSmoothing, grads, stats);
        await loop.afterBatch(loss, n);
      }
      if (await loop.endEpoch(validate)) break;
    }
  } finally {
    await dp?.close();
  }
  return { ...loop.result(), workers, stoppedEarly: loop.stoppedEarly };
}

/** 1 where weight decay applies: conv and dense weights (keys ending in `.weight`) except `except`. */
export function decayMask(layout: FlatLayout, except?: string): Uint8Array {
  const decay = new Uint8Array(layout.total);
  layout.keys.forEach((key, i) => {
    if (key.endsWith('.weight') && key !== except) decay.fill(1, layout.offsets[i], (layout.offsets[i] as number) + (layout.sizes[i] as number));
  });
  return decay;
}

/** What {@link TrainLoop} takes of a training run's options. */
export interface TrainLoopOptions {
  readonly epochs: number;
  /** The run's name in the divergence error, e.g. 'training'. */
  readonly what: string;
  readonly onProgress?: ((p: TrainProgress) => void) | undefined;
  /** Awaited after each epoch's summary; returning true stops the training there (see TrainOptions). */
  // biome-ignore lint/suspicious/noConfusingVoidType: as TrainOptions.onEpochEnd
  readonly onEpochEnd?: ((e: EpochSummary) => void | boolean | Promise<void | boolean>) | undefined;
  readonly yieldEveryMs?: number | undefined;
}

/**
 * The bookkeeping both training loops ({@link train}, trainEmbedding in metric-loss.ts) do around a batch's
 * gradients: the flat parameters, gradients and batch-norm statistics the gradient computation fills; after each
 * batch the learning rate, the divergence check, the optimizer step, the write-back of the parameters and running
 * statistics, the loss and throughput sums, the progress report and the event-loop turn; after each epoch its
 * summary and the `onEpochEnd` call; at the end the fields of the result both loops share.
 */
export class TrainLoop {
  /** The trainable parameters (flat layout), updated in place by each step and written to the model. */
  readonly params: Float32Array;
  /** The batch's gradients (flat layout), to be filled before {@link afterBatch}. */
  readonly grads: Float32Array;
  /** The batch's batch-norm statistics (mean then variance per node), to be filled before {@link afterBatch}. */
  readonly stats: Float32Array;
  /** True when `onEpochEnd` stopped the training before the last epoch. */
  stoppedEarly = false;
  private readonly running: readonly RunningStats[];
  private readonly summaries: EpochSummary[] = [];
  private readonly turns: Yielder;
  private readonly t0 = performance.now();
  private step = 0;
  private images = 0;
  private trainSeconds = 0;
  /** The current epoch: its index, the next batch, its start time, its sample-weighted loss sum and sample count. */
  private ep = { epoch: 0, batch: 0, e0: 0, lossSum: 0, seen: 0 };

  constructor(
    private readonly model: EngineModel,
    private readonly layout: FlatLayout,
    private readonly optim: Optimizer,
    private readonly schedule: ScheduleOptions,
    private readonly batches: number,
    private readonly opts: TrainLoopOptions,
  ) {
    this.params = readParams(model, layout);
    this.grads = new Float32Array(layout.total);
    this.stats = new Float32Array(layout.statsTotal);
    this.running = layout.bn.map((b) => ({
      ...b,
      momentum: (model.graph.nodes.find((n) => n.name === b.node) as { momentum: number }).momentum,
      mean: model.getEngineWeight(`${b.node}.mean`),
      var: model.getEngineWeight(`${b.node}.var`),
    }));
    this.turns = new Yielder(opts.yieldEveryMs);
  }

  /** Starts epoch `epoch` (after its shuffle): its clock and sums. */
  beginEpoch(epoch: number): void {
    this.ep = { epoch, batch: 0, e0: performance.now(), lossSum: 0, seen: 0 };
  }

  /** Takes an optimizer step from {@link grads} and {@link stats} of a batch of `n` samples whose mean loss is `loss`. */
  async afterBatch(loss: number, n: number): Promise<void> {
    const ep = this.ep;
    const lr = learningRate(this.schedule, this.step);
    if (!Number.isFinite(loss))
      throw new ConfigError(`${this.opts.what} diverged at epoch ${ep.epoch}, batch ${ep.batch}: loss is ${loss} (lower lr ${this.schedule.lr}?)`);
    this.optim.step(this.params, this.grads, lr);
    writeParams(this.model, this.layout, this.params);
    updateRunning(this.model, this.running, this.stats, n);
    ep.lossSum += loss * n;
    ep.seen += n;
    this.images += n;
    this.step++;
    if (this.opts.onProgress) {
      const el = (performance.now() - ep.e0) / 1000;
      const p = { epoch: ep.epoch, epochs: this.opts.epochs, batch: ep.batch, batches: this.batches, step: this.step - 1, loss, lr };
      this.opts.onProgress({ ...p, imagesPerSec: el > 0 ? ep.seen / el : 0 });
    }
    ep.batch++;
    await this.turns.maybe();
  }

  /**
   * Ends the epoch: its summary (with the accuracy and loss of `validate`, run outside the epoch's clock), then
   * `onEpochEnd` and an event-loop turn. True when `onEpochEnd` returned true before the last epoch: the training stops there.
   */
  async endEpoch(validate?: () => { readonly accuracy: number; readonly loss: number }): Promise<boolean> {
    const { epoch, e0, lossSum, seen } = this.ep;
    const seconds = (performance.now() - e0) / 1000;
    this.trainSeconds += seconds;
    let summary: EpochSummary = { epoch, loss: seen ? lossSum / seen : 0, imagesPerSec: seconds > 0 ? seen / seconds : 0, seconds };
    if (validate) {
      const v = validate();
      summary = { ...summary, valAccuracy: v.accuracy, valLoss: v.loss };
    }
    this.summaries.push(summary);
    const stop = await this.opts.onEpochEnd?.(summary);
    if (stop === true && epoch < this.opts.epochs - 1) {
      this.stoppedEarly = true;
      return true;
    }
    await new Promise((r) => setImmediate(r));
    return false;
  }

  /** The result fields both loops share: per-epoch summaries, steps, the last epoch's loss, throughput, seconds. */
  result(): { epochs: readonly EpochSummary[]; steps: number; loss: number; imagesPerSec: number; seconds: number } {
    const last = this.summaries[this.summaries.length - 1];
    return {
      epochs: this.summaries,
      steps: this.step,
      loss: last ? last.loss : 0,
      imagesPerSec: this.trainSeconds > 0 ? this.images / this.trainSeconds : 0,
      seconds: (performance.now() - this.t0) / 1000,
    };
  }
}

interface RunningStats {
  readonly node: string;
  readonly channels: number;
  readonly offset: number;
  readonly momentum: number;
  readonly mean: Float32Array;
  readonly var: Float32Array;
}

/** PyTorch-style running statistics update from a batch's (biased) statistics. */
function updateRunning(model: EngineModel, running: readonly RunningStats[], stats: Float32Array, n: number): void {
  for (const r of running) {
    const count = n * statsSpatial(model, r.node);
    const unbias = count > 1 ? count / (count - 1) : 1;
    const m = r.momentum;
    for (let c = 0; c < r.channels; c++) {
      r.mean[c] = (1 - m) * (r.mean[c] as number) + m * (stats[r.offset + c] as number);
      r.var[c] = (1 - m) * (r.var[c] as number) + m * (stats[r.offset + r.channels + c] as number) * unbias;
    }
    model.setEngineWeight(`${r.node}.mean`, r.mean);
    model.setEngineWeight(`${r.node}.var`, r.var);
  }
}

const spatialCache = new WeakMap<EngineModel, Map<string, number>>();

/** Values per sample and channel that a batch-norm node's statistics cover (H*W, or 1 for vectors). */
function statsSpatial(model: EngineModel, node: string): number {
  let m = spatialCache.get(model);
  if (!m) {
    m = new Map();
    spatialCache.set(model, m);
  }
  let v = m.get(node);
  if (v === undefined) {
    const shape = model.valueShape(node);
    v = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    m.set(node, v);
  }
  return v;
}
