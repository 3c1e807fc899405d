/**
 * Gaussian-process regression with a Matern 5/2 ARD kernel; hyperparameters (length scales,
 * signal and noise variance) fitted by maximising the log marginal likelihood with L-BFGS from a
 * few starting points. Targets are standardised internally. Inputs are expected in [0, 1].
 */
import type { Rng } from '../util/rng.js';
import { cholesky, choleskyInverse, solveLower, solveUpperT } from './linalg.js';

/** Fitted kernel hyperparameters (in the standardised target scale). */
export interface GpHyperparameters {
  readonly lengthscales: readonly number[];
  readonly signalVariance: number;
  readonly noiseVariance: number;
}

/** Options of {@link GaussianProcess.fit}. */
export interface GpFitOptions {
  /**
   * Lengthscale group of each input dimension (default: its own). Dimensions of one group share a
   * lengthscale: with a categorical parameter's one-hot block as one group, the kernel is a function of
   * whether two points differ in that parameter (an overlap kernel), and the fit has one length per parameter.
   */
  readonly groups?: readonly number[];
  /** Starting point of the first start instead of the default (warm start): per-group lengthscales, signal, noise. */
  readonly start?: GpHyperparameters;
  /** Optimiser starts besides the default one (default 2). */
  readonly restarts?: number;
  /** L-BFGS iterations per start (default 50). */
  readonly maxIterations?: number;
}

const SQRT5 = Math.sqrt(5);
// Bounds of the log hyperparameters: [log lengthscale x d, log signal, log noise].
const LOG_LS: [number, number] = [Math.log(0.01), Math.log(20)];
const LOG_SIGNAL: [number, number] = [Math.log(0.05), Math.log(20)];
const LOG_NOISE: [number, number] = [Math.log(1e-6), Math.log(0.5)];

/** Matern 5/2 ARD covariance of two points. */
export function matern52(a: readonly number[], b: readonly number[], lengthscales: readonly number[], signal: number): number {
  let r2 = 0;
  for (let k = 0; k < a.length; k++) {
    const d = ((a[k] as number) - (b[k] as number)) / (lengthscales[k] as number);
    r2 += d * d;
  }
  const r = Math.sqrt(r2);
  return signal * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** A fitted Gaussian process; predict() gives the posterior mean and variance in target units. */
export class GaussianProcess {
  private constructor(
    private readonly x: readonly (readonly number[])[],
    private readonly l: Float64Array,
    private readonly alpha: Float64Array,
    private readonly yMean: number,
    private readonly yStd: number,
    readonly hyper: GpHyperparameters,
    /** Log marginal likelihood of the standardised targets at the fitted hyperparameters. */
    readonly logMarginalLikelihood: number,
    /** Diagonal jitter added to make the covariance positive definite (0 normally). */
    readonly jitter = 0,
  ) {}

  /** The observation noise variance in the targets' own units (the fitted noise times the targets' variance). */
  get noiseVarianceInTargetUnits(): number {
    return this.hyper.noiseVariance * this.yStd * this.yStd;
  }

  /** The lower Cholesky factor of the training covariance (n x n, row-major; do not modify). */
  get choleskyFactor(): Float64Array {
    return this.l;
  }

  /**
   * A GP with given hyperparameters (no fit: one O(n^3) factorisation, or none when `factor` is the
   * Cholesky factor of these points' covariance under `hyper`, e.g. one grown with `choleskyAppend`).
   */
  static withHyperparameters(
    x: readonly (readonly number[])[],
    y: readonly number[],
    hyper: GpHyperparameters,
    factor?: { readonly l: Float64Array; readonly jitter: number },
  ): GaussianProcess {
    const n = x.length;
    const mean = y.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const std = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n)) || 1;
    const ys = y.map((v) => (v - mean) / std);
    const f = factor ?? factorCovariance(x, hyper);
    const alpha = solveUpperT(f.l, n, solveLower(f.l, n, ys));
    let nl = 0.5 * n * Math.log(2 * Math.PI);
    for (let i = 0; i < n; i++) nl += 0.5 * (ys[i] as number) * (alpha[i] as number) + Math.log(f.l[i * n + i] as number);
    return new GaussianProcess(x, f.l, alpha, mean, std, hyper, -nl, f.jitter);
  }

  /** Fits hyperparameters to (x, y); x rows must all have the same length. */
  static fit(x: readonly (readonly number[])[], y: readonly number[], rng: Rng, options: GpFitOptions = {}): GaussianProcess {
    const n = x.length;
    const dims = (x[0] as number[] | undefined)?.length ?? 0;
    const groups = options.groups ?? Array.from({ length: dims }, (_, k) => k);
    if (groups.length !== dims) throw new Error(`GP groups: ${groups.length} entries for ${dims} input dimensions`);
    const d = groups.length === 0 ? 0 : Math.max(...groups) + 1;
    const mean = y.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const std = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n)) || 1;
    const ys = y.map((v) => (v - mean) / std);
    const dist = pairDistances(x, groups, d);
    const bounds: [number, number][] = [...Array.from({ length: d }, () => LOG_LS), LOG_SIGNAL, LOG_NOISE];
    // Unconstrained u -> log theta = lo + (hi - lo) * sigmoid(u).
    const toTheta = (u: readonly number[]): number[] =>
      u.map((v, i) => {
        const [lo, hi] = bounds[i] as [number, number];
        return lo + (hi - lo) / (1 + Math.exp(-v));
      });
    const fromTheta = (t: readonly number[]): number[] =>
      t.map((v, i) => {
        const [lo, hi] = bounds[i] as [number, number];
        const s = Math.min(1 - 1e-9, Math.max(1e-9, (v - lo) / (hi - lo)));
        return Math.log(s / (1 - s));
      });
    const objective = (u: readonly number[]): [number, number[]] => {
      const t = toTheta(u);
      const r = nlml(dist, n, ys, t);
      const g = r.grad.map((gi, i) => {
        const [lo, hi] = bounds[i] as [number, number];
        const s = 1 / (1 + Math.exp(-(u[i] as number)));
        return gi * (hi - lo) * s * (1 - s);
      });
      return [r.value, g];
    };
    const w = options.start;
    const starts: number[][] = [
      w && w.lengthscales.length === d
        ? [...w.lengthscales.map(Math.log), Math.log(w.signalVariance), Math.log(w.noiseVariance)].map((v, i) => {
            const [lo, hi] = bounds[i] as [number, number];
            return Math.min(hi, Math.max(lo, v));
          })
        : [...Array.from({ length: d }, () => Math.log(0.3)), Math.log(1), Math.log(1e-3)],
    ];
    for (let s = 0; s < (options.restarts ?? 2); s++) {
      starts.push([
        ...Array.from({ length: d }, () => rng.uniform(Math.log(0.05), Math.log(2))),
        rng.uniform(Math.log(0.3), Math.log(3)),
        rng.uniform(Math.log(1e-5), Math.log(1e-2)),
      ]);
    }
    let bestU: number[] | undefined;
    let bestV = Infinity;
    for (const s of starts) {
      const [u, v] = lbfgs(objective, fromTheta(s), options.maxIterations ?? 50);
      if (v < bestV) {
        bestV = v;
        bestU = u;
      }
    }
    const theta = toTheta(bestU ?? fromTheta(starts[0] as number[]));
    const perGroup = theta.slice(0, d).map(Math.exp);
    const hyper: GpHyperparameters = {
      lengthscales: groups.map((g) => perGroup[g] as number),
      signalVariance: Math.exp(theta[d] as number),
      noiseVariance: Math.exp(theta[d + 1] as number),
    };
    const { l, jitter } = factorCovariance(x, hyper);
    const alpha = solveUpperT(l, n, solveLower(l, n, ys));
    return new GaussianProcess(x, l, alpha, mean, std, hyper, -bestV, jitter);
  }

  /** Posterior mean and variance (of the latent function, in target units) at `p`. */
  predict(p: readonly number[]): { mean: number; variance: number } {
    const n = this.x.length;
    const k = new Float64Array(n);
    for (let i = 0; i < n; i++) k[i] = matern52(p, this.x[i] as number[], this.hyper.lengthscales, this.hyper.signalVariance);
    let m = 0;
    for (let i = 0; i < n; i++) m += (k[i] as number) * (this.alpha[i] as number);
    const v = solveLower(this.l, n, k);
    let q = 0;
    for (let i = 0; i < n; i++) q += (v[i] as number) ** 2;
    const variance = Math.max(1e-12, this.hyper.signalVariance - q);
    return { mean: this.yMean + this.yStd * m, variance: variance * this.yStd * this.yStd };
  }
}

/** The lower Cholesky factor of the covariance of `x` under `h` (noise on the diagonal, jitter added if needed). */
export function factorCovariance(x: readonly (readonly number[])[], h: GpHyperparameters): { l: Float64Array; jitter: number } {
  const n = x.length;
  const kmat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = matern52(x[i] as number[], x[j] as number[], h.lengthscales, h.signalVariance);
      kmat[i * n + j] = v;
      kmat[j * n + i] = v;
    }
  }
  let jitter = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const a = kmat.slice();
    for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + h.noiseVariance + jitter;
    const l = cholesky(a, n);
    if (l) return { l, jitter };
    jitter = jitter === 0 ? 1e-8 : jitter * 10;
  }
  throw new Error('Gaussian process covariance is not positive definite even with jitter');
}

/**
 * Squared coordinate differences of every pair of points summed per lengthscale group: entry
 * (p, g) for the pair p = i (i + 1) / 2 + j (j <= i). Computed once per fit, so each likelihood
 * evaluation costs O(n^2 groups) for the kernel instead of O(n^2 dimensions).
 */
function pairDistances(x: readonly (readonly number[])[], groups: readonly number[], nGroups: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(((n * (n + 1)) / 2) * nGroups);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number[];
    for (let j = 0; j <= i; j++, p++) {
      const xj = x[j] as number[];
      for (let k = 0; k < groups.length; k++) {
        const dk = (xi[k] as number) - (xj[k] as number);
        if (dk !== 0) {
          const q = p * nGroups + (groups[k] as number);
          out[q] = (out[q] as number) + dk * dk;
        }
      }
    }
  }
  return out;
}

/** Negative log marginal likelihood and its gradient with respect to the log hyperparameters (per group). */
function nlml(dist: Float64Array, n: number, y: readonly number[], theta: readonly number[]): { value: number; grad: number[] } {
  const d = theta.length - 2;
  const invLs2 = theta.slice(0, d).map((t) => Math.exp(-2 * t));
  const signal = Math.exp(theta[d] as number);
  const noise = Math.exp(theta[d + 1] as number);
  const kmat = new Float64Array(n * n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++, p++) {
      let r2 = 0;
      for (let g = 0; g < d; g++) r2 += (dist[p * d + g] as number) * (invLs2[g] as number);
      const r = Math.sqrt(r2);
      const v = signal * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      kmat[i * n + j] = v;
      kmat[j * n + i] = v;
    }
  }
  let l: Float64Array | null = null;
  let jitter = 0;
  for (let attempt = 0; attempt < 8 && !l; attempt++) {
    const a = kmat.slice();
    for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + noise + jitter;
    l = cholesky(a, n);
    jitter = jitter === 0 ? 1e-8 : jitter * 10;
  }
  if (!l) return { value: 1e10, grad: theta.map(() => 0) };
  const alpha = solveUpperT(l, n, solveLower(l, n, y));
  let value = 0;
  for (let i = 0; i < n; i++) value += 0.5 * (y[i] as number) * (alpha[i] as number) + Math.log(l[i * n + i] as number);
  value += 0.5 * n * Math.log(2 * Math.PI);
  const kinv = choleskyInverse(l, n);
  // W = alpha alpha^T - K^-1; dNLML/dtheta = -0.5 tr(W dK/dtheta).
  const grad = new Array<number>(d + 2).fill(0);
  p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++, p++) {
      const w = (alpha[i] as number) * (alpha[j] as number) - (kinv[i * n + j] as number);
      const mult = i === j ? 1 : 2;
      let r2 = 0;
      for (let g = 0; g < d; g++) r2 += (dist[p * d + g] as number) * (invLs2[g] as number);
      const r = Math.sqrt(r2);
      const e = Math.exp(-SQRT5 * r);
      const kv = signal * (1 + SQRT5 * r + (5 / 3) * r2) * e;
      const common = -0.5 * mult * w * signal * (5 / 3) * (1 + SQRT5 * r) * e;
      if (r2 > 0) for (let g = 0; g < d; g++) grad[g] = (grad[g] as number) + common * (dist[p * d + g] as number) * (invLs2[g] as number);
      grad[d] = (grad[d] as number) - 0.5 * mult * w * kv;
      if (i === j) grad[d + 1] = (grad[d + 1] as number) - 0.5 * w * noise;
    }
  }
  return { value, grad };
}

/** Minimises f with L-BFGS (memory 6) and a backtracking Armijo line search. */
export function lbfgs(f: (u: readonly number[]) => [number, number[]], start: readonly number[], maxIter: number): [number[], number] {
  let x = [...start];
  let [fx, g] = f(x);
  const sList: number[][] = [];
  const yList: number[][] = [];
  const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
  for (let it = 0; it < maxIter; it++) {
    // Two-loop recursion.
    const q = [...g];
    const alphas: number[] = [];
    for (let k = sList.length - 1; k >= 0; k--) {
      const s = sList[k] as number[];
      const y = yList[k] as number[];
      const a = dot(s, q) / dot(y, s);
      alphas[k] = a;
      for (let i = 0; i < q.length; i++) q[i] = (q[i] as number) - a * (y[i] as number);
    }
    const last = sList.length - 1;
    const gamma =
      last >= 0
        ? dot(sList[last] as number[], yList[last] as number[]) / dot(yList[last] as number[], yList[last] as number[])
        : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < q.length; i++) q[i] = (q[i] as number) * gamma;
    for (let k = 0; k < sList.length; k++) {
      const s = sList[k] as number[];
      const y = yList[k] as number[];
      const b = dot(y, q) / dot(y, s);
      for (let i = 0; i < q.length; i++) q[i] = (q[i] as number) + s[i]! * ((alphas[k] as number) - b);
    }
    let dir = q.map((v) => -v);
    let slope = dot(dir, g);
    if (!(slope < 0)) {
      dir = g.map((v) => -v);
      slope = -dot(g, g);
      sList.length = 0;
      yList.length = 0;
    }
    let step = 1;
    let accepted = false;
    let xn = x;
    let fn = fx;
    let gn = g;
    for (let ls = 0; ls < 20; ls++) {
      xn = x.map((v, i) => v + step * (dir[i] as number));
      [fn, gn] = f(xn);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = xn.map((v, i) => v - (x[i] as number));
    const y = gn.map((v, i) => v - (g[i] as number));
    if (dot(s, y) > 1e-12) {
      sList.push(s);
      yList.push(y);
      if (sList.length > 6) {
        sList.shift();
        yList.shift();
      }
    }
    const improvement = fx - fn;
    x = xn;
    fx = fn;
    g = gn;
    if (improvement < 1e-9 * Math.max(1, Math.abs(fx)) || Math.sqrt(dot(g, g)) < 1e-6) break;
  }
  return [x, fx];
}
