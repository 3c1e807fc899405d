/**
 * `greedy`: a bit allocation that scores whole policies, one move at a time (issue 20). It starts
 * from every layer at the widest candidate bits. Each step evaluates, as trials, every move that
 * lowers one layer's weight or input-activation width to a cheaper candidate width (a width that
 * costs the same as the next wider one on the target is skipped: e.g. bitfusion-edge runs 5-7 bits at
 * the cost of 8), each with every earlier move in place, and takes the move with the least loss
 * increase per unit of budgeted cost saved. It stops once the current policy meets the budget; the
 * study's best feasible trial (highest validation accuracy, as for every quantization strategy) is
 * then the result, so every candidate of the last step that fits competes.
 *
 * This is the way a Pareto curve is walked by greedy mixed-precision tools (AIMET's AMP is one),
 * where the HAWQ-style ILP adds per-layer scores measured one layer at a time: the greedy sees errors
 * that compound across layers, at the price of many evaluations (about 2 x layers x cheaper widths per
 * step). Loss is the evaluation's `loss` attribute (the quant-policy evaluation stores the validation
 * cross-entropy); an evaluation without one (an external command) is scored by 1 - accuracy. The cost
 * saved comes from the problem's layer table (exact for additive targets); whether the budget is met
 * comes from the trial's own constraint (the target's network cost) when the evaluation gives one.
 *
 * Lazy steps (option `recheck`, default 8): the first step evaluates every move; later steps evaluate the
 * moves of the layer the last move changed, moves never measured, and the `recheck` best of the other moves by
 * the ratio measured at an earlier step (a move's loss increase changes little when another layer moves).
 * `recheck: 0` is the exact greedy (every move at every step: ~10x the evaluations on mbnet32).
 *
 * Resumable and deterministic: the path is replayed from the history on every call. A step's
 * candidates may run in parallel (threads, Redis workers): while some of them are running the strategy
 * answers `wait`, and once the budget is met `done` (the loop stops before its trial budget).
 */
import { z } from 'zod';
import { ConfigError, InfeasibleError } from '../../errors.js';
import type { StrategyContext } from '../../search/registry.js';
import type { AskContext, JsonValue, Params, SearchStrategy, StrategyStatus, Trial } from '../../search/types.js';
import { parseWith } from '../../util/zod-error.js';
import { bitsParams, episodeTrials, parseQuantProblem, type QuantProblem, tableCost } from './problem.js';

/** Options of the `greedy` strategy (JSON). */
export interface GreedyOptions {
  readonly problem: QuantProblem;
  /**
   * Lazy steps (default 8): after the first step, a step evaluates the moves of the layer the last move
   * changed, moves never measured, and the `recheck` best of the others by the ratio measured at an
   * earlier step; 0 evaluates every move at every step (the exact greedy).
   */
  readonly recheck?: number;
}

/** Default of {@link GreedyOptions.recheck}. */
export const GREEDY_RECHECK = 8;

/** One move of a greedy step. */
export interface GreedyMove {
  readonly point: BitsVectors;
  /** `<layer>.w<bits>` or `<layer>.a<bits>`. */
  readonly label: string;
  /** Index of the layer it changes. */
  readonly layer: number;
}

/** Per-layer weight and activation bits. */
export interface BitsVectors {
  readonly wb: readonly number[];
  readonly ab: readonly number[];
}

/**
 * The moves of one greedy step from `cur`, in evaluation order: per layer, weights then input
 * activations, each cheaper candidate width from the widest down, skipping a width whose table cost
 * is not below the last one kept for that layer and kind.
 */
export function greedyMoves(p: QuantProblem, cur: BitsVectors): GreedyMove[] {
  const out: GreedyMove[] = [];
  const c0 = tableCost(p, cur.wb, cur.ab);
  p.layers.forEach((l, i) => {
    for (const kind of ['w', 'a'] as const) {
      const widths = kind === 'w' ? p.weightBits : p.actBits;
      const now = (kind === 'w' ? cur.wb : cur.ab)[i] as number;
      let last = c0;
      for (let k = widths.indexOf(now) - 1; k >= 0; k--) {
        const wb = [...cur.wb];
        const ab = [...cur.ab];
        (kind === 'w' ? wb : ab)[i] = widths[k] as number;
        const c = tableCost(p, wb, ab);
        if (!(c < last - 1e-12 * Math.abs(last))) continue;
        last = c;
        out.push({ point: { wb, ab }, label: `${l.name}.${kind}${widths[k]}`, layer: i });
      }
    }
  });
  return out;
}

/** Upper bound on the trials of a greedy run: the start, then at most `moves` steps of at most `moves` candidates. */
export function greedyTrialBound(layers: number, weightWidths: number, actWidths: number): number {
  const moves = layers * (Math.max(0, weightWidths - 1) + Math.max(0, actWidths - 1));
  return 1 + moves * moves;
}

/** Where a replay of the history stands. */
interface Replay {
  readonly kind: StrategyStatus;
  /** The point to propose (`ask`), or the current point of the path. */
  readonly point: BitsVectors;
  /** The moves taken so far. */
  readonly path: readonly string[];
}

/** The greedy allocation as a study strategy. */
export class GreedyStrategy implements SearchStrategy {
  readonly name = 'greedy';
  private readonly start: BitsVectors;

  constructor(
    private readonly p: QuantProblem,
    private readonly recheck = GREEDY_RECHECK,
  ) {
    if (!(Number.isInteger(recheck) && recheck >= 0)) throw new ConfigError(`strategy 'greedy' recheck ${recheck}: expected an integer >= 0`);
    const n = p.layers.length;
    this.start = {
      wb: new Array<number>(n).fill(p.weightBits[p.weightBits.length - 1] as number),
      ab: new Array<number>(n).fill(p.actBits[p.actBits.length - 1] as number),
    };
  }

  /** The moves taken so far (labels such as `conv3.w4`), for reports. */
  path(history: readonly Trial[]): readonly string[] {
    return this.replay(history).path;
  }

  status(ctx: { readonly history: readonly Trial[] }): StrategyStatus {
    const r = this.replay(ctx.history);
    return r.kind;
  }

  ask(ctx: AskContext): Params {
    const r = this.replay(ctx.history);
    // after the end (a caller without `status`), the last point again
    return bitsParams(this.p.layers, r.point.wb, r.point.ab);
  }

  private replay(history: readonly Trial[]): Replay {
    const eps = episodes(history);
    const p = this.p;
    const path: string[] = [];
    const feasible = (t: Trial, pt: BitsVectors): boolean => {
      const c = t.constraints?.[0];
      return typeof c === 'number' ? c <= 0 : tableCost(p, pt.wb, pt.ab) <= p.budget.value * (1 + 1e-9);
    };
    const check = (k: number, pt: BitsVectors): void => {
      const got = (eps[k] as Episode).trial.params;
      const want = bitsParams(p.layers, pt.wb, pt.ab);
      if (Object.keys(want).some((key) => got[key] !== want[key]))
        throw new ConfigError(
          `strategy 'greedy': trial ${(eps[k] as Episode).trial.number} is not the greedy path's candidate ${k} (the study holds another strategy's trials); use a new study`,
        );
    };
    if (eps.length === 0) return { kind: 'ask', point: this.start, path };
    check(0, this.start);
    const first = eps[0] as Episode;
    if (first.state === 'running') return { kind: 'wait', point: this.start, path };
    if (first.loss === undefined)
      throw new ConfigError(`strategy 'greedy': the starting point (trial ${first.trial.number}, every layer at its widest bits) has no result; it failed`);
    let cur = { point: this.start, loss: first.loss, trial: first.outcome as Trial };
    let k = 1;
    // lazy steps: each move's ratio when last measured, and the layer the last move changed
    const measured = new Map<string, number>();
    let moved = -1;
    for (;;) {
      if (feasible(cur.trial, cur.point)) return { kind: 'done', point: cur.point, path };
      let moves = greedyMoves(p, cur.point);
      if (this.recheck > 0 && path.length > 0) {
        const stale = moves
          .map((m, j) => ({ m, j, r: m.layer === moved ? undefined : measured.get(m.label) }))
          .filter((x): x is { m: GreedyMove; j: number; r: number } => x.r !== undefined)
          .sort((a, b) => a.r - b.r || a.j - b.j);
        const skip = new Set(stale.slice(this.recheck).map((x) => x.m.label));
        moves = moves.filter((m) => !skip.has(m.label));
      }
      if (moves.length === 0)
        throw new InfeasibleError(
          `strategy 'greedy': every layer is at its lowest candidate width and the ${p.budget.kind} budget ${Number(p.budget.value.toPrecision(4))} is still not met; expected a larger budget`,
        );
      if (eps.length < k + moves.length) {
        for (let j = k; j < eps.length; j++) check(j, (moves[j - k] as (typeof moves)[number]).point);
        return { kind: 'ask', point: (moves[eps.length - k] as (typeof moves)[number]).point, path };
      }
      const c0 = tableCost(p, cur.point.wb, cur.point.ab);
      let best: { ratio: number; j: number } | undefined;
      let running = false;
      moves.forEach((m, j) => {
        check(k + j, m.point);
        const e = eps[k + j] as Episode;
        if (e.state === 'running') running = true;
        if (e.loss === undefined) return; // failed (or still running): not a move
        const ratio = Math.max(e.loss - cur.loss, 1e-6) / (c0 - tableCost(p, m.point.wb, m.point.ab));
        measured.set(m.label, ratio);
        if (!best || ratio < best.ratio) best = { ratio, j };
      });
      if (running) return { kind: 'wait', point: cur.point, path };
      const b = best as { ratio: number; j: number } | undefined;
      if (b === undefined) throw new ConfigError(`strategy 'greedy': every candidate of step ${path.length + 1} failed; see the failed trials' errors`);
      const e = eps[k + b.j] as Episode;
      path.push((moves[b.j] as (typeof moves)[number]).label);
      moved = (moves[b.j] as (typeof moves)[number]).layer;
      cur = { point: (moves[b.j] as (typeof moves)[number]).point, loss: e.loss as number, trial: e.outcome as Trial };
      k += moves.length;
    }
  }
}

/** One proposal of the history with its outcome (the original trial, or its completed retry). */
interface Episode {
  readonly trial: Trial;
  readonly state: 'running' | 'known' | 'failed';
  readonly loss: number | undefined;
  readonly outcome: Trial | undefined;
}

/** The proposals in order, each with the loss of its outcome: the `loss` attribute, else 1 - accuracy. */
function episodes(history: readonly Trial[]): Episode[] {
  const lossOf = (t: Trial): number => {
    const l = t.userAttrs.loss as JsonValue | undefined;
    return typeof l === 'number' && Number.isFinite(l) ? l : 1 - ((t.values as readonly number[])[0] as number);
  };
  return episodeTrials(history).map((e) => {
    if (e.outcome) return { trial: e.trial, state: 'known' as const, loss: lossOf(e.outcome), outcome: e.outcome };
    return { trial: e.trial, state: e.running ? ('running' as const) : ('failed' as const), loss: undefined, outcome: undefined };
  });
}

/** Builds the `greedy` strategy from JSON options. */
export function createGreedyStrategy(options: Readonly<Record<string, unknown>>, _ctx: StrategyContext | undefined): GreedyStrategy {
  const o = parseWith(z.object({ problem: z.unknown(), recheck: z.number().int().min(0).optional() }).strict(), options, "strategy 'greedy' options");
  return new GreedyStrategy(parseQuantProblem(o.problem, "strategy 'greedy' options.problem"), o.recheck ?? GREEDY_RECHECK);
}
