/**
 * Bayesian optimisation: a Gaussian process (Matern 5/2 ARD, see ../gp.ts) on the unit-cube
 * encoding of the space (one-hot categoricals), expected improvement maximised over random
 * candidates plus local refinement. Several objectives are scalarised per ask with ParEGO's
 * augmented Tchebycheff function and a random weight vector. Infeasible trials are modelled with
 * a penalty: worst feasible scalar plus the (scaled) violation. All state comes from history.
 *
 * Speed: the kernel hyperparameters are refitted every `refitEvery` complete trials only (on the trials
 * up to that point, with equal ParEGO weights and a seed derived from the count, so a resumed study
 * refits exactly as an uninterrupted one), and between refits the covariance's Cholesky factor grows by
 * one row per new trial (O(n^2)) instead of being recomputed. Categorical parameters get one lengthscale
 * per parameter over their one-hot block (an overlap kernel), not one per choice.
 */
import { ConfigError } from '../../errors.js';
import { Rng } from '../../util/rng.js';
import { GaussianProcess, type GpHyperparameters, matern52 } from '../gp.js';
import { choleskyAppend } from '../linalg.js';
import { toMinimization, violation } from '../pareto.js';
import type { CategoricalParam, SearchSpace } from '../space.js';
import type { AskContext, Params, SearchStrategy, Trial } from '../types.js';

/** Options of {@link BayesianOptimization}. */
export interface BayesianOptimizationOptions {
  /** Random trials before the model is used (default max(8, 2 x encoded dimension + 2)). */
  readonly startupTrials?: number;
  /** Random candidates scored per ask (default 2000). */
  readonly candidates?: number;
  /** Best candidates refined by local search (default 5). */
  readonly refine?: number;
  /** Hyperparameter-fit restarts (default 2, plus the default start). */
  readonly restarts?: number;
  /** Most recent complete trials the model is fitted to (default 200, caps the O(n^3) cost). */
  readonly maxPoints?: number;
  /** ParEGO's augmentation factor rho (default 0.05). */
  readonly rho?: number;
  /** Complete trials between hyperparameter refits (default 10; 1 refits at every ask). */
  readonly refitEvery?: number;
  /** One lengthscale per categorical parameter (its one-hot block) instead of one per choice (default true). */
  readonly categoricalKernel?: boolean;
}

/** GP-based Bayesian optimisation with expected improvement (ParEGO for several objectives). */
export class BayesianOptimization implements SearchStrategy {
  readonly name = 'bo';
  private readonly o: Required<Omit<BayesianOptimizationOptions, 'startupTrials'>> & { startupTrials: number | undefined };

  constructor(options: BayesianOptimizationOptions = {}) {
    this.o = {
      startupTrials: options.startupTrials,
      candidates: options.candidates ?? 2000,
      refine: options.refine ?? 5,
      restarts: options.restarts ?? 2,
      maxPoints: options.maxPoints ?? 200,
      rho: options.rho ?? 0.05,
      refitEvery: options.refitEvery ?? 10,
      categoricalKernel: options.categoricalKernel ?? true,
    };
    if (this.o.candidates < 1) throw new ConfigError(`bo candidates ${this.o.candidates}: expected >= 1`);
    if (!(Number.isInteger(this.o.refitEvery) && this.o.refitEvery >= 1))
      throw new ConfigError(`bo refitEvery ${JSON.stringify(options.refitEvery)}: expected an integer >= 1`);
  }

  private hyperMemo = new Map<string, GpHyperparameters>();
  private factorCache: { key: string; numbers: number[]; l: Float64Array; jitter: number } | undefined;

  /** Hyperparameters for a model over `done` (complete trials in number order): those of the last refit point. */
  private hyperparameters(done: readonly Trial[], startup: number, ctx: AskContext, groups: readonly number[] | undefined): GpHyperparameters {
    const r = startup + Math.floor((done.length - startup) / this.o.refitEvery) * this.o.refitEvery;
    const prefix = done.slice(Math.max(0, r - this.o.maxPoints), r);
    const key = `${r}|${prefix.map((t) => t.number).join(',')}|${ctx.objectives.map((o) => o.direction).join(',')}`;
    const hit = this.hyperMemo.get(key);
    if (hit) return hit;
    const fit = GaussianProcess.fit(
      prefix.map((t) => ctx.space.encode(t.params)),
      scalarise(prefix, ctx, null, this.o.rho),
      new Rng(0x5eed + r),
      { restarts: this.o.restarts, ...(groups ? { groups } : {}) },
    ).hyper;
    if (this.hyperMemo.size > 64) this.hyperMemo.clear();
    this.hyperMemo.set(key, fit);
    return fit;
  }

  /** The Cholesky factor for `window` under `hyper`: the cached one grown by the new rows when it is a prefix. */
  private factor(window: readonly Trial[], x: readonly number[][], hyper: GpHyperparameters): { l: Float64Array; jitter: number } | undefined {
    const key = JSON.stringify(hyper);
    const numbers = window.map((t) => t.number);
    const c = this.factorCache;
    let out: { l: Float64Array; jitter: number } | undefined;
    if (c && c.key === key && c.numbers.length <= numbers.length && c.numbers.every((v, i) => v === numbers[i])) {
      let l: Float64Array | null = c.l;
      for (let n = c.numbers.length; n < numbers.length && l; n++) {
        const k = new Float64Array(n);
        for (let i = 0; i < n; i++) k[i] = matern52(x[n] as number[], x[i] as number[], hyper.lengthscales, hyper.signalVariance);
        l = choleskyAppend(l, n, k, hyper.signalVariance + hyper.noiseVariance + c.jitter);
      }
      if (l) out = { l, jitter: c.jitter };
    }
    return out;
  }

  ask(ctx: AskContext): Params {
    const { space, rng } = ctx;
    const startup = this.o.startupTrials ?? Math.max(8, 2 * space.encodedDimension + 2);
    let done = ctx.history.filter((t) => t.state === 'complete' && t.values !== null && t.values.every(Number.isFinite));
    if (done.length < startup) return space.sample(rng);
    const groups = this.o.categoricalKernel ? lengthscaleGroups(space) : undefined;
    const hyper = this.hyperparameters(done, startup, ctx, groups);
    if (done.length > this.o.maxPoints) done = done.slice(done.length - this.o.maxPoints);
    const y = scalarise(done, ctx, rng, this.o.rho);
    const x = done.map((t) => space.encode(t.params));
    const grown = this.factor(done, x, hyper);
    const gp = GaussianProcess.withHyperparameters(x, y, hyper, grown);
    this.factorCache = { key: JSON.stringify(hyper), numbers: done.map((t) => t.number), l: gp.choleskyFactor, jitter: gp.jitter };
    const best = Math.min(...y);
    const score = (p: Params): number => {
      const { mean, variance } = gp.predict(space.encode(p));
      return logExpectedImprovement(best, mean, Math.sqrt(variance));
    };
    // Candidates: uniform samples plus perturbations of the best observed points.
    const order = y.map((_, i) => i).sort((a, b) => (y[a] as number) - (y[b] as number));
    const pool: { p: Params; s: number }[] = [];
    for (let i = 0; i < this.o.candidates; i++) {
      const p =
        i % 4 === 3 ? perturb(space.encode((done[order[i % Math.min(5, order.length)] as number] as Trial).params), 0.1, space, rng) : space.sample(rng);
      pool.push({ p, s: score(p) });
    }
    pool.sort((a, b) => b.s - a.s);
    let winner = pool[0] as { p: Params; s: number };
    for (const start of pool.slice(0, this.o.refine)) {
      let cur = start;
      let scale = 0.1;
      for (let it = 0; it < 40 && scale > 1e-4; it++) {
        const p = perturb(space.encode(cur.p), scale, space, rng);
        const s = score(p);
        if (s > cur.s) {
          cur = { p, s };
          scale = Math.min(0.3, scale * 1.5);
        } else scale *= 0.7;
      }
      if (cur.s > winner.s) winner = cur;
    }
    return winner.p;
  }
}

/** Lengthscale group per encoded dimension: one per categorical parameter's one-hot block, else one per dimension. */
export function lengthscaleGroups(space: SearchSpace): number[] {
  const groups: number[] = [];
  let g = 0;
  for (const name of space.names) {
    const spec = space.spec(name);
    if (spec.kind === 'categorical') {
      for (let j = 0; j < spec.choices.length; j++) groups.push(g);
      g++;
    } else {
      const w = spec.kind === 'structured' ? spec.codec.dimension : 1;
      for (let j = 0; j < w; j++) groups.push(g++);
    }
  }
  return groups;
}

/** Scalar targets to minimise: the objective itself, or ParEGO's augmented Tchebycheff value (equal weights when `rng` is null). */
function scalarise(done: readonly Trial[], ctx: AskContext, rng: Rng | null, rho: number): number[] {
  const vals = done.map((t) => toMinimization(t.values as number[], ctx.objectives));
  const m = ctx.objectives.length;
  let f: number[];
  if (m === 1) f = vals.map((v) => v[0] as number);
  else {
    const lo = new Array<number>(m).fill(Infinity);
    const hi = new Array<number>(m).fill(-Infinity);
    for (const v of vals)
      for (let k = 0; k < m; k++) {
        lo[k] = Math.min(lo[k] as number, v[k] as number);
        hi[k] = Math.max(hi[k] as number, v[k] as number);
      }
    const w = Array.from({ length: m }, () => (rng ? -Math.log(1 - rng.next()) : 1));
    const ws = w.reduce((s, v) => s + v, 0);
    f = vals.map((v) => {
      let mx = -Infinity;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const r = (hi[k] as number) - (lo[k] as number);
        const z = ((w[k] as number) / ws) * (r > 0 ? ((v[k] as number) - (lo[k] as number)) / r : 0);
        mx = Math.max(mx, z);
        sum += z;
      }
      return mx + rho * sum;
    });
  }
  const viol = done.map((t) => violation(t.constraints));
  if (viol.every((v) => v <= 0)) return f;
  const feasible = f.filter((_, i) => (viol[i] as number) <= 0);
  const worst = feasible.length ? Math.max(...feasible) : Math.min(...f);
  const spread = Math.max(...f) - Math.min(...f) || 1;
  const maxViol = Math.max(...viol);
  return f.map((v, i) => ((viol[i] as number) > 0 ? worst + spread * (0.1 + (viol[i] as number) / maxViol) : v));
}

/**
 * A neighbour of encoded point `x`: Gaussian noise of sd `scale` on every encoded dimension, and, when the space has
 * categorical parameters, one of them (chosen uniformly) moved to another of its choices. Without that move a
 * categorical parameter (a one-hot block, decoded by argmax) almost never changes under noise of sd 0.1-0.3, so the
 * perturbed candidates and the local refinement would only ever re-propose the points they start from (measured on
 * mbv2-micro+bits: 0 of 20,000 perturbations changed a parameter). Float-only spaces draw exactly as before.
 */
export function perturb(x: readonly number[], scale: number, space: SearchSpace, rng: Rng): Params {
  const out = space.decode(x.map((v) => v + rng.normal(0, scale)));
  const cats = space.names.filter((n) => {
    const spec = space.spec(n);
    return spec.kind === 'categorical' && spec.choices.length > 1;
  });
  if (cats.length === 0) return out;
  const name = rng.choice(cats);
  const spec = space.spec(name) as CategoricalParam;
  const others = spec.choices.filter((c) => c !== out[name]);
  return { ...out, [name]: rng.choice(others) };
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log of expected improvement below `best` of N(mean, sd^2), stable for very negative z. */
export function logExpectedImprovement(best: number, mean: number, sd: number): number {
  if (!(sd > 0)) return mean < best ? Math.log(best - mean) : -Infinity;
  const z = (best - mean) / sd;
  if (z > -6) {
    const h = z * normCdf(z) + Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
    return Math.log(Math.max(h, 1e-300)) + Math.log(sd);
  }
  // h(z) ~ phi(z) / z^2 for z -> -inf.
  return -0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z) + Math.log(sd);
}

/** Standard normal cumulative distribution (erfc-based, |error| < 1.2e-7). */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfcc (Chebyshev fit), fractional error < 1.2e-7 everywhere.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
