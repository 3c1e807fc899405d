/** Resilience metrics: accuracy from logits (non-finite outputs count as wrong), run statistics, Kendall's tau. */

/**
 * Top-1 accuracy of `n` rows of `k` logits against labels. A row holding NaN counts as misclassified (a
 * fault that poisons the output is a failure, whatever argmax would pick).
 */
export function logitAccuracy(logits: Float32Array, y: ArrayLike<number>, n: number, k: number): number {
  if (n === 0) return Number.NaN;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let mx = -Infinity;
    let bad = false;
    for (let j = 0; j < k; j++) {
      const v = logits[i * k + j] as number;
      if (Number.isNaN(v)) {
        bad = true;
        break;
      }
      if (v > mx || best < 0) {
        mx = v;
        best = j;
      }
    }
    if (!bad && best === Number(y[i])) correct++;
  }
  return correct / n;
}

/** Value at quantile `q` in [0, 1] of `values` (linear interpolation between order statistics). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** Summary of the accuracies of repeated fault-injection runs. */
export interface RunSummary {
  readonly trials: number;
  readonly meanAccuracy: number;
  /** 5th percentile of the run accuracies. */
  readonly p5Accuracy: number;
  readonly minAccuracy: number;
  /** Share of runs with accuracy below the critical threshold. */
  readonly criticalShare: number;
}

/** Mean, 5th percentile, minimum and share below `threshold` of run accuracies. */
export function summarizeRuns(accuracies: readonly number[], threshold: number): RunSummary {
  const n = accuracies.length;
  return {
    trials: n,
    meanAccuracy: n ? accuracies.reduce((a, b) => a + b, 0) / n : Number.NaN,
    p5Accuracy: quantile(accuracies, 0.05),
    minAccuracy: n ? Math.min(...accuracies) : Number.NaN,
    criticalShare: n ? accuracies.filter((a) => a < threshold).length / n : Number.NaN,
  };
}

/** Kendall's tau-b between two paired samples (ties handled as in tau-b). */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`kendallTau: ${a.length} vs ${b.length} values`);
  let conc = 0;
  let disc = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) conc++;
      else disc++;
    }
  }
  const denom = Math.sqrt((conc + disc + tiesA) * (conc + disc + tiesB));
  return denom > 0 ? (conc - disc) / denom : Number.NaN;
}
