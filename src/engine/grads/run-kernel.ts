/** A typed wrapper of the engine's `runKernel` (recorded on the gradient tape like any op). */
import { tf } from '../tf.js';

/** Runs kernel `name` on the current backend with tensor inputs and attributes. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): tf.Tensor {
  const engine = tf.engine() as unknown as {
    runKernel(n: string, i: Record<string, tf.Tensor>, a: object): tf.Tensor | tf.Tensor[];
  };
  const out = engine.runKernel(name, inputs, attrs);
  return Array.isArray(out) ? (out[0] as tf.Tensor) : out;
}

/** The first saved tensor at `i`, failing loudly if tfjs saved fewer. */
export function savedAt(saved: readonly tf.Tensor[], i: number, kernel: string): tf.Tensor {
  const t = saved[i];
  if (t === undefined) throw new Error(`internal: gradient of '${kernel}' expected saved tensor #${i}`);
  return t;
}

/** The single upstream gradient of a one-output kernel. */
export function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(dy)) {
    const d = dy[0];
    if (d === undefined) throw new Error('internal: empty upstream gradient');
    return d;
  }
  return dy;
}
