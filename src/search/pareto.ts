/**
 * Pareto utilities: domination (with constraints), non-dominated sorting, crowding distance,
 * hypervolume (exact; dedicated sweeps for 2 and 3 objectives, WFG for more) and knee point.
 * Every function takes MINIMISATION vectors; use {@link toMinimization} first.
 */
import type { Objective, Trial } from './types.js';

/** Values turned into minimisation form (maximised objectives negated). */
export function toMinimization(values: readonly number[], objectives: readonly Objective[]): number[] {
  return values.map((v, i) => (objectives[i]?.direction === 'maximize' ? -v : v));
}

/** Sum of positive constraint violations (0 when feasible or unconstrained). */
export function violation(constraints: readonly number[] | null): number {
  if (constraints === null) return 0;
  let s = 0;
  for (const c of constraints) if (c > 0) s += c;
  return s;
}

/** True when a is no worse than b everywhere and better somewhere (minimisation). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** Deb's constraint domination: feasible beats infeasible, smaller violation beats larger, else Pareto. */
export function constrainedDominates(a: readonly number[], va: number, b: readonly number[], vb: number): boolean {
  if (va <= 0 && vb > 0) return true;
  if (va > 0 && vb <= 0) return false;
  if (va > 0 && vb > 0) return va < vb;
  return dominates(a, b);
}

/** Fast non-dominated sort: fronts of indices, best first. `violations` enables constraint domination. */
export function nonDominatedSort(points: readonly (readonly number[])[], violations?: readonly number[]): number[][] {
  const n = points.length;
  const v = violations ?? new Array<number>(n).fill(0);
  const dominatedBy = new Array<number>(n).fill(0);
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const pi = points[i] as number[];
      const pj = points[j] as number[];
      if (constrainedDominates(pi, v[i] as number, pj, v[j] as number)) {
        (dominatesList[i] as number[]).push(j);
        dominatedBy[j] = (dominatedBy[j] as number) + 1;
      } else if (constrainedDominates(pj, v[j] as number, pi, v[i] as number)) {
        (dominatesList[j] as number[]).push(i);
        dominatedBy[i] = (dominatedBy[i] as number) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominatesList[i] as number[]) {
        const c = (dominatedBy[j] as number) - 1;
        dominatedBy[j] = c;
        if (c === 0) next.push(j);
      }
    }
    current = next;
  }
  return fronts;
}

/**
 * Indices of the non-dominated points (duplicates all kept), ascending. The points are visited in lexicographic order,
 * where a point's dominators all come before it, so each is checked only against the distinct non-dominated vectors
 * found so far (O(n log n + n x front vectors) instead of O(n^2) on a large table); a NaN anywhere takes the pairwise
 * check, whose answer the order would not change.
 */
export function paretoFront(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  if (points.some((p) => p.some((x) => Number.isNaN(x)))) {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let dominated = false;
      for (let j = 0; j < n && !dominated; j++) if (j !== i && dominates(points[j] as number[], points[i] as number[])) dominated = true;
      if (!dominated) out.push(i);
    }
    return out;
  }
  const lex = (a: readonly number[], b: readonly number[]): number => {
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return (a[k] as number) < (b[k] as number) ? -1 : 1;
    return 0;
  };
  const order = [...points.keys()].sort((i, j) => lex(points[i] as number[], points[j] as number[]) || i - j);
  const vectors: (readonly number[])[] = [];
  const keep = new Uint8Array(n);
  for (const i of order) {
    const p = points[i] as number[];
    if (vectors.some((f) => dominates(f, p))) continue;
    keep[i] = 1;
    const last = vectors[vectors.length - 1];
    if (last === undefined || lex(last, p) !== 0) vectors.push(p);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}

/**
 * The non-dominated subset of the points added so far (minimisation), kept incrementally: the same
 * set as {@link paretoFront} over every point added (equal points all kept), ordered by each point's
 * `key` (e.g. a trial number). An add costs O(archive size), not O(points added).
 */
export class ParetoArchive<T> {
  private readonly entries: { readonly key: number; readonly point: readonly number[]; readonly item: T }[] = [];

  /** Adds a point with its item; returns false (and keeps nothing) when an archived point dominates it. */
  add(point: readonly number[], item: T, key: number): boolean {
    for (const e of this.entries) if (dominates(e.point, point)) return false;
    let w = 0;
    for (const e of this.entries) if (!dominates(point, e.point)) this.entries[w++] = e;
    this.entries.length = w;
    let lo = 0;
    let hi = w;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as { key: number }).key <= key) lo = mid + 1;
      else hi = mid;
    }
    this.entries.splice(lo, 0, { key, point: [...point], item });
    return true;
  }

  /** Number of archived points. */
  get size(): number {
    return this.entries.length;
  }

  /** Archived items in key order. */
  items(): T[] {
    return this.entries.map((e) => e.item);
  }

  /** Archived points in key order. */
  points(): (readonly number[])[] {
    return this.entries.map((e) => e.point);
  }
}

/** Crowding distance of each point of one front (Infinity at the extremes). */
export function crowdingDistance(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const d = new Array<number>(n).fill(0);
  if (n <= 2) return d.fill(Infinity);
  const m = (points[0] as number[]).length;
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < m; k++) {
    idx.sort((a, b) => (points[a] as number[])[k]! - (points[b] as number[])[k]!);
    const lo = (points[idx[0] as number] as number[])[k] as number;
    const hi = (points[idx[n - 1] as number] as number[])[k] as number;
    d[idx[0] as number] = Infinity;
    d[idx[n - 1] as number] = Infinity;
    if (hi === lo) continue;
    for (let r = 1; r < n - 1; r++) {
      const i = idx[r] as number;
      d[i] = (d[i] as number) + ((points[idx[r + 1] as number] as number[])[k]! - (points[idx[r - 1] as number] as number[])[k]!) / (hi - lo);
    }
  }
  return d;
}

/**
 * Exact hypervolume dominated by `points` and bounded by `reference` (minimisation). Points not
 * strictly better than the reference in every objective contribute nothing.
 * @example hypervolume([[1, 2], [2, 1]], [3, 3]) // 3
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const m = reference.length;
  const pts = points.filter((p) => p.length === m && p.every((x, i) => x < (reference[i] as number))).map((p) => [...p]);
  if (pts.length === 0) return 0;
  if (m === 1) return (reference[0] as number) - Math.min(...pts.map((p) => p[0] as number));
  const front = paretoFront(pts).map((i) => pts[i] as number[]);
  if (m === 2) return hv2(front, reference);
  if (m === 3) return hv3(front, reference);
  return wfg(front, reference);
}

function hv2(pts: number[][], ref: readonly number[]): number {
  const s = [...pts].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let vol = 0;
  let lastY = ref[1] as number;
  for (const p of s) {
    if (p[1]! < lastY) {
      vol += ((ref[0] as number) - p[0]!) * (lastY - p[1]!);
      lastY = p[1]!;
    }
  }
  return vol;
}

function hv3(pts: number[][], ref: readonly number[]): number {
  // Sweep along the third objective; between consecutive z levels the area is the 2-D hypervolume
  // of the points seen so far.
  const s = [...pts].sort((a, b) => a[2]! - b[2]!);
  let vol = 0;
  const seen: number[][] = [];
  for (let i = 0; i < s.length; i++) {
    seen.push(s[i] as number[]);
    const zNext = i + 1 < s.length ? (s[i + 1] as number[])[2]! : (ref[2] as number);
    const dz = zNext - (s[i] as number[])[2]!;
    if (dz > 0) vol += hv2(seen, ref) * dz;
  }
  return vol;
}

/** WFG algorithm (While, Bradstreet, Barone 2012): sum of exclusive hypervolumes. */
function wfg(pts: number[][], ref: readonly number[]): number {
  if (pts.length === 0) return 0;
  if (ref.length === 2) return hv2(pts, ref);
  const s = [...pts].sort((a, b) => b[0]! - a[0]!);
  let vol = 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i] as number[];
    let box = 1;
    for (let k = 0; k < ref.length; k++) box *= (ref[k] as number) - p[k]!;
    const limited: number[][] = [];
    for (let j = i + 1; j < s.length; j++) limited.push((s[j] as number[]).map((x, k) => Math.max(x, p[k]!)));
    const nd = paretoFront(limited).map((j) => limited[j] as number[]);
    vol += box - wfg(dedupe(nd), ref);
  }
  return vol;
}

function dedupe(pts: number[][]): number[][] {
  const seen = new Set<string>();
  return pts.filter((p) => {
    const k = p.join(',');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Per-objective bounds of a set of points: `lo[k]` and `hi[k]` are the smallest and largest `p[k]` over `points`
 * (Infinity and -Infinity when there are none); `m` objectives (default: the first point's length).
 * @example objectiveBounds([[1, 5], [3, 2]]) // { lo: [1, 2], hi: [3, 5] }
 */
export function objectiveBounds(points: readonly (readonly number[])[], m = points[0]?.length ?? 0): { lo: number[]; hi: number[] } {
  const lo = new Array<number>(m).fill(Infinity);
  const hi = new Array<number>(m).fill(-Infinity);
  for (const p of points)
    for (let k = 0; k < m; k++) {
      lo[k] = Math.min(lo[k] as number, p[k] as number);
      hi[k] = Math.max(hi[k] as number, p[k] as number);
    }
  return { lo, hi };
}

/**
 * Knee of a front: after scaling each objective to [0, 1] over the front, the point farthest
 * below the hyperplane through the extreme points (the smallest sum of scaled objectives).
 * Returns the index into `points`, or -1 for an empty array.
 */
export function kneePoint(points: readonly (readonly number[])[]): number {
  if (points.length === 0) return -1;
  const m = (points[0] as number[]).length;
  const { lo, hi } = objectiveBounds(points, m);
  let best = -1;
  let bestScore = Infinity;
  points.forEach((p, i) => {
    let s = 0;
    for (let k = 0; k < m; k++) {
      const r = (hi[k] as number) - (lo[k] as number);
      s += r > 0 ? ((p[k] as number) - (lo[k] as number)) / r : 0;
    }
    if (s < bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

/** The complete trials on the (constraint-aware) first front of a study. */
export function paretoTrials(trials: readonly Trial[], objectives: readonly Objective[]): Trial[] {
  const done = trials.filter((t) => t.state === 'complete' && t.values !== null);
  const feasible = done.filter((t) => violation(t.constraints) <= 0);
  if (feasible.length === 0) return [];
  const pts = feasible.map((t) => toMinimization(t.values as number[], objectives));
  return paretoFront(pts).map((i) => feasible[i] as Trial);
}
