/**
 * Similarity blocks for retrieval metrics on the engine: a block of (L2-normalised) query rows times the
 * transposed gallery (held as `[dim, gallery]`), one matrix product on the current backend (XNNPACK on wasm). The gallery tensor is
 * uploaded once per gallery array and kept until {@link EngineScores.dispose}.
 */
import { tf } from './tf.js';

/** A score function (the shape of src/tasks' `ScoreFn`) holding the gallery on the engine. */
export interface EngineScores {
  readonly scores: (q: Float32Array, nq: number, g: Float32Array, ng: number, dim: number, out: Float32Array) => void;
  /** Frees the gallery tensor. */
  dispose(): void;
}

/** Creates an engine-backed score function (call `initEngine()` first). */
export function engineScores(): EngineScores {
  let held: { g: Float32Array; t: tf.Tensor2D } | undefined;
  return {
    scores(q, nq, g, ng, dim, out) {
      if (held?.g !== g) {
        held?.t.dispose();
        // the gallery is held transposed ([dim, ng]): a plain product is ~4x faster on wasm than transposeB
        held = { g, t: tf.tidy(() => tf.transpose(tf.tensor2d(g, [ng, dim]))) };
      }
      const gt = held.t;
      const r = tf.tidy(() => tf.matMul(tf.tensor2d(q.subarray(0, nq * dim), [nq, dim]), gt));
      out.set(r.dataSync() as Float32Array, 0);
      r.dispose();
    },
    dispose() {
      held?.t.dispose();
      held = undefined;
    },
  };
}
