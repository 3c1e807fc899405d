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
 */
import { ConfigError } from '../../errors.js';
import { registerStrategy, type StrategyContext } from '../../search/registry.js';
import type { ArchSpace } from '../../search/spaces/types.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { archSpaceOption, StrategyOptions } from './options.js';

/** One distilled candidate of a stage. */
export interface StageCandidate {
  /** The stage's blocks as in an architecture string (`k3e1r,k5e3hs`). */
  readonly blocks: string;
  /** Relative distillation loss (MSE / variance of the teacher's feature map) on held-out images. */
  readonly loss: number;
  readonly latencyMs: number;
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

/** The block-wise selection as a strategy (see module doc). */
export class BlockwiseStrategy implements SearchStrategy {
  readonly name = 'blockwise';
  private readonly front: readonly BlockwisePoint[];

  constructor(
    private readonly space: ArchSpace,
    private readonly o: {
      readonly prefix: string;
      readonly stages: readonly (readonly StageCandidate[])[];
      readonly fixedMs: number;
      readonly teacherLatencyMs: number;
      readonly ratios: readonly number[];
    },
  ) {
    this.front = blockwiseFront(o.stages, o.fixedMs);
    // every candidate must make a valid architecture of the space (ConfigError naming it otherwise)
    for (const p of this.front.slice(0, 1)) space.parse(this.arch(p));
  }

  /** The architecture string of a combination. */
  arch(p: BlockwisePoint): string {
    return `${this.o.prefix}:${p.choice.map((k, i) => this.o.stages[i]?.[k]?.blocks).join('|')}`;
  }

  ask(ctx: AskContext): Params {
    const seen = new Set(ctx.history.map((t) => this.space.format(this.space.fromParams(t.params))));
    const fresh = this.front.filter((p) => !seen.has(this.space.format(this.space.parse(this.arch(p)))));
    if (fresh.length === 0)
      throw new ConfigError(`block-wise search: all ${this.front.length} stage combinations on the loss/latency front are evaluated; lower --budget`);
    // the trial's budget: ratios in order, then the remaining front points, least loss first
    const k = seen.size;
    const ratio = this.o.ratios[k];
    const under = ratio === undefined ? fresh : fresh.filter((p) => p.latencyMs <= ratio * this.o.teacherLatencyMs * (1 + 1e-9));
    const pool = under.length > 0 ? under : fresh;
    const pick = pool.reduce((a, b) => (b.loss < a.loss ? b : a));
    return this.space.toParams(this.space.parse(this.arch(pick)));
  }
}

function candidate(v: unknown): StageCandidate | undefined {
  const c = v as { blocks?: unknown; loss?: unknown; latencyMs?: unknown } | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.blocks !== 'string' ||
    typeof c.loss !== 'number' ||
    !Number.isFinite(c.loss) ||
    typeof c.latencyMs !== 'number' ||
    !(c.latencyMs >= 0)
  )
    return undefined;
  return { blocks: c.blocks, loss: c.loss, latencyMs: c.latencyMs };
}

function createBlockwise(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const o = new StrategyOptions('blockwise', options);
  const space = archSpaceOption(o, ctx, true);
  if (!space.options)
    throw new ConfigError(
      `strategy 'blockwise' option archSpace = '${space.name}': expected a MobileNetV2-style space (mbv2, mbv2-micro, mbv2-mbnet, mbv2-imagenet)`,
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
  if (stages.length !== space.options.stages.length)
    throw new ConfigError(`strategy 'blockwise' option stages: ${stages.length} stages given, space '${space.name}' has ${space.options.stages.length}`);
  const fixedMs = o.required('fixedMs', o.number('fixedMs', 0), 'the latency outside the stages (ms, >= 0)');
  const teacherLatencyMs = o.required('teacherLatencyMs', o.number('teacherLatencyMs', 0), "the teacher's latency (ms)");
  const ratios = o.array('ratios', 'budget ratios in (0, 10]', (v) => (typeof v === 'number' && v > 0 && v <= 10 ? v : undefined)) ?? [...DEFAULT_RATIOS];
  o.done();
  return new BlockwiseStrategy(space, { prefix, stages, fixedMs, teacherLatencyMs, ratios });
}

registerStrategy(
  'blockwise',
  createBlockwise,
  'block-wise NAS (S8): stage candidates distilled from a teacher once (options.stages); each trial the least-loss combination under a latency budget',
  'nas',
);
