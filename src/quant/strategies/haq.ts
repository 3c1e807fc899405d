/**
 * `haq`: HAQ's DDPG agent as a study strategy. Each trial is one episode: the agent walks the layers
 * (one step for the weight bits and one for the activation bits of each), the first and last layers are
 * kept at the widest bits (when the budget admits it), HAQ's budget wall lowers bits from the last layer
 * backwards, activations before weights, until the table cost fits, and the trial's accuracy is the
 * episode's reward. The agent is rebuilt from
 * the history by replaying the stored episodes in order (its own seeded Rng draws the same actions, the
 * stored rewards train it the same way), memoised across asks, so a resumed study proposes what an
 * uninterrupted one does.
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import type { StrategyContext } from '../../search/registry.js';
import type { AskContext, Params, SearchStrategy } from '../../search/types.js';
import { parseWith } from '../../util/zod-error.js';
import { budgetInfeasible } from '../cost.js';
import { DdpgAgent, type DdpgOptions } from '../ddpg.js';
import { actionToBits, bitsToAction, lowerUntilFits, pinFirstLast } from '../haq.js';
import { bitsParams, episodeOutcomes, parseQuantProblem, type QuantProblem, studySeed, tableCost } from './problem.js';

/** Options of the `haq` strategy (JSON). */
export interface HaqStrategyOptions {
  readonly problem: QuantProblem;
  /** Activation bits per layer held fixed: the agent then chooses weight bits only. */
  readonly fixedActBits?: readonly number[];
  /** Episodes of uniform random actions before learning (default min(20, nTrials / 4)). */
  readonly warmupEpisodes?: number;
  /** Reward = rewardScale x accuracy (default 10: HAQ's 0.1 per percentage point). */
  readonly rewardScale?: number;
  /** DDPG settings (hidden sizes, learning rates, noise, batch, ...). */
  readonly agent?: Partial<Omit<DdpgOptions, 'stateDim' | 'actionDim' | 'seed'>>;
  /** Keep the first and last layers at the widest bits when the budget admits it, as HAQ (default true). */
  readonly keepFirstLast?: boolean;
}

/** Schema of the DDPG settings a strategy accepts. */
export const agentSchema = z
  .object({
    hidden: z.array(z.number().int().min(1)).min(1).optional(),
    actorLr: z.number().positive().optional(),
    criticLr: z.number().positive().optional(),
    tau: z.number().min(0).max(1).optional(),
    gamma: z.number().min(0).max(1).optional(),
    batchSize: z.number().int().min(1).optional(),
    bufferSize: z.number().int().min(1).optional(),
    noiseStd: z.number().min(0).optional(),
    noiseDecay: z.number().min(0).max(1).optional(),
    baselineDecay: z.number().min(0).max(1).optional(),
  })
  .strict();

const optionsSchema = z
  .object({
    problem: z.unknown(),
    fixedActBits: z.array(z.number().int()).optional(),
    warmupEpisodes: z.number().int().min(0).optional(),
    rewardScale: z.number().positive().optional(),
    agent: agentSchema.optional(),
    keepFirstLast: z.boolean().optional(),
  })
  .strict();

/** One generated episode: its states (for the replay buffer) and the bits after the budget wall. */
interface Episode {
  readonly states: number[][];
  readonly wb: number[];
  readonly ab: number[];
}

/** The HAQ agent and its episode count, advanced one episode at a time. */
class HaqRun {
  readonly agent: DdpgAgent;
  done = 0;
  pending: Episode | undefined;
  private readonly withAct: boolean;

  constructor(
    private readonly p: QuantProblem,
    private readonly o: HaqStrategyOptions,
    private readonly warm: number,
    seed: number,
  ) {
    this.withAct = o.fixedActBits === undefined;
    this.agent = new DdpgAgent({ stateDim: (p.features[0]?.length ?? 0) + 2, actionDim: 1, seed, ...o.agent });
  }

  /** Draws the actions of episode `this.done` (consumes the agent's Rng) and applies the budget wall. */
  generate(): Episode {
    const p = this.p;
    const n = p.layers.length;
    const isWarm = this.done < this.warm;
    const states: number[][] = [];
    const wb = new Array<number>(n);
    const ab = this.withAct ? new Array<number>(n).fill(p.actBits[0] as number) : [...(this.o.fixedActBits as number[])];
    const steps = this.withAct ? 2 : 1;
    let prev = 0;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < steps; s++) {
        const st = [...(p.features[i] as number[]), s === 0 ? 1 : 0, prev];
        states.push(st);
        const a = (isWarm ? this.agent.randomAction() : this.agent.explore(st))[0] as number;
        if (s === 0) wb[i] = actionToBits(a, p.weightBits);
        else ab[i] = actionToBits(a, p.actBits);
        prev = a;
      }
    }
    const cost = (w: readonly number[], a: readonly number[]): number => tableCost(p, w, a);
    const aCh = this.withAct ? p.actBits : [];
    const pins = this.o.keepFirstLast === false ? [] : pinFirstLast(cost, p.budget, wb, ab, p.weightBits, aCh);
    lowerUntilFits(cost, p.budget, wb, ab, p.weightBits, aCh, pins);
    return { states, wb, ab };
  }

  /** Learns from an episode's reward (none known: the episode is skipped) and counts it. */
  learn(e: Episode, accuracy: number | undefined): void {
    const isWarm = this.done < this.warm;
    this.done++;
    this.pending = undefined;
    if (accuracy === undefined || !Number.isFinite(accuracy)) return;
    const p = this.p;
    const reward = (this.o.rewardScale ?? 10) * accuracy;
    const actions: number[] = [];
    for (let i = 0; i < p.layers.length; i++) {
      actions.push(bitsToAction(e.wb[i] as number, p.weightBits));
      if (this.withAct) actions.push(bitsToAction(e.ab[i] as number, p.actBits));
    }
    const steps = e.states.length;
    for (let t = 0; t < steps; t++) {
      const st = e.states[t] as number[];
      const nextSt = t + 1 < steps ? [...(e.states[t + 1] as number[]).slice(0, -1), actions[t] as number] : st;
      this.agent.observe({
        state: [...st.slice(0, -1), t > 0 ? (actions[t - 1] as number) : 0],
        action: [actions[t] as number],
        reward,
        nextState: nextSt,
        done: t + 1 === steps,
      });
    }
    this.agent.trackReward(reward);
    if (!isWarm) {
      for (let u = 0; u < steps; u++) this.agent.update();
      this.agent.decayNoise();
    }
  }
}

/** HAQ (DDPG) over per-layer weight/activation bits, one episode per trial. */
export class HaqStrategy implements SearchStrategy {
  readonly name = 'haq';
  private run: HaqRun | undefined;
  private readonly warm: number;

  constructor(
    private readonly o: HaqStrategyOptions,
    private readonly seed: number,
    nTrials: number | undefined,
  ) {
    const p = o.problem;
    this.warm = o.warmupEpisodes ?? Math.min(20, Math.floor((nTrials ?? 80) / 4));
    const n = p.layers.length;
    if (o.fixedActBits !== undefined) {
      if (o.fixedActBits.length !== n) throw new ConfigError(`haq: ${o.fixedActBits.length} fixed activation bit-widths for ${n} layers`);
      for (const b of o.fixedActBits)
        if (!p.actBits.includes(b))
          throw new ConfigError(`haq: fixed activation width ${b} is not among the candidate activation bits ${JSON.stringify(p.actBits)}`);
    }
    const low = tableCost(p, new Array<number>(n).fill(p.weightBits[0] as number), o.fixedActBits ?? new Array<number>(n).fill(p.actBits[0] as number));
    if (low > p.budget.value) throw budgetInfeasible(p.budget, low);
  }

  ask(ctx: AskContext): Params {
    const eps = episodeOutcomes(ctx.history);
    if (!this.run || this.run.done > eps.length) this.run = new HaqRun(this.o.problem, this.o, this.warm, this.seed);
    const run = this.run;
    while (run.done < eps.length) {
      const e = run.pending ?? run.generate();
      run.learn(e, eps[run.done]?.value);
    }
    run.pending ??= run.generate();
    return bitsParams(this.o.problem.layers, run.pending.wb, run.pending.ab);
  }
}

/** Builds the `haq` strategy from JSON options (ConfigError naming a bad field). */
export function createHaqStrategy(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): HaqStrategy {
  const o = parseWith(optionsSchema, options, "strategy 'haq' options");
  const problem = parseQuantProblem(o.problem, "strategy 'haq' options.problem");
  return new HaqStrategy({ ...(o as Omit<HaqStrategyOptions, 'problem'>), problem }, studySeed(ctx), ctx?.nTrials);
}
