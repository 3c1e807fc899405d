/**
 * Combining the members of an ensemble: mean of softmax, majority vote, accuracy and diversity.
 * Plain typed arrays (rows of `classes` values per sample); nothing here depends on the engine.
 *
 * The vote's score of class j is (members whose top class is j) + 0.5 x mean softmax of j, so its
 * argmax is the majority class with ties broken by the mean softmax (a vote count moves the score by
 * >= 1, the tie-break by < 0.5). The ONNX export computes the same score (export.ts).
 */
import { ShapeError } from '../errors.js';

/** How an ensemble combines its members. */
export type VoteRule = 'majority' | 'mean';

/** Row-wise softmax of `n x classes` logits (numerically stable). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  if (classes < 1 || logits.length % classes !== 0) throw new ShapeError(`softmax: ${logits.length} values are not rows of ${classes} classes`);
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += classes) {
    let mx = -Infinity;
    for (let j = 0; j < classes; j++) mx = Math.max(mx, logits[r + j] as number);
    let s = 0;
    for (let j = 0; j < classes; j++) {
      const e = Math.exp((logits[r + j] as number) - mx);
      out[r + j] = e;
      s += e;
    }
    for (let j = 0; j < classes; j++) out[r + j] = (out[r + j] as number) / s;
  }
  return out;
}

/** Index of the largest value of each row (the first one on ties). */
export function argmaxRows(scores: Float32Array, classes: number): Int32Array {
  const n = scores.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let mx = -Infinity;
    for (let j = 0; j < classes; j++) {
      const v = scores[i * classes + j] as number;
      if (v > mx) {
        mx = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

function checkMembers(probs: readonly Float32Array[]): number {
  const first = probs[0];
  if (!first) throw new ShapeError('an ensemble needs at least one member');
  for (const p of probs) if (p.length !== first.length) throw new ShapeError(`ensemble members disagree in size: ${p.length} vs ${first.length} values`);
  return first.length;
}

/** Mean of the members' softmax rows. */
export function meanProbs(probs: readonly Float32Array[]): Float32Array {
  const len = checkMembers(probs);
  const out = new Float32Array(len);
  for (const p of probs) for (let i = 0; i < len; i++) out[i] = (out[i] as number) + (p[i] as number);
  for (let i = 0; i < len; i++) out[i] = (out[i] as number) / probs.length;
  return out;
}

/** Majority-vote score rows: vote counts + 0.5 x mean softmax (see the file comment). */
export function voteScores(probs: readonly Float32Array[], classes: number): Float32Array {
  const mean = meanProbs(probs);
  const out = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++) out[i] = 0.5 * (mean[i] as number);
  for (const p of probs) {
    const top = argmaxRows(p, classes);
    for (let i = 0; i < top.length; i++) {
      const k = i * classes + (top[i] as number);
      out[k] = (out[k] as number) + 1;
    }
  }
  return out;
}

/** The ensemble's score rows under `rule`. */
export function ensembleScores(probs: readonly Float32Array[], classes: number, rule: VoteRule): Float32Array {
  return rule === 'majority' ? voteScores(probs, classes) : meanProbs(probs);
}

/** Fraction of rows whose argmax equals the label. */
export function accuracyOf(scores: Float32Array, labels: ArrayLike<number>, classes: number): number {
  const pred = argmaxRows(scores, classes);
  if (pred.length !== labels.length) throw new ShapeError(`accuracy: ${pred.length} predictions for ${labels.length} labels`);
  if (pred.length === 0) throw new ShapeError('accuracy of an empty set');
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / pred.length;
}

/** Accuracy of the ensemble of the first k members, for k = 1..K. */
export function accuracyVsMembers(probs: readonly Float32Array[], labels: ArrayLike<number>, classes: number, rule: VoteRule): number[] {
  checkMembers(probs);
  return probs.map((_, k) => accuracyOf(ensembleScores(probs.slice(0, k + 1), classes, rule), labels, classes));
}

/** Mean over member pairs of the fraction of samples on which their top classes differ (0 for one member). */
export function pairwiseDisagreement(probs: readonly Float32Array[], classes: number): number {
  checkMembers(probs);
  const preds = probs.map((p) => argmaxRows(p, classes));
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < preds.length; a++) {
    for (let b = a + 1; b < preds.length; b++) {
      const pa = preds[a] as Int32Array;
      const pb = preds[b] as Int32Array;
      let d = 0;
      for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) d++;
      sum += d / pa.length;
      pairs++;
    }
  }
  return pairs ? sum / pairs : 0;
}
