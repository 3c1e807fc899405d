/**
 * Retrieval metrics, exact: every query is ranked against the whole gallery by cosine similarity.
 *
 * - AP of a query = mean over its relevant gallery items (same class) of the precision at the item's rank;
 *   mAP = mean AP over queries. recall@k = fraction of queries with at least one relevant item among the
 *   k most similar (the "Recall@K" of the metric-learning literature).
 * - Ties in similarity are broken by gallery index (a stable ranking), the same in the fast path and the
 *   reference.
 * - Queries without any relevant gallery item are left out (counted in `skipped`); none scorable is an error.
 *
 * Speed: similarities are computed block by block (a block of queries against the whole gallery) by a
 * {@link ScoreFn}: {@link jsScores} (plain blocked loops) or the engine's matrix product
 * (src/engine/retrieval-sim.ts, XNNPACK). Ranking a row (default, `ranking: 'relevant'`): AP needs only the
 * ranks of the relevant items, so only those are sorted (radix sort of their order-preserving integer keys);
 * every other gallery item is then located among them through a 65,536-bucket table on the keys' top 16 bits
 * (a short scan or binary search inside its bucket) and counted, and a relevant item's rank is its position
 * among the relevant items plus the number of other items ranked above it. Exact, with the same tie rule and
 * the same summation order as `ranking: 'full-sort'` (a 3-pass LSD radix sort of the whole row, the previous
 * path, kept as the check): the two give bit-identical results (tested).
 */
import { ShapeError, UserError } from '../errors.js';

/** n embeddings of dimension `dim` (row-major) with their class labels. */
export interface Embeddings {
  readonly data: Float32Array;
  readonly n: number;
  readonly dim: number;
  readonly labels: ArrayLike<number>;
}

/** What {@link retrievalMetrics} returns. */
export interface RetrievalMetrics {
  readonly map: number;
  readonly recallAt1: number;
  readonly recallAt5: number;
  /** Queries scored. */
  readonly queries: number;
  /** Queries left out: no relevant gallery item. */
  readonly skipped: number;
  readonly gallery: number;
}

/**
 * Similarities of `nq` queries (rows of `q`, already L2-normalised) with all `ng` gallery rows of `g`:
 * writes `nq x ng` values into `out` (row-major). May be async (the engine's).
 */
export type ScoreFn = (q: Float32Array, nq: number, g: Float32Array, ng: number, dim: number, out: Float32Array) => void | Promise<void>;

/** Options of {@link retrievalMetrics}. */
export interface RetrievalMetricsOptions {
  /** Similarity blocks (default {@link jsScores}). */
  readonly scores?: ScoreFn;
  /** Queries per block (default 128). */
  readonly blockRows?: number;
  /** Called after every block with the queries done. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * How a row is ranked: 'relevant' (default: only the relevant items are sorted, the others counted) or
   * 'full-sort' (the whole row radix-sorted). Bit-identical results; 'full-sort' is the slower check.
   */
  readonly ranking?: 'relevant' | 'full-sort';
}

/** Descending-score sort key of a float32 score given as its bit pattern: ascending key = descending score, -0 = +0. */
function scoreKey(u: number): number {
  const v = u === 0x80000000 ? 0 : u;
  const asc = v & 0x80000000 ? ~v >>> 0 : (v | 0x80000000) >>> 0;
  return ~asc >>> 0;
}

function checkEmb(e: Embeddings, what: string): void {
  if (!Number.isInteger(e.n) || e.n < 1) throw new UserError(`${what}: ${e.n} embeddings, expected at least 1`);
  if (!Number.isInteger(e.dim) || e.dim < 1) throw new ShapeError(`${what}: embedding dimension ${e.dim} is invalid`);
  if (e.data.length !== e.n * e.dim) throw new ShapeError(`${what}: ${e.data.length} values, expected n x dim = ${e.n} x ${e.dim}`);
  if (e.labels.length < e.n) throw new ShapeError(`${what}: ${e.labels.length} labels for ${e.n} embeddings`);
  for (let i = 0; i < e.n; i++) {
    const v = e.labels[i] as number;
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${what}: label ${v} at index ${i} is not a non-negative integer`);
  }
  for (let i = 0; i < e.data.length; i++) if (!Number.isFinite(e.data[i])) throw new UserError(`${what}: value ${e.data[i]} at index ${i} is not finite`);
}

/** Rows scaled to unit L2 norm (a copy; an all-zero row stays zero, so its similarities are 0). */
export function l2Normalize(data: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) s += (data[o + j] as number) ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[o + j] = (data[o + j] as number) * inv;
  }
  return out;
}

/** {@link ScoreFn} in plain JS: blocked dot products (4 gallery rows at a time). */
export function jsScores(q: Float32Array, nq: number, g: Float32Array, ng: number, dim: number, out: Float32Array): void {
  for (let i = 0; i < nq; i++) {
    const qo = i * dim;
    const oo = i * ng;
    let j = 0;
    for (; j + 4 <= ng; j += 4) {
      const g0 = j * dim;
      const g1 = g0 + dim;
      const g2 = g1 + dim;
      const g3 = g2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < dim; k++) {
        const a = q[qo + k] as number;
        s0 += a * (g[g0 + k] as number);
        s1 += a * (g[g1 + k] as number);
        s2 += a * (g[g2 + k] as number);
        s3 += a * (g[g3 + k] as number);
      }
      out[oo + j] = s0;
      out[oo + j + 1] = s1;
      out[oo + j + 2] = s2;
      out[oo + j + 3] = s3;
    }
    for (; j < ng; j++) {
      let s = 0;
      const go = j * dim;
      for (let k = 0; k < dim; k++) s += (q[qo + k] as number) * (g[go + k] as number);
      out[oo + j] = s;
    }
  }
}

/** Scratch buffers of the radix ranking of one row of `n` scores. */
class Ranker {
  readonly keys: Uint32Array;
  readonly keys2: Uint32Array;
  readonly idx: Uint32Array;
  readonly idx2: Uint32Array;
  private readonly count = new Uint32Array(2048);

  constructor(readonly n: number) {
    this.keys = new Uint32Array(n);
    this.keys2 = new Uint32Array(n);
    this.idx = new Uint32Array(n);
    this.idx2 = new Uint32Array(n);
  }

  /**
   * Gallery indices ordered by descending score (ties: ascending index), from a row of float32 scores
   * given as their bit patterns. Returns the array holding the order (one of the scratch arrays).
   */
  rank(bits: Uint32Array, offset: number): Uint32Array {
    const n = this.n;
    const k = this.keys;
    const ix = this.idx;
    const k2 = this.keys2;
    const ix2 = this.idx2;
    for (let i = 0; i < n; i++) {
      k[i] = scoreKey(bits[offset + i] as number);
      ix[i] = i;
    }
    return radixSort(k, ix, k2, ix2, n, this.count)[1];
  }
}

/** Stable LSD radix sort (11/11/10-bit digits) of `n` uint32 keys with payloads, ascending; returns the sorted pair. */
function radixSort(k: Uint32Array, ix: Uint32Array, k2: Uint32Array, ix2: Uint32Array, n: number, count: Uint32Array): [keys: Uint32Array, idx: Uint32Array] {
  for (const [shift, bitsN] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << bitsN) - 1;
    const size = 1 << bitsN;
    count.fill(0, 0, size);
    for (let i = 0; i < n; i++) {
      const d = ((k[i] as number) >>> shift) & mask;
      count[d] = (count[d] as number) + 1;
    }
    let sum = 0;
    for (let b = 0; b < size; b++) {
      const c = count[b] as number;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = k[i] as number;
      const d = (key >>> shift) & mask;
      const at = count[d] as number;
      count[d] = at + 1;
      k2[at] = key;
      ix2[at] = ix[i] as number;
    }
    [k, k2] = [k2, k];
    [ix, ix2] = [ix2, ix];
  }
  return [k, ix];
}

/**
 * AP, hit@1 and hit@5 of one row of scores from the ranks of its relevant items only. Ranking = ascending
 * {@link scoreKey} (descending score), ties by ascending gallery index, as {@link Ranker}.
 *
 * Per row: the relevant items are radix-sorted; the score range they span is cut into 8 buckets per relevant
 * item (linear in the score, hence monotone); one pass counts the items above that range and the items per
 * bucket, a second pass lists each bucket's items; a relevant item's rank = items above the range + items in
 * earlier buckets + items of its own bucket that rank before it (exact key and index comparisons). A row whose
 * buckets would make that last step costly (many equal or crowded scores: more than 2 x gallery comparisons)
 * is ranked by the full radix sort instead.
 */
class RelevantRanker {
  /** Gallery indices of each label, ascending. */
  private readonly byLabel = new Map<number, Uint32Array>();
  private readonly keys: Uint32Array;
  private readonly keys2: Uint32Array;
  private readonly idx: Uint32Array;
  private readonly idx2: Uint32Array;
  /** Items per bucket, then (in place) the first slot of each bucket in `members`. */
  private readonly start: Int32Array;
  /** Next free slot of each bucket while listing. */
  private readonly fill: Int32Array;
  /** Gallery indices grouped by bucket. */
  private readonly members: Int32Array;
  private readonly count = new Uint32Array(2048);
  private full?: Ranker;
  /** Rows ranked by the full sort (crowded buckets). */
  fullSorted = 0;

  constructor(private readonly labels: Int32Array) {
    const n = labels.length;
    const lists = new Map<number, number[]>();
    for (let j = 0; j < n; j++) {
      const l = labels[j] as number;
      const a = lists.get(l);
      if (a) a.push(j);
      else lists.set(l, [j]);
    }
    let max = 0;
    for (const [l, a] of lists) {
      this.byLabel.set(l, Uint32Array.from(a));
      max = Math.max(max, a.length);
    }
    this.keys = new Uint32Array(max);
    this.keys2 = new Uint32Array(max);
    this.idx = new Uint32Array(max);
    this.idx2 = new Uint32Array(max);
    this.start = new Int32Array(8 * max + 1);
    this.fill = new Int32Array(8 * max + 1);
    this.members = new Int32Array(n);
  }

  /** [AP, hit@1, hit@5] of the row of float32 `scores` (`bits`: the same memory) at `offset`, query class `label` (relevant items > 0). */
  score(scores: Float32Array, bits: Uint32Array, offset: number, label: number): [ap: number, hit1: number, hit5: number] {
    const rel = this.byLabel.get(label) as Uint32Array;
    const m = rel.length;
    const ng = this.labels.length;
    for (let p = 0; p < m; p++) {
      const j = rel[p] as number;
      this.keys[p] = scoreKey(bits[offset + j] as number);
      this.idx[p] = j;
    }
    // relevant items by (key, index): the radix sort is stable and the list is in index order
    const ri = radixSort(this.keys, this.idx, this.keys2, this.idx2, m, this.count)[1];
    const smax = scores[offset + (ri[0] as number)] as number;
    const smin = scores[offset + (ri[m - 1] as number)] as number;
    const nb = 8 * m;
    const last = nb - 1;
    const scale = smax > smin ? last / (smax - smin) : 0;
    const start = this.start;
    start.fill(0, 0, nb + 1);
    // pass 1: items above the range (higher score: before every relevant item), items per bucket in the range
    let above = 0;
    let nan = !(smax >= smin);
    for (let j = 0; j < ng; j++) {
      const v = scores[offset + j] as number;
      if (v > smax) above++;
      else if (v >= smin) {
        const b = ((smax - v) * scale) | 0;
        const bb = b > last ? last : b;
        start[bb] = (start[bb] as number) + 1;
      } else if (Number.isNaN(v)) nan = true;
    }
    // cost of the in-bucket comparisons; crowded rows take the full sort
    let work = 0;
    for (let q = 0; q < m; q++) {
      const b = ((smax - (scores[offset + (ri[q] as number)] as number)) * scale) | 0;
      work += start[b > last ? last : b] as number;
    }
    // (a NaN score, which only a custom ScoreFn could produce, also takes the full sort: it orders by bit pattern)
    if (nan || work > 2 * ng) {
      this.fullSorted++;
      this.full ??= new Ranker(ng);
      return scoreRanking(this.full.rank(bits, offset), (j) => this.labels[j] === label, m);
    }
    let acc = 0;
    for (let b = 0; b <= nb; b++) {
      const c = start[b] as number;
      start[b] = acc;
      acc += c;
    }
    const fill = this.fill;
    fill.set(start.subarray(0, nb + 1));
    // pass 2: each bucket's items
    const members = this.members;
    for (let j = 0; j < ng; j++) {
      const v = scores[offset + j] as number;
      if (v <= smax && v >= smin) {
        const b = ((smax - v) * scale) | 0;
        const bb = b > last ? last : b;
        const at = fill[bb] as number;
        fill[bb] = at + 1;
        members[at] = j;
      }
    }
    // relevant items in rank order: rank = above + earlier buckets + own bucket's items ranked before; summed as in scoreRanking
    let sum = 0;
    let firstRank = -1;
    for (let q = 0; q < m; q++) {
      const ix = ri[q] as number;
      const vp = scores[offset + ix] as number;
      const b0 = ((smax - vp) * scale) | 0;
      const b = b0 > last ? last : b0;
      let r = above + (start[b] as number);
      const end = start[b + 1] as number;
      // finite scores: higher score, or equal score (-0 = +0) and lower index, is exactly key order
      for (let t = start[b] as number; t < end; t++) {
        const j = members[t] as number;
        const vj = scores[offset + j] as number;
        if (vj > vp || (vj === vp && j < ix)) r++;
      }
      if (q === 0) firstRank = r;
      sum += (q + 1) / (r + 1);
    }
    return [sum / m, firstRank < 1 ? 1 : 0, firstRank < 5 ? 1 : 0];
  }
}

/**
 * AP, hit@1 and hit@5 of one ranked list: `order` = gallery indices by descending similarity,
 * `relevant(j)` whether gallery item j is relevant, `total` the number of relevant items (> 0).
 */
function scoreRanking(order: ArrayLike<number>, isRelevant: (j: number) => boolean, total: number): [ap: number, hit1: number, hit5: number] {
  let hits = 0;
  let sum = 0;
  let hit1 = 0;
  let hit5 = 0;
  for (let r = 0; r < order.length && hits < total; r++) {
    if (isRelevant(order[r] as number)) {
      hits++;
      sum += hits / (r + 1);
      if (r < 1) hit1 = 1;
      if (r < 5) hit5 = 1;
    }
  }
  return [sum / total, hit1, hit5];
}

function labelCounts(e: Embeddings): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < e.n; i++) m.set(e.labels[i] as number, (m.get(e.labels[i] as number) ?? 0) + 1);
  return m;
}

function finish(sumAp: number, sum1: number, sum5: number, scored: number, skipped: number, gallery: number): RetrievalMetrics {
  if (scored === 0) throw new UserError(`none of the ${skipped} queries has a relevant gallery item (same class): cannot score retrieval`);
  return { map: sumAp / scored, recallAt1: sum1 / scored, recallAt5: sum5 / scored, queries: scored, skipped, gallery };
}

/**
 * Exact mAP, recall@1 and recall@5 of `query` embeddings against `gallery` embeddings (cosine similarity;
 * rows are L2-normalised here). Gallery and queries must have the same dimension.
 * @example
 * const m = await retrievalMetrics({ data: q, n: 10000, dim: 64, labels: yq }, { data: g, n: 60000, dim: 64, labels: yg });
 */
export async function retrievalMetrics(query: Embeddings, gallery: Embeddings, opts: RetrievalMetricsOptions = {}): Promise<RetrievalMetrics> {
  checkEmb(query, 'queries');
  checkEmb(gallery, 'gallery');
  if (query.dim !== gallery.dim) throw new ShapeError(`query embeddings have dimension ${query.dim}, gallery embeddings ${gallery.dim}: they must match`);
  const dim = query.dim;
  const q = l2Normalize(query.data, query.n, dim);
  const g = l2Normalize(gallery.data, gallery.n, dim);
  const ng = gallery.n;
  const counts = labelCounts(gallery);
  const gl = Int32Array.from({ length: ng }, (_, i) => gallery.labels[i] as number);
  const block = opts.blockRows ?? 128;
  if (!Number.isInteger(block) || block < 1) throw new UserError(`blockRows ${block} is invalid: expected a positive integer`);
  const score = opts.scores ?? jsScores;
  const buf = new Float32Array(Math.min(block, query.n) * ng);
  const bits = new Uint32Array(buf.buffer);
  const ranking = opts.ranking ?? 'relevant';
  if (ranking !== 'relevant' && ranking !== 'full-sort') throw new UserError(`ranking '${String(ranking)}': expected relevant or full-sort`);
  const ranker = ranking === 'full-sort' ? new Ranker(ng) : undefined;
  const relRanker = ranking === 'relevant' ? new RelevantRanker(gl) : undefined;
  let sumAp = 0;
  let sum1 = 0;
  let sum5 = 0;
  let scored = 0;
  let skipped = 0;
  for (let s = 0; s < query.n; s += block) {
    const nb = Math.min(block, query.n - s);
    await score(q.subarray(s * dim, (s + nb) * dim), nb, g, ng, dim, buf);
    for (let i = 0; i < nb; i++) {
      const label = query.labels[s + i] as number;
      const total = counts.get(label) ?? 0;
      if (total === 0) {
        skipped++;
        continue;
      }
      const [ap, h1, h5] = relRanker
        ? relRanker.score(buf, bits, i * ng, label)
        : scoreRanking((ranker as Ranker).rank(bits, i * ng), (j) => gl[j] === label, total);
      sumAp += ap;
      sum1 += h1;
      sum5 += h5;
      scored++;
    }
    opts.onProgress?.(s + nb, query.n);
  }
  return finish(sumAp, sum1, sum5, scored, skipped, ng);
}

/**
 * The same metrics by brute force (float64 cosine similarities, a comparison sort per query): the
 * oracle of the tests; slow.
 */
export function retrievalMetricsReference(query: Embeddings, gallery: Embeddings): RetrievalMetrics {
  checkEmb(query, 'queries');
  checkEmb(gallery, 'gallery');
  const dim = query.dim;
  const norm = (e: Embeddings, i: number): number => Math.sqrt(Array.from(e.data.subarray(i * dim, (i + 1) * dim)).reduce((a, v) => a + v * v, 0));
  const counts = labelCounts(gallery);
  const res = averagePrecisions(query, gallery, (i, j) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (query.data[i * dim + k] as number) * (gallery.data[j * dim + k] as number);
    const d = norm(query, i) * norm(gallery, j);
    return d > 0 ? s / d : 0;
  });
  let sumAp = 0;
  let sum1 = 0;
  let sum5 = 0;
  let scored = 0;
  let skipped = 0;
  res.forEach((r, i) => {
    if ((counts.get(query.labels[i] as number) ?? 0) === 0) {
      skipped++;
      return;
    }
    sumAp += r.ap;
    sum1 += r.hit1;
    sum5 += r.hit5;
    scored++;
  });
  return finish(sumAp, sum1, sum5, scored, skipped, gallery.n);
}

/** Per-query AP and hits@1/5 from a similarity function, ranking by a comparison sort (ties: gallery index). */
export function averagePrecisions(query: Embeddings, gallery: Embeddings, sim: (i: number, j: number) => number): { ap: number; hit1: number; hit5: number }[] {
  const counts = labelCounts(gallery);
  const out: { ap: number; hit1: number; hit5: number }[] = [];
  for (let i = 0; i < query.n; i++) {
    const label = query.labels[i] as number;
    const total = counts.get(label) ?? 0;
    const s = Array.from({ length: gallery.n }, (_, j) => sim(i, j));
    const order = Array.from({ length: gallery.n }, (_, j) => j).sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
    const [ap, hit1, hit5] = total > 0 ? scoreRanking(order, (j) => gallery.labels[j] === label, total) : [0, 0, 0];
    out.push({ ap, hit1, hit5 });
  }
  return out;
}
