/**
 * Exact Hessian-vector products by double backprop (the gradient of <grad L, v>), and an explicit
 * Hessian for small parameter sets (tests, diagnostics). Needs the engine's gradients
 * registered (`initEngine`) so that conv, depthwise, pooling and softmax terms are exact.
 */
import { ShapeError } from '../errors.js';
import { tf } from './tf.js';

/** A scalar loss of a list of parameter tensors. */
export type LossFn = (params: tf.Tensor[]) => tf.Scalar;

function gradsOf(f: (xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): tf.Tensor[] {
  const engine = tf.engine() as unknown as {
    gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: (tf.Tensor | undefined)[] };
  };
  const { value, grads } = engine.gradients(() => f(xs), xs, undefined, true);
  value.dispose();
  return xs.map((x, i) => grads[i] ?? tf.zerosLike(x));
}

/**
 * H·v for the Hessian H of `lossFn` at `params`, by exact double backprop; `v` matches `params`
 * tensor for tensor. Parameters the loss does not depend on get zeros.
 * @example const hv = hessianVectorProduct((p) => loss(p), params, v);
 */
export function hessianVectorProduct(lossFn: LossFn, params: tf.Tensor[], v: tf.Tensor[]): tf.Tensor[] {
  if (v.length !== params.length) {
    throw new ShapeError(`hessianVectorProduct: got ${v.length} vectors for ${params.length} parameters: expected one per parameter`);
  }
  params.forEach((p, i) => {
    const vi = v[i] as tf.Tensor;
    if (!tf.util.arraysEqual(p.shape, vi.shape)) {
      throw new ShapeError(`hessianVectorProduct: v[${i}] has shape ${JSON.stringify(vi.shape)}: expected ${JSON.stringify(p.shape)}`);
    }
  });
  return tf.tidy(() =>
    gradsOf((ps) => {
      const g = gradsOf(lossFn, ps);
      let dot: tf.Tensor = tf.scalar(0);
      g.forEach((gi, i) => {
        dot = tf.add(dot, tf.sum(tf.mul(gi, v[i] as tf.Tensor)));
      });
      return dot as tf.Scalar;
    }, params),
  );
}

/**
 * The explicit Hessian (n x n, n = total parameter count, row-major over the flattened params)
 * built column by column from Hessian-vector products; only for small n.
 */
export function explicitHessian(lossFn: LossFn, params: tf.Tensor[], maxSize = 2000): number[][] {
  const sizes = params.map((p) => p.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  if (n > maxSize) {
    throw new ShapeError(`explicitHessian: ${n} parameters is too many: expected at most ${maxSize} (use hessianVectorProduct)`);
  }
  const cols: Float32Array[] = [];
  for (let j = 0; j < n; j++) {
    const hv = tf.tidy(() => {
      let offset = 0;
      const v = params.map((p, i) => {
        const e = new Float32Array(p.size);
        if (j >= offset && j < offset + p.size) e[j - offset] = 1;
        offset += sizes[i] as number;
        return tf.tensor(e, p.shape);
      });
      const parts = hessianVectorProduct(lossFn, params, v);
      return tf.concat(parts.map((t) => tf.reshape(t, [-1])));
    });
    cols.push(hv.dataSync() as Float32Array);
    hv.dispose();
  }
  const h: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = new Array<number>(n);
    for (let j = 0; j < n; j++) row[j] = (cols[j] as Float32Array)[i] as number;
    h.push(row);
  }
  return h;
}
