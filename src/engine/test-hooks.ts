/**
 * Forward hooks used by the engine's tests of hook training and of hooks re-created in worker threads
 * ({@link HooksModule}): every conv/dense weight is multiplied by a learned per-layer scalar.
 */
import type { ForwardHooks } from './model.js';
import { tf } from './tf.js';

/** Hooks scaling each weight by a trainable scalar (one per layer, created in layer order on first use). */
export function scaleHooks(config: { readonly layers: readonly string[]; readonly init?: number }): ForwardHooks {
  const scales = new Map(config.layers.map((l) => [l, tf.variable(tf.scalar(config.init ?? 1), true)] as const));
  return {
    trainable: [...scales.values()],
    weightTransform: (w, info) => {
      const s = scales.get(info.layer);
      return s ? tf.mul(w, s) : w;
    },
  };
}
