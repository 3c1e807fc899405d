/**
 * Data-parallel gradients over two threads: the calling thread computes the gradients of one half of
 * each batch while a worker thread (its own tfjs backend instance, same weights) computes the other
 * half. Exchange is through SharedArrayBuffers with Atomics (no message passing per step): before each
 * step the caller writes the current parameters and the worker's samples; after it, gradients, loss and
 * batch-norm statistics are averaged weighted by sample counts. This is exact gradient averaging: the
 * combined gradient equals the full-batch gradient up to float rounding, except that batch norm
 * normalises each half with that half's statistics (as PyTorch DDP without SyncBatchNorm); the running
 * statistics are updated from the pooled statistics of the whole batch.
 */
import { Worker } from 'node:worker_threads';
import { HwnasError } from '../errors.js';
import type { BackendName } from './backend.js';
import type { EngineModel } from './model.js';
import { computeGradients, type FlatLayout } from './train-step.js';

/** Control slots of the shared Int32Array. */
export const CTRL = { seq: 0, done: 1, cmd: 2, count: 3, error: 4, errorLen: 5, workerMicros: 6 } as const;
/** Commands of the control slot. */
export const CMD = { step: 1, stop: 2 } as const;

/** Shared buffers between the caller and the worker. */
export interface SharedBuffers {
  readonly ctrl: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly x: SharedArrayBuffer;
  readonly y: SharedArrayBuffer;
  /** Worker output: gradients, then loss, then batch-norm statistics. */
  readonly out: SharedArrayBuffer;
  readonly errorText: SharedArrayBuffer;
}

/** What the worker gets at start. */
export interface WorkerInit {
  readonly backend: BackendName;
  readonly graph: EngineModel['graph'];
  readonly weights: ReturnType<EngineModel['getWeights']>;
  readonly hooksModule?: NonNullable<EngineModel['hooksModule']>;
  readonly labelSmoothing: number;
  readonly buffers: SharedBuffers;
}

/** Options of {@link DataParallelGradients.start}. */
export interface DataParallelOptions {
  readonly backend: BackendName;
  /** Largest batch that will be passed to {@link DataParallelGradients.compute}. */
  readonly maxBatch: number;
  readonly labelSmoothing: number;
  /** Give up when the worker does not answer within this many ms (default 300000). */
  readonly timeoutMs?: number;
}

/** Where the calling thread's time went, summed over steps (see {@link DataParallelGradients.timings}). */
export interface DataParallelTimings {
  readonly steps: number;
  /** Copying parameters and the worker's samples into shared memory, signalling. */
  readonly handOffMs: number;
  /** Gradients of the caller's share. */
  readonly mainComputeMs: number;
  /** Idle, waiting for the worker after finishing its own share. */
  readonly waitMs: number;
  /** Averaging gradients, losses and batch-norm statistics. */
  readonly combineMs: number;
  /** The worker's time per step (loading parameters and computing its share), as it measured it. */
  readonly workerMs: number;
}

/** Two-thread data-parallel gradient computation (see the module comment). */
export class DataParallelGradients {
  private seq = 0;
  private readonly ctrl: Int32Array;
  private readonly params: Float32Array;
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly out: Float32Array;
  private readonly mainGrad: Float32Array;
  private readonly mainStats: Float32Array;
  private closed = false;
  private readonly t = { steps: 0, handOffMs: 0, mainComputeMs: 0, waitMs: 0, combineMs: 0, workerMs: 0 };

  private constructor(
    private readonly worker: Worker,
    private readonly model: EngineModel,
    private readonly layout: FlatLayout,
    private readonly buffers: SharedBuffers,
    private readonly perSample: number,
    private readonly classes: number,
    private readonly labelSmoothing: number,
    private readonly timeoutMs: number,
  ) {
    this.ctrl = new Int32Array(buffers.ctrl);
    this.params = new Float32Array(buffers.params);
    this.x = new Float32Array(buffers.x);
    this.y = new Float32Array(buffers.y);
    this.out = new Float32Array(buffers.out);
    this.mainGrad = new Float32Array(layout.total);
    this.mainStats = new Float32Array(layout.statsTotal);
  }

  /** Starts the worker (builds its copy of the model) and resolves when it is ready. */
  static async start(model: EngineModel, layout: FlatLayout, opts: DataParallelOptions): Promise<DataParallelGradients> {
    const perSample = model.inputShape.reduce((a, b) => a * b, 1);
    const classes = model.outputShape.reduce((a, b) => a * b, 1);
    const half = Math.ceil(opts.maxBatch / 2);
    const buffers: SharedBuffers = {
      ctrl: new SharedArrayBuffer(8 * 4),
      params: new SharedArrayBuffer(layout.total * 4),
      x: new SharedArrayBuffer(half * perSample * 4),
      y: new SharedArrayBuffer(half * classes * 4),
      out: new SharedArrayBuffer((layout.total + 1 + layout.statsTotal) * 4),
      errorText: new SharedArrayBuffer(4096),
    };
    const init: WorkerInit = {
      backend: opts.backend,
      graph: model.graph,
      weights: model.getWeights(),
      labelSmoothing: opts.labelSmoothing,
      buffers,
      ...(model.hooksModule ? { hooksModule: model.hooksModule } : {}),
    };
    const worker = new Worker(new URL('./train-worker.js', import.meta.url), { workerData: init });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: boolean; error?: string }): void => {
        cleanup();
        if (m.ready === true) resolve();
        else reject(new HwnasError(`training worker failed to start: ${m.error ?? 'unknown error'}`));
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(new HwnasError(`training worker failed to start: ${e.message}`));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new HwnasError(`training worker exited with code ${code} while starting`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    return new DataParallelGradients(worker, model, layout, buffers, perSample, classes, opts.labelSmoothing, opts.timeoutMs ?? 300000);
  }

  /**
   * Gradients of the mean loss over `n` samples (engine-layout input, one-hot labels) at `params`
   * (which must also be the model's current weights), split between the two threads. Returns the loss.
   */
  compute(params: Float32Array, x: Float32Array, oneHot: Float32Array, n: number, gradOut: Float32Array, statsOut: Float32Array): number {
    if (this.closed) throw new HwnasError('data-parallel trainer already closed');
    const wN = Math.floor(n / 2);
    const mN = n - wN;
    const per = this.perSample;
    const k = this.classes;
    const t0 = performance.now();
    if (wN > 0) {
      this.params.set(params);
      this.x.set(x.subarray(mN * per, n * per));
      this.y.set(oneHot.subarray(mN * k, n * k));
      Atomics.store(this.ctrl, CTRL.count, wN);
      Atomics.store(this.ctrl, CTRL.cmd, CMD.step);
      this.seq++;
      Atomics.store(this.ctrl, CTRL.seq, this.seq);
      Atomics.notify(this.ctrl, CTRL.seq);
    }
    const t1 = performance.now();
    const lossMain = computeGradients(this.model, this.layout, x, oneHot, mN, this.labelSmoothing, this.mainGrad, this.mainStats);
    if (wN === 0) {
      gradOut.set(this.mainGrad);
      statsOut.set(this.mainStats);
      return lossMain;
    }
    const t2 = performance.now();
    this.waitDone();
    const t3 = performance.now();
    const total = this.layout.total;
    const a = mN / n;
    const b = wN / n;
    const g = this.out;
    for (let i = 0; i < total; i++) gradOut[i] = a * (this.mainGrad[i] as number) + b * (g[i] as number);
    const lossWorker = g[total] as number;
    const so = total + 1;
    for (const bn of this.layout.bn) {
      for (let c = 0; c < bn.channels; c++) {
        const m1 = this.mainStats[bn.offset + c] as number;
        const m2 = g[so + bn.offset + c] as number;
        const v1 = this.mainStats[bn.offset + bn.channels + c] as number;
        const v2 = g[so + bn.offset + bn.channels + c] as number;
        const m = a * m1 + b * m2;
        statsOut[bn.offset + c] = m;
        statsOut[bn.offset + bn.channels + c] = a * (v1 + (m1 - m) ** 2) + b * (v2 + (m2 - m) ** 2);
      }
    }
    const t = this.t;
    t.steps++;
    t.handOffMs += t1 - t0;
    t.mainComputeMs += t2 - t1;
    t.waitMs += t3 - t2;
    t.combineMs += performance.now() - t3;
    t.workerMs += Atomics.load(this.ctrl, CTRL.workerMicros) / 1000;
    return a * lossMain + b * lossWorker;
  }

  /** Where the calling thread's time went since start (for profiling the synchronisation). */
  timings(): DataParallelTimings {
    return { ...this.t };
  }

  private waitDone(): void {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      if (done === this.seq) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new HwnasError(`training worker did not answer within ${this.timeoutMs} ms`);
      Atomics.wait(this.ctrl, CTRL.done, done, Math.min(left, 1000));
    }
    if (Atomics.load(this.ctrl, CTRL.error) !== 0) {
      const len = Atomics.load(this.ctrl, CTRL.errorLen);
      const text = new TextDecoder().decode(new Uint8Array(this.buffers.errorText).slice(0, len));
      throw new HwnasError(`training worker failed: ${text}`);
    }
  }

  /** Stops the worker thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.cmd, CMD.stop);
    this.seq++;
    Atomics.store(this.ctrl, CTRL.seq, this.seq);
    Atomics.notify(this.ctrl, CTRL.seq);
    await this.worker.terminate();
  }
}
