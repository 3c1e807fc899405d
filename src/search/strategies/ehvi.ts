/**
 * Expected hypervolume improvement of a candidate whose objectives are all known exactly but one.
 *
 * In cost-aware search the hardware costs of a candidate come from a cost model or a table (free) and only
 * its accuracy is uncertain. With every other coordinate fixed, the hypervolume a point adds to a front is a
 * monotone function of that one coordinate `a` (minimisation):
 *   gain(a) = integral from a to ref_k of A(t) dt,
 * where A(t) is the volume of the candidate's box in the other objectives, [c, ref], that is not dominated by
 * the front points whose k-th coordinate is <= t. A(t) is piecewise constant, stepping at the front points'
 * k-th coordinates, so under a normal predictive distribution a ~ N(mu, sd^2)
 *   E[gain] = sum_i A_i * integral over [t_i, t_{i+1}) of P(a < t) dt
 *           = sum_i A_i * sd * (psi((t_{i+1} - mu) / sd) - psi((t_i - mu) / sd)),  psi(z) = z Phi(z) + phi(z),
 * exact up to the normal CDF's rounding (no Monte Carlo, no box decomposition of the whole space).
 */
import { hypervolume } from '../pareto.js';
import { normCdf } from './bayesian.js';

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** psi(z) = integral from -inf to z of Phi(u) du = z Phi(z) + phi(z). */
function psi(z: number): number {
  if (z === -Infinity) return 0;
  if (z < -38) return 0;
  return z * normCdf(z) + normalPdf(z);
}

/**
 * The expected hypervolume improvement over `front` (minimisation; points need not be mutually
 * non-dominated) of a point whose coordinates are `y` except coordinate `k`, which is N(mean, sd^2).
 * Volume is measured up to `ref`. `sd` = 0 gives the plain improvement at `mean`.
 */
export function exactCostEhvi(
  front: readonly (readonly number[])[],
  ref: readonly number[],
  y: readonly number[],
  k: number,
  mean: number,
  sd: number,
): number {
  const m = ref.length;
  const others = Array.from({ length: m }, (_, j) => j).filter((j) => j !== k);
  // The candidate's box in the other objectives; none when it lies beyond the reference there.
  let box = 1;
  for (const j of others) {
    const w = (ref[j] as number) - (y[j] as number);
    if (!(w > 0)) return 0;
    box *= w;
  }
  const R = ref[k] as number;
  // Front points inside the reference along k, by their k-th coordinate; their other coordinates clipped
  // to the candidate's box (only the part of their dominated region inside the box matters).
  const pts = front
    .filter((f) => (f[k] as number) < R && others.every((j) => (f[j] as number) < (ref[j] as number)))
    .map((f) => ({ t: f[k] as number, c: others.map((j) => Math.max(f[j] as number, y[j] as number)) }))
    .sort((a, b) => a.t - b.t);
  const refO = others.map((j) => ref[j] as number);
  const areas = stepAreas(
    pts.map((p) => p.c),
    refO,
    box,
  );
  // areas[i]: A(t) on [t_i, t_{i+1}) with t_0 = -inf and t_{n+1} = R (areas[0] = box).
  const ts = [-Infinity, ...pts.map((p) => p.t), R];
  let e = 0;
  for (let i = 0; i < ts.length - 1; i++) {
    const a = areas[i] as number;
    if (a <= 0) continue;
    const lo = ts[i] as number;
    const hi = ts[i + 1] as number;
    if (!(hi > lo)) continue;
    if (sd > 0) e += a * sd * (psi((hi - mean) / sd) - psi((lo - mean) / sd));
    else e += a * Math.max(0, hi - Math.max(lo, mean));
  }
  return e > 0 ? e : 0;
}

/**
 * A(t) after each prefix of `pts` (already clipped to the candidate's box [lo, ref] and sorted by the k-th coordinate):
 * the volume of the box not dominated by the first i points, for i = 0..n (pareto.ts's hypervolume of each prefix).
 */
function stepAreas(pts: readonly (readonly number[])[], ref: readonly number[], box: number): number[] {
  const out: number[] = [box];
  for (let i = 1; i <= pts.length; i++) out.push(Math.max(0, box - hypervolume(pts.slice(0, i), ref)));
  return out;
}
