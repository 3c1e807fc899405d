/**
 * The history a strategy is shown when asked for proposal `k`: a function of `k`, of the trials' results and of how
 * many proposals are shown unfinished, never of timing. With trials running side by side (`--threads n`, `--redis`)
 * which trials have finished when a proposal is asked depends on their durations; the study loop instead waits until
 * the proposals below `visibleBelow` have finished and shows those from `visibleBelow` on as running (parameters only,
 * even if they have finished meanwhile), so two runs with the same seed propose the same points. A study resumed
 * after a crash is shown what an uninterrupted run is shown: attempts that failed because their process died or was
 * interrupted and were run again are left out, and every trial takes the place of its proposal (a retry that of the
 * trial it retries), numbered by position.
 */
import { failedOnItsPoint, RETRY_OF_ATTR, type Trial } from '../search/types.js';

/** What {@link proposalView} needs to know of the held trials besides the trials themselves. */
export interface ProposalViewSource {
  /** Every trial held, in number order. */
  readonly trials: readonly Trial[];
  /** The proposal index of trial number `n` (a retry has its original's). */
  proposalIndex(n: number): number;
  /** Whether trial number `n` failed and has been run again (a retry of it exists). */
  isRetried(n: number): boolean;
}

/**
 * The history for proposal `k`: the trials in proposal order (a trial's own number breaks ties), without the attempts
 * whose process died or was interrupted and that were run again, numbered by position (retry links follow), with the
 * trials of proposals `visibleBelow` and later shown as running: parameters and retry link only, no values, no
 * attributes written while they ran. Returns `trials` itself when nothing is left out, moved or hidden (a study run
 * one trial at a time and never interrupted: exactly the stored history).
 */
export function proposalView(src: ProposalViewSource, visibleBelow: number): readonly Trial[] {
  const { trials } = src;
  const superseded = (t: Trial): boolean => t.state === 'failed' && !failedOnItsPoint(t) && src.isRetried(t.number);
  const hidden = (t: Trial): boolean => src.proposalIndex(t.number) >= visibleBelow;
  let same = true;
  let prev = -1;
  for (const t of trials) {
    const p = src.proposalIndex(t.number);
    if (superseded(t) || hidden(t) || p < prev) {
      same = false;
      break;
    }
    prev = p;
  }
  if (same) return trials;
  const kept = trials.filter((t) => !superseded(t));
  kept.sort((a, b) => src.proposalIndex(a.number) - src.proposalIndex(b.number) || a.number - b.number);
  const position = new Map(kept.map((t, i) => [t.number, i]));
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  // a retry links to the nearest attempt before it that is shown; none shown: it stands for its proposal itself
  const link = (t: Trial): number | undefined => {
    for (let of = t.userAttrs[RETRY_OF_ATTR]; typeof of === 'number'; of = byNumber.get(of)?.userAttrs[RETRY_OF_ATTR]) {
      const at = position.get(of);
      if (at !== undefined) return at;
    }
    return undefined;
  };
  return kept.map((t, number) => {
    const of = link(t);
    const moved = number !== t.number || (t.userAttrs[RETRY_OF_ATTR] !== undefined && of !== t.userAttrs[RETRY_OF_ATTR]);
    if (hidden(t)) {
      return {
        number,
        params: t.params,
        values: null,
        constraints: null,
        state: 'running',
        userAttrs: of === undefined ? {} : { [RETRY_OF_ATTR]: of },
        startedAt: t.startedAt,
        finishedAt: null,
      } satisfies Trial;
    }
    if (!moved) return t;
    const { [RETRY_OF_ATTR]: _link, ...attrs } = t.userAttrs;
    return { ...t, number, userAttrs: of === undefined ? attrs : { ...attrs, [RETRY_OF_ATTR]: of } };
  });
}
