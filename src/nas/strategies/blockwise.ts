/**
 * Strategy 'blockwise' (SEEDS S8, see ../blockwise.ts): a one-shot selection proposed as trials. The
 * command distils every stage's candidate configurations from a teacher once (their relative distillation
 * loss and latency are the options); each trial is then the stage combination of least summed loss whose
 * latency fits a budget, the budgets stepping down from the teacher's latency (`ratios`), so the study
 * traces the loss/latency front; the study's evaluation fine-tunes and scores each assembled student.
 * The selection is exact: the Pareto front of (Σ loss, Σ latency) over all combinations is built stage by
 * stage (a combination off the front is never the best under any budget).
 * Options: `archSpace` (mbv2-style, required), `prefix` (`r<input>-w<width>`, the teacher's), `stages`
 * (per stage `[{ blocks, loss, latencyMs }]`), `fixedMs` (stem + head latency), `teacherLatencyMs`,
 * `ratios` (budget per trial as a share of the teacher's latency; default 1, 0.95, ... 0.3).
 *
 * Quantization-aware (QA-BWNAS, over a joint `<mbv2 space>+bits` space): each candidate also carries its
 * precision (`bits`, `w4a8`) and packed size (`bytes`); the stage's blocks take the candidate's precision and the
 * layers outside the stages `fixedBits` (default w8a8). `reference: true` makes trial 0 candidate 0 of every stage
 * (the teacher's network at the reference precision, the INT8 model). `fitTrials: n` then proposes n random stage
 * combinations and fits an accuracy predictor on their measured accuracy: accuracy = b - Σ_s w_s loss_s with one
 * non-negative weight per stage (least squares, a small ridge), the block-wise NAS predictor (DONNA), instead of
 * the plain sum of losses; the remaining trials follow the budgets with the predicted accuracy.
 */
import { ConfigError } from '../../errors.js';
import { kendallTau } from '../../hardware/predictor.js';
import { registerStrategy, type StrategyContext } from '../../search/registry.js';
import { type ArchSpace, canonicalArch } from '../../search/spaces/types.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { archSpaceOption, StrategyOptions } from './options.js';

/** One distilled candidate of a stage. */
export interface StageCandidate {
  /** The stage's blocks as in an architecture string (`k3e1r,k5e3hs`). */
  readonly blocks: string;
  /** Relative distillation loss (MSE / variance of the teacher's feature map) on held-out images. */
  readonly loss: number;
  readonly latencyMs: number;
  /** Quantization-aware search: the stage's precision (`w4a8`) and packed bytes. */
  readonly bits?: string;
  readonly bytes?: number;
}

/** An accuracy predictor from stage losses: accuracy ≈ intercept - Σ_s weights[s] * loss_s. */
export interface BlockPredictor {
  readonly intercept: number;
  readonly weights: readonly number[];
}

/** Solves the small symmetric positive definite system `a x = b` (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]?.[c] as number) > Math.abs(m[piv]?.[c] as number)) piv = r;
    [m[c], m[piv]] = [m[piv] as number[], m[c] as number[]];
    const row = m[c] as number[];
    const d = row[c] as number;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const other = m[r] as number[];
      const f = (other[c] as number) / d;
      for (let k = c; k <= n; k++) other[k] = (other[k] as number) - f * (row[k] as number);
    }
  }
  return m.map((r, i) => (r[n] as number) / (r[i] as number));
}

/**
 * Fits {@link BlockPredictor} to stage losses `x` (one row per network, one column per stage) and accuracies `y`:
 * least squares with a ridge `lambda` (relative to the losses' variance) and non-negative stage weights (exact:
 * every subset of stages is solved and the best feasible fit kept). `shared: true` fits one weight for all stages
 * (the plain sum of losses, scaled), the baseline the per-stage fit is checked against.
 */
export function fitBlockPredictor(x: readonly (readonly number[])[], y: readonly number[], o: { lambda?: number; shared?: boolean } = {}): BlockPredictor {
  const n = y.length;
  if (n < 2 || x.length !== n)
    throw new ConfigError(`block predictor: ${n} networks with ${x.length} loss rows; expected at least 2 of each, as many rows as accuracies`);
  const stages = (x[0] as readonly number[]).length;
  const cols = o.shared === true ? x.map((r) => [r.reduce((a, b) => a + b, 0)]) : x.map((r) => [...r]);
  const d = (cols[0] as number[]).length;
  const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const my = mean(y);
  const mx = Array.from({ length: d }, (_, j) => mean(cols.map((r) => r[j] as number)));
  const xc = cols.map((r) => r.map((v, j) => v - (mx[j] as number)));
  const z = y.map((v) => my - v); // accuracy lost below the mean: grows with the losses
  let varX = 0;
  for (const r of xc) for (const v of r) varX += v * v;
  const lambda = (o.lambda ?? 1e-3) * Math.max(varX / n, 1e-12);
  let best: { w: number[]; sse: number } = { w: new Array(d).fill(0), sse: z.reduce((s, v) => s + v * v, 0) };
  for (let mask = 1; mask < 1 << d; mask++) {
    const idx = Array.from({ length: d }, (_, j) => j).filter((j) => mask & (1 << j));
    const a = idx.map((p) => idx.map((q) => xc.reduce((s, r) => s + (r[p] as number) * (r[q] as number), 0) + (p === q ? lambda : 0)));
    const b = idx.map((p) => xc.reduce((s, r, i) => s + (r[p] as number) * (z[i] as number), 0));
    const sol = solve(a, b);
    if (sol.some((v) => !(v >= 0))) continue;
    const w = new Array(d).fill(0);
    idx.forEach((j, k) => {
      w[j] = sol[k];
    });
    const sse = xc.reduce((s, r, i) => s + ((z[i] as number) - r.reduce((t, v, j) => t + v * (w[j] as number), 0)) ** 2, 0);
    if (sse < best.sse) best = { w, sse };
  }
  const weights = o.shared === true ? new Array(stages).fill(best.w[0]) : best.w;
  return { intercept: my + weights.reduce((s, w, j) => s + w * (o.shared === true ? (mx[0] as number) / stages : (mx[j] as number)), 0), weights };
}

/** The predicted accuracy of a network from its stage losses. */
export function predictAccuracy(p: BlockPredictor, losses: readonly number[]): number {
  return losses.reduce((s, l, j) => s - (p.weights[j] as number) * l, p.intercept);
}

/** Leave-one-out check of the per-stage predictor against the shared-weight one (the plain sum of losses). */
export interface PredictorCheck {
  readonly networks: number;
  /** Kendall tau and mean absolute error (accuracy points as fractions) of the held-out predictions. */
  readonly perStage: { readonly tau: number; readonly mae: number };
  readonly plainSum: { readonly tau: number; readonly mae: number };
  /** The per-stage predictor fitted on all networks. */
  readonly predictor: BlockPredictor;
}

/** Leave-one-out: each network's accuracy predicted by predictors fitted on the others (needs >= 4 networks). */
export function predictorCheck(x: readonly (readonly number[])[], y: readonly number[]): PredictorCheck {
  if (y.length < 4) throw new ConfigError(`predictor check: ${y.length} networks, expected at least 4`);
  const held = (shared: boolean): { tau: number; mae: number } => {
    const pred = y.map((_, i) => {
      const p = fitBlockPredictor(
        x.filter((_, k) => k !== i),
        y.filter((_, k) => k !== i),
        { shared },
      );
      return predictAccuracy(p, x[i] as readonly number[]);
    });
    return { tau: kendallTau(pred, y), mae: pred.reduce((s, v, i) => s + Math.abs(v - (y[i] as number)), 0) / y.length };
  };
  return { networks: y.length, perStage: held(false), plainSum: held(true), predictor: fitBlockPredictor(x, y) };
}

/** A stage combination: summed loss and latency (with the fixed part) and the candidate index per stage. */
export interface BlockwisePoint {
  readonly loss: number;
  readonly latencyMs: number;
  readonly choice: readonly number[];
}

/** The Pareto front of (Σ loss, fixed + Σ latency) over every combination of one candidate per stage, by latency ascending. */
export function blockwiseFront(stages: readonly (readonly StageCandidate[])[], fixedMs: number): BlockwisePoint[] {
  let front: BlockwisePoint[] = [{ loss: 0, latencyMs: fixedMs, choice: [] }];
  for (const cands of stages) {
    const next: BlockwisePoint[] = [];
    for (const p of front) {
      for (const [k, c] of cands.entries()) next.push({ loss: p.loss + c.loss, latencyMs: p.latencyMs + c.latencyMs, choice: [...p.choice, k] });
    }
    next.sort((a, b) => a.latencyMs - b.latencyMs || a.loss - b.loss);
    front = [];
    let best = Infinity;
    for (const p of next) {
      if (p.loss < best) {
        front.push(p);
        best = p.loss;
      }
    }
  }
  return front;
}

/** Default budgets: the teacher's latency, then 5% less per trial down to 30%. */
export const DEFAULT_RATIOS: readonly number[] = Array.from({ length: 15 }, (_, i) => Math.round((1 - 0.05 * i) * 100) / 100);

/** Options of {@link BlockwiseStrategy}. */
export interface BlockwiseStrategyOptions {
  readonly prefix: string;
  readonly stages: readonly (readonly StageCandidate[])[];
  readonly fixedMs: number;
  readonly teacherLatencyMs: number;
  readonly ratios: readonly number[];
  /** Quantization-aware search: precision of the layers outside the stages (default w8a8). */
  readonly fixedBits?: string;
  /** Trial 0 is candidate 0 of every stage (the teacher's network; at the reference precision). */
  readonly reference?: boolean;
  /** Random stage combinations measured before the accuracy predictor is fitted (default 0: the plain sum of losses). */
  readonly fitTrials?: number;
}

/** The block-wise selection as a strategy (see module doc). */
export class BlockwiseStrategy implements SearchStrategy {
  readonly name = 'blockwise';
  private readonly front: readonly BlockwisePoint[];
  private readonly quant: boolean;
  private readonly index: readonly ReadonlyMap<string, number>[];
  private fitted: { key: string; front: readonly BlockwisePoint[]; predictor: BlockPredictor } | undefined;

  constructor(
    private readonly space: ArchSpace,
    private readonly o: BlockwiseStrategyOptions,
  ) {
    this.quant = o.stages.some((cs) => cs.some((c) => c.bits !== undefined));
    if (this.quant && !space.base?.options)
      throw new ConfigError(
        `block-wise search with stage precisions (bits) proposes points of a joint space: got '${space.name}', expected e.g. mbv2-micro+bits`,
      );
    if (!this.quant && space.base !== undefined)
      throw new ConfigError(`block-wise search over the joint space '${space.name}' needs stage candidates with precisions (bits); prepare it quantized`);
    this.index = o.stages.map((cs) => new Map(cs.map((c, k) => [this.token(c), k])));
    this.front = blockwiseFront(o.stages, o.fixedMs);
    // every candidate must make a valid architecture of the space (ConfigError naming it otherwise)
    o.stages.forEach((cs, i) => {
      cs.forEach((_, k) => {
        space.parse(this.arch({ choice: o.stages.map((_c, j) => (j === i ? k : 0)) }));
      });
    });
  }

  private token(c: StageCandidate): string {
    return c.bits === undefined ? c.blocks : `${c.blocks}@${c.bits}`;
  }

  /** The architecture string of a combination. */
  arch(p: { readonly choice: readonly number[] }): string {
    const cands = p.choice.map((k, i) => this.o.stages[i]?.[k] as StageCandidate);
    const base = `${this.o.prefix}:${cands.map((c) => c.blocks).join('|')}`;
    if (!this.quant) return base;
    const fixed = this.o.fixedBits ?? 'w8a8';
    const bits = this.space.slots().map((slot) => {
      const m = /^s(\d+)b\d+$/.exec(slot);
      return m ? (cands[Number(m[1]) - 1]?.bits ?? fixed) : fixed;
    });
    return `${base}@${bits.join(',')}`;
  }

  /** The candidate index per stage of an architecture string this strategy proposes (undefined: not a combination of the candidates). */
  choiceOf(arch: string): number[] | undefined {
    let bits: string[] = [];
    let base = arch;
    if (this.quant) {
      const at = arch.lastIndexOf('@');
      if (at < 0) return undefined;
      const labels = arch.slice(at + 1).split(',');
      base = arch.slice(0, at);
      bits = this.o.stages.map((_, i) => labels[this.space.slots().indexOf(`s${i + 1}b1`)] as string);
    }
    const colon = base.indexOf(':');
    const toks = base.slice(colon + 1).split('|');
    if (toks.length !== this.o.stages.length) return undefined;
    const out: number[] = [];
    for (const [i, t] of toks.entries()) {
      const k = this.index[i]?.get(this.quant ? `${t}@${bits[i]}` : t);
      if (k === undefined) return undefined;
      out.push(k);
    }
    return out;
  }

  /** Stage losses and measured accuracy of the completed trials that are combinations of the candidates. */
  measured(history: AskContext['history'], accuracyIndex: number): { x: number[][]; y: number[] } {
    const x: number[][] = [];
    const y: number[] = [];
    for (const t of history) {
      if (t.state !== 'complete' || !t.values) continue;
      const acc = t.values[accuracyIndex];
      if (acc === undefined || !Number.isFinite(acc)) continue;
      const ch = this.choiceOf(this.space.format(this.space.fromParams(t.params)));
      if (!ch) continue;
      x.push(ch.map((k, i) => this.o.stages[i]?.[k]?.loss as number));
      y.push(acc);
    }
    return { x, y };
  }

  /** The front to select from: by Σ loss, or by the predictor fitted on the measured trials. */
  private selectionFront(ctx: AskContext): readonly BlockwisePoint[] {
    if ((this.o.fitTrials ?? 0) === 0) return this.front;
    const ai = ctx.objectives.findIndex((ob) => ob.name === 'accuracy');
    if (ai < 0) throw new ConfigError("block-wise search with fitTrials fits an accuracy predictor: the study needs an 'accuracy' objective");
    const { x, y } = this.measured(ctx.history, ai);
    if (y.length < 3) return this.front; // too few measured networks (failures): the plain sum
    const key = y.join(',');
    if (this.fitted?.key !== key) {
      const predictor = fitBlockPredictor(x, y);
      const scaled = this.o.stages.map((cs, i) => cs.map((c) => ({ ...c, loss: c.loss * (predictor.weights[i] as number) })));
      const front = blockwiseFront(scaled, this.o.fixedMs).map((p) => ({ ...p, loss: p.choice.reduce((s, k, i) => s + (scaled[i]?.[k]?.loss as number), 0) }));
      this.fitted = { key, front, predictor };
    }
    return this.fitted.front;
  }

  /** The predictor fitted on the study's measured trials so far (undefined before it is fitted). */
  predictor(): BlockPredictor | undefined {
    return this.fitted?.predictor;
  }

  ask(ctx: AskContext): Params {
    const fmt = (a: string): string => canonicalArch(this.space, a);
    const seen = new Set(ctx.history.map((t) => this.space.format(this.space.fromParams(t.params))));
    let k = seen.size;
    if (this.o.reference === true) {
      const ref = fmt(this.arch({ choice: this.o.stages.map(() => 0) }));
      if (!seen.has(ref)) return this.space.toParams(this.space.parse(ref));
      k--;
    }
    const fit = this.o.fitTrials ?? 0;
    if (k < fit) {
      // the predictor's training networks: stage candidates drawn uniformly, fresh
      for (let tries = 0; tries < 200; tries++) {
        const a = fmt(this.arch({ choice: this.o.stages.map((cs) => ctx.rng.int(0, cs.length - 1)) }));
        if (!seen.has(a)) return this.space.toParams(this.space.parse(a));
      }
    }
    k = Math.max(0, k - fit);
    const front = this.selectionFront(ctx);
    const fresh = front.filter((p) => !seen.has(fmt(this.arch(p))));
    if (fresh.length === 0)
      throw new ConfigError(`block-wise search: all ${front.length} stage combinations on the loss/latency front are evaluated; lower --budget`);
    // the trial's budget: ratios in order, then the remaining front points, least loss first
    const ratio = this.o.ratios[k];
    const under = ratio === undefined ? fresh : fresh.filter((p) => p.latencyMs <= ratio * this.o.teacherLatencyMs * (1 + 1e-9));
    const pool = under.length > 0 ? under : fresh;
    const pick = pool.reduce((a, b) => (b.loss < a.loss ? b : a));
    return this.space.toParams(this.space.parse(this.arch(pick)));
  }
}

function candidate(v: unknown): StageCandidate | undefined {
  const c = v as { blocks?: unknown; loss?: unknown; latencyMs?: unknown; bits?: unknown; bytes?: unknown } | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.blocks !== 'string' ||
    typeof c.loss !== 'number' ||
    !Number.isFinite(c.loss) ||
    typeof c.latencyMs !== 'number' ||
    !(c.latencyMs >= 0) ||
    (c.bits !== undefined && (typeof c.bits !== 'string' || !/^w\d+a\d+$/.test(c.bits))) ||
    (c.bytes !== undefined && !(typeof c.bytes === 'number' && c.bytes >= 0))
  )
    return undefined;
  return {
    blocks: c.blocks,
    loss: c.loss,
    latencyMs: c.latencyMs,
    ...(typeof c.bits === 'string' ? { bits: c.bits } : {}),
    ...(typeof c.bytes === 'number' ? { bytes: c.bytes } : {}),
  };
}

function createBlockwise(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const o = new StrategyOptions('blockwise', options);
  const space = archSpaceOption(o, ctx, true);
  const so = space.options ?? space.base?.options;
  if (!so)
    throw new ConfigError(
      `strategy 'blockwise' option archSpace = '${space.name}': expected a MobileNetV2-style space (mbv2, mbv2-micro, mbv2-mbnet, mbv2-imagenet, or one of them +bits)`,
    );
  const prefix = o.required('prefix', o.string('prefix'), "the teacher's input size and width, e.g. 'r28-w1'");
  const stages = o.required(
    'stages',
    o.array(
      'stages',
      'stage candidate lists [{ blocks, loss, latencyMs }, ...]',
      (v) => {
        if (!Array.isArray(v) || v.length === 0) return undefined;
        const cs = v.map(candidate);
        return cs.every((c) => c !== undefined) ? (cs as StageCandidate[]) : undefined;
      },
      1,
    ),
    'per stage the distilled candidates [{ blocks, loss, latencyMs }, ...]',
  );
  if (stages.length !== so.stages.length)
    throw new ConfigError(`strategy 'blockwise' option stages: ${stages.length} stages given, space '${space.name}' has ${so.stages.length}`);
  const fixedMs = o.required('fixedMs', o.number('fixedMs', 0), 'the latency outside the stages (ms, >= 0)');
  const teacherLatencyMs = o.required('teacherLatencyMs', o.number('teacherLatencyMs', 0), "the teacher's latency (ms)");
  const ratios = o.array('ratios', 'budget ratios in (0, 10]', (v) => (typeof v === 'number' && v > 0 && v <= 10 ? v : undefined)) ?? [...DEFAULT_RATIOS];
  const fixedBits = o.string('fixedBits');
  if (fixedBits !== undefined && !/^w\d+a\d+$/.test(fixedBits))
    throw new ConfigError(`strategy 'blockwise' option fixedBits = '${fixedBits}': expected w<W>a<A>, e.g. w8a8`);
  const reference = o.boolean('reference');
  const fitTrials = o.number('fitTrials', 0, 10000, true);
  o.done();
  return new BlockwiseStrategy(space, {
    prefix,
    stages,
    fixedMs,
    teacherLatencyMs,
    ratios,
    ...(fixedBits !== undefined ? { fixedBits } : {}),
    ...(reference !== undefined ? { reference } : {}),
    ...(fitTrials !== undefined ? { fitTrials } : {}),
  });
}

registerStrategy(
  'blockwise',
  createBlockwise,
  'block-wise NAS (S8): stage candidates distilled from a teacher once (options.stages); each trial the least-loss combination under a latency budget',
  'nas',
);
