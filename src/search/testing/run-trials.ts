/**
 * A minimal in-memory ask/tell loop (no store) for strategy tests and benchmarks. The real loop,
 * with persistence, resume and progress, is src/study/run-study.ts.
 */
import { Rng } from '../../util/rng.js';
import type { SearchSpace } from '../space.js';
import { type CheapObjectives, type Objective, type Params, type SearchStrategy, type Trial, trialSeed } from '../types.js';

/** Result of one evaluation in {@link runTrials}: values (and constraints), or 'failed'. */
export type TestEvaluation = { readonly values: readonly number[]; readonly constraints?: readonly number[] } | 'failed';

/** Options of {@link runTrials}. */
export interface RunTrialsOptions {
  readonly strategy: SearchStrategy;
  readonly space: SearchSpace;
  readonly objectives: readonly Objective[];
  readonly evaluate: (p: Params, number: number) => TestEvaluation;
  /** Total number of trials the history should hold at the end. */
  readonly nTrials: number;
  readonly seed: number;
  /** Earlier trials to continue from (resume). */
  readonly history?: readonly Trial[];
  /** Cost-aware runs: objectives the strategy may compute without a trial. */
  readonly cheapObjectives?: CheapObjectives;
}

/** Runs trials sequentially and returns the whole history. */
export async function runTrials(o: RunTrialsOptions): Promise<Trial[]> {
  const history: Trial[] = [...(o.history ?? [])];
  const stamp = new Date(0).toISOString();
  while (history.length < o.nTrials) {
    const number = history.length;
    const params = await o.strategy.ask({
      space: o.space,
      objectives: o.objectives,
      history,
      trialNumber: number,
      rng: new Rng(trialSeed(o.seed, number)),
      ...(o.cheapObjectives ? { cheapObjectives: o.cheapObjectives } : {}),
    });
    const r = o.evaluate(params, number);
    const t: Trial =
      r === 'failed'
        ? { number, params, values: null, constraints: null, state: 'failed', userAttrs: {}, startedAt: stamp, finishedAt: stamp }
        : {
            number,
            params,
            values: [...r.values],
            constraints: r.constraints ? [...r.constraints] : null,
            state: 'complete',
            userAttrs: {},
            startedAt: stamp,
            finishedAt: stamp,
          };
    history.push(t);
    o.strategy.tell?.(t, { objectives: o.objectives });
  }
  return history;
}
