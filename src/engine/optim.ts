/**
 * Optimizers and learning-rate schedules on flat parameter vectors (plain JS, float64 state):
 * deterministic, identical on every backend, and cheap next to the forward/backward pass.
 * Semantics follow PyTorch: L2 weight decay is added to the gradient (`g += wd * w`) for both SGD and
 * Adam; SGD momentum `buf = mu * buf + g` (first step `buf = g`), Nesterov `g + mu * buf`.
 */
import { ConfigError } from '../errors.js';

/** Optimizer names. */
export type OptimizerName = 'sgd' | 'adam';

/** Options of {@link Optimizer}. */
export interface OptimizerOptions {
  readonly kind: OptimizerName;
  /** SGD momentum (default 0.9; 0 disables). */
  readonly momentum?: number;
  /** SGD Nesterov momentum (default false). */
  readonly nesterov?: boolean;
  /** Adam betas (default 0.9, 0.999). */
  readonly beta1?: number;
  readonly beta2?: number;
  /** Adam epsilon (default 1e-8). */
  readonly eps?: number;
  /** L2 weight decay coefficient (default 0). */
  readonly weightDecay?: number;
}

/** A stateful optimizer over one flat parameter vector. */
export class Optimizer {
  private readonly m: Float64Array;
  private readonly v: Float64Array | undefined;
  private t = 0;
  private readonly mu: number;
  private readonly wd: number;

  /**
   * @param size number of parameters
   * @param decayMask 1 where weight decay applies (default: everywhere)
   */
  constructor(
    readonly size: number,
    readonly opts: OptimizerOptions,
    private readonly decayMask?: Uint8Array,
  ) {
    if (opts.kind !== 'sgd' && opts.kind !== 'adam') throw new ConfigError(`unknown optimizer '${String(opts.kind)}': expected 'sgd' or 'adam'`);
    this.mu = opts.momentum ?? 0.9;
    this.wd = opts.weightDecay ?? 0;
    if (!(this.mu >= 0 && this.mu < 1)) throw new ConfigError(`momentum ${this.mu} must be in [0, 1)`);
    if (!(this.wd >= 0)) throw new ConfigError(`weightDecay ${this.wd} must be >= 0`);
    this.m = new Float64Array(size);
    this.v = opts.kind === 'adam' ? new Float64Array(size) : undefined;
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** One update of `params` in place from `grads` at learning rate `lr`. */
  step(params: Float32Array, grads: Float32Array, lr: number): void {
    this.t++;
    const { m, wd, decayMask } = this;
    const n = this.size;
    if (this.opts.kind === 'sgd') {
      const mu = this.mu;
      const nesterov = this.opts.nesterov === true;
      const first = this.t === 1;
      for (let i = 0; i < n; i++) {
        const w = params[i] as number;
        let g = grads[i] as number;
        if (wd > 0 && (!decayMask || decayMask[i] === 1)) g += wd * w;
        if (mu > 0) {
          const b = first ? g : mu * (m[i] as number) + g;
          m[i] = b;
          g = nesterov ? g + mu * b : b;
        }
        params[i] = w - lr * g;
      }
      return;
    }
    const v = this.v as Float64Array;
    const b1 = this.opts.beta1 ?? 0.9;
    const b2 = this.opts.beta2 ?? 0.999;
    const eps = this.opts.eps ?? 1e-8;
    const c1 = 1 - b1 ** this.t;
    const c2 = Math.sqrt(1 - b2 ** this.t);
    for (let i = 0; i < n; i++) {
      const w = params[i] as number;
      let g = grads[i] as number;
      if (wd > 0 && (!decayMask || decayMask[i] === 1)) g += wd * w;
      const mi = b1 * (m[i] as number) + (1 - b1) * g;
      const vi = b2 * (v[i] as number) + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = w - (lr * (mi / c1)) / (Math.sqrt(vi) / c2 + eps);
    }
  }
}

/** Learning-rate schedule names. */
export type ScheduleName = 'cosine' | 'step' | 'constant';

/** Options of {@link learningRate}. */
export interface ScheduleOptions {
  readonly kind: ScheduleName;
  /** Peak learning rate. */
  readonly lr: number;
  /** Total optimisation steps. */
  readonly totalSteps: number;
  /** Linear warm-up from lr/warmupSteps to lr over this many steps (default 0). */
  readonly warmupSteps?: number;
  /** 'step': multiply by `gamma` every `stepSize` steps. */
  readonly stepSize?: number;
  /** 'step': decay factor (default 0.1). */
  readonly gamma?: number;
  /** 'cosine': final learning rate (default 0). */
  readonly minLr?: number;
}

/** Learning rate at (0-based) `step`. */
export function learningRate(s: ScheduleOptions, step: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (s.lr * (step + 1)) / warm;
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step': {
      const size = s.stepSize ?? Math.max(1, Math.floor(s.totalSteps / 3));
      return s.lr * (s.gamma ?? 0.1) ** Math.floor((step - warm) / size);
    }
    case 'cosine': {
      const span = Math.max(1, s.totalSteps - warm);
      const t = Math.min(1, (step - warm) / span);
      const lo = s.minLr ?? 0;
      return lo + 0.5 * (s.lr - lo) * (1 + Math.cos(Math.PI * t));
    }
    default:
      throw new ConfigError(`unknown schedule '${String((s as { kind: unknown }).kind)}': expected 'cosine', 'step' or 'constant'`);
  }
}
