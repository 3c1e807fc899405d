/**
 * The library searches (`haqSearch`, `randomSearch`, `cwHawqSearch`) run their strategy through the one
 * study loop: an in-memory store, the strategy's proposals, an accuracy callback as the evaluation.
 */
import type { SearchSpace } from '../../search/space.js';
import type { Params, SearchStrategy, Trial } from '../../search/types.js';
import { MemoryStore } from '../../store/memory-store.js';
import { runStudy } from '../../study/run-study.js';
import { yieldToEventLoop } from '../../util/event-loop.js';

/** Options of {@link runAccuracyStudy}. */
export interface AccuracyStudyOptions {
  readonly strategy: SearchStrategy;
  readonly space: SearchSpace;
  readonly nTrials: number;
  readonly seed: number;
  /** Accuracy in [0, 1] of a point of the space. */
  readonly accuracy: (params: Params) => number | Promise<number>;
  /** After each finished trial (complete trials in number order). */
  readonly onTrial?: (t: Trial) => void;
  readonly signal?: AbortSignal;
}

/** Runs a single-objective (accuracy, maximised) study in memory; returns its trials and whether it was aborted. */
export async function runAccuracyStudy(o: AccuracyStudyOptions): Promise<{ readonly trials: readonly Trial[]; readonly aborted: boolean }> {
  const r = await runStudy({
    store: new MemoryStore(),
    studyName: o.strategy.name,
    space: o.space,
    objectives: [{ name: 'accuracy', direction: 'maximize' }],
    strategy: o.strategy,
    evaluate: async (params) => {
      await yieldToEventLoop();
      return { values: [await o.accuracy(params)] };
    },
    nTrials: o.nTrials,
    seed: o.seed,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onTrial ? { onProgress: (p: { readonly trial: Trial }) => o.onTrial?.(p.trial) } : {}),
  });
  return { trials: r.trials, aborted: r.aborted };
}
