/**
 * Training-mode batch norm over the last (channel) axis as one fused kernel and one fused gradient
 * kernel, registered for the 'wasm' and 'cpu' backends. Built from tfjs ops, training-mode batch norm
 * costs ~20 full passes over the activation on wasm (reductions over leading axes and the gradients
 * of broadcast ops transpose the whole tensor); these kernels make 2 passes forward and 2 backward,
 * with float64 per-channel accumulators, reading and writing tensor memory in place.
 *
 * First-order only: the gradient kernel has no gradient of its own, so Hessian-vector products use
 * the op-by-op formulation (see `ForwardOptions.secondOrder` in model.ts).
 */
import { tensorIo as io } from './kernels/tensor-memory.js';
import { tf } from './tf.js';

/** Kernel name of the fused forward: inputs x [M.., C], scale [C], bias [C]; outputs y, mean, variance. */
export const BN_TRAIN = 'HwnasBatchNormTrain';
/** Kernel name of the fused gradient: inputs dy, x, scale, mean, variance; outputs dx, dscale, dbias. */
export const BN_TRAIN_GRAD = 'HwnasBatchNormTrainGrad';

interface BnAttrs {
  readonly eps: number;
}

/** Rows per cache block of the channel-blocked loops: ~32 KB of float32 per block. */
const blockRows = (c: number): number => Math.max(1, Math.floor(8192 / c));

/**
 * Per-channel sums over `x` viewed as [M, C]: `s[k] += sum x` and `q[k] += sum x*y` (y = x when
 * omitted; with `shift`, x - shift[k] in the product). Channel-blocked by 4 with row blocks that stay in
 * cache: ~2x faster than a row-major loop with accumulator arrays (same float64 sums).
 */
function channelSums(x: Float32Array, c: number, s: Float64Array, q: Float64Array, y?: Float32Array, shift?: Float64Array): void {
  const n = x.length;
  const other = y ?? x;
  const R = blockRows(c) * c;
  const c4 = c - (c % 4);
  for (let r0 = 0; r0 < n; r0 += R) {
    const r1 = Math.min(n, r0 + R);
    for (let k = 0; k < c4; k += 4) {
      const m0 = shift ? (shift[k] as number) : 0;
      const m1 = shift ? (shift[k + 1] as number) : 0;
      const m2 = shift ? (shift[k + 2] as number) : 0;
      const m3 = shift ? (shift[k + 3] as number) : 0;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        q0 = 0,
        q1 = 0,
        q2 = 0,
        q3 = 0;
      for (let o = r0 + k; o < r1; o += c) {
        const a0 = x[o] as number,
          a1 = x[o + 1] as number,
          a2 = x[o + 2] as number,
          a3 = x[o + 3] as number;
        s0 += a0;
        s1 += a1;
        s2 += a2;
        s3 += a3;
        q0 += a0 * ((other[o] as number) - m0);
        q1 += a1 * ((other[o + 1] as number) - m1);
        q2 += a2 * ((other[o + 2] as number) - m2);
        q3 += a3 * ((other[o + 3] as number) - m3);
      }
      s[k] = (s[k] as number) + s0;
      s[k + 1] = (s[k + 1] as number) + s1;
      s[k + 2] = (s[k + 2] as number) + s2;
      s[k + 3] = (s[k + 3] as number) + s3;
      q[k] = (q[k] as number) + q0;
      q[k + 1] = (q[k + 1] as number) + q1;
      q[k + 2] = (q[k + 2] as number) + q2;
      q[k + 3] = (q[k + 3] as number) + q3;
    }
    for (let k = c4; k < c; k++) {
      const m0 = shift ? (shift[k] as number) : 0;
      let s0 = 0;
      let q0 = 0;
      for (let o = r0 + k; o < r1; o += c) {
        const a0 = x[o] as number;
        s0 += a0;
        q0 += a0 * ((other[o] as number) - m0);
      }
      s[k] = (s[k] as number) + s0;
      q[k] = (q[k] as number) + q0;
    }
  }
}

/** `out = x * a[k] + b[k]` (+ `z * e[k]` when given) over `x` viewed as [M, C], channel-blocked. */
function channelAffine(out: Float32Array, x: Float32Array, c: number, a: Float64Array, b: Float64Array, z?: Float32Array, e?: Float64Array): void {
  const n = x.length;
  const R = blockRows(c) * c;
  const c4 = c - (c % 4);
  const zz = z ?? x;
  const ee = e ?? new Float64Array(c);
  for (let r0 = 0; r0 < n; r0 += R) {
    const r1 = Math.min(n, r0 + R);
    for (let k = 0; k < c4; k += 4) {
      const a0 = a[k] as number,
        a1 = a[k + 1] as number,
        a2 = a[k + 2] as number,
        a3 = a[k + 3] as number;
      const b0 = b[k] as number,
        b1 = b[k + 1] as number,
        b2 = b[k + 2] as number,
        b3 = b[k + 3] as number;
      const e0 = ee[k] as number,
        e1 = ee[k + 1] as number,
        e2 = ee[k + 2] as number,
        e3 = ee[k + 3] as number;
      for (let o = r0 + k; o < r1; o += c) {
        out[o] = (x[o] as number) * a0 + (zz[o] as number) * e0 + b0;
        out[o + 1] = (x[o + 1] as number) * a1 + (zz[o + 1] as number) * e1 + b1;
        out[o + 2] = (x[o + 2] as number) * a2 + (zz[o + 2] as number) * e2 + b2;
        out[o + 3] = (x[o + 3] as number) * a3 + (zz[o + 3] as number) * e3 + b3;
      }
    }
    for (let k = c4; k < c; k++) {
      const a0 = a[k] as number;
      const b0 = b[k] as number;
      const e0 = ee[k] as number;
      for (let o = r0 + k; o < r1; o += c) out[o] = (x[o] as number) * a0 + (zz[o] as number) * e0 + b0;
    }
  }
}

/** Per-channel mean and biased variance of `x` viewed as [M, C] (one pass, float64 accumulators). */
export function channelMoments(x: Float32Array, c: number): { mean: Float64Array; variance: Float64Array } {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  channelSums(x, c, mean, variance);
  for (let k = 0; k < c; k++) {
    const mu = (mean[k] as number) / m;
    mean[k] = mu;
    variance[k] = Math.max(0, (variance[k] as number) / m - mu * mu);
  }
  return { mean, variance };
}

function forwardKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: BN_TRAIN,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs['x'] as tf.TensorInfo;
      const c = x.shape[x.shape.length - 1] as number;
      const { eps } = attrs as unknown as BnAttrs;
      const { ins, outs, infos } = io(backend, [x, inputs['scale'] as tf.TensorInfo, inputs['bias'] as tf.TensorInfo], [x.shape, [c], [c]]);
      const [xv, scale, bias] = ins as [Float32Array, Float32Array, Float32Array];
      const [y, meanOut, varOut] = outs as [Float32Array, Float32Array, Float32Array];
      const { mean, variance } = channelMoments(xv, c);
      const a = new Float64Array(c);
      const b = new Float64Array(c);
      for (let k = 0; k < c; k++) {
        a[k] = (scale[k] as number) / Math.sqrt((variance[k] as number) + eps);
        b[k] = (bias[k] as number) - (mean[k] as number) * (a[k] as number);
        meanOut[k] = mean[k] as number;
        varOut[k] = variance[k] as number;
      }
      channelAffine(y, xv, c, a, b);
      return infos;
    },
  };
}

function gradKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: BN_TRAIN_GRAD,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs['x'] as tf.TensorInfo;
      const c = x.shape[x.shape.length - 1] as number;
      const { eps } = attrs as unknown as BnAttrs;
      const names = ['dy', 'x', 'scale', 'mean', 'variance'];
      const { ins, outs, infos } = io(
        backend,
        names.map((k) => inputs[k] as tf.TensorInfo),
        [x.shape, [c], [c]],
      );
      const [dy, xv, scale, mean, variance] = ins as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      const [dx, dscale, dbiasOut] = outs as [Float32Array, Float32Array, Float32Array];
      const n = xv.length;
      const m = n / c;
      const dbias = new Float64Array(c);
      const dxc = new Float64Array(c); // sum dy * (x - mean)
      const mean64 = Float64Array.from(mean);
      channelSums(dy, c, dbias, dxc, xv, mean64);
      // dx = scale*inv * (dy - dbias/m - (x - mean) * inv^2 * dxc/m) = dy*A + x*E + B
      const A = new Float64Array(c);
      const E = new Float64Array(c);
      const B = new Float64Array(c);
      for (let k = 0; k < c; k++) {
        const iv = 1 / Math.sqrt((variance[k] as number) + eps);
        dscale[k] = (dxc[k] as number) * iv;
        dbiasOut[k] = dbias[k] as number;
        const k1 = (scale[k] as number) * iv;
        const k2 = (dbias[k] as number) / m;
        const k3 = (iv * iv * (dxc[k] as number)) / m;
        A[k] = k1;
        E[k] = -k1 * k3;
        B[k] = k1 * ((mean64[k] as number) * k3 - k2);
      }
      channelAffine(dx, dy, c, A, B, xv, E);
      return infos;
    },
  };
}

let registered = false;

/** Registers the fused batch-norm kernels (wasm and cpu) and the forward kernel's gradient, once. */
export function registerBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  for (const b of ['wasm', 'cpu']) {
    if (!tf.getKernel(BN_TRAIN, b)) tf.registerKernel(forwardKernel(b));
    if (!tf.getKernel(BN_TRAIN_GRAD, b)) tf.registerKernel(gradKernel(b));
  }
  if (!tf.getGradient(BN_TRAIN)) {
    tf.registerGradient({
      kernelName: BN_TRAIN,
      inputsToSave: ['x', 'scale'],
      outputsToSave: [false, true, true],
      gradFunc: (dy, saved, attrs) => {
        const [x, scale, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
        const engine = tf.engine() as unknown as { runKernel(n: string, i: object, a: object): tf.Tensor[] };
        const [dx, dscale, dbias] = engine.runKernel(BN_TRAIN_GRAD, { dy: g, x, scale, mean, variance }, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor];
        return { x: () => dx, scale: () => dscale, bias: () => dbias };
      },
    });
  }
}

/**
 * Training-mode batch norm of `x` (channels last) with the fused kernels; returns the output and the
 * batch mean and biased variance (which carry no gradient).
 */
export function batchNormTrain(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, eps: number): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  registerBatchNormKernels();
  const engine = tf.engine() as unknown as { runKernel(n: string, i: object, a: object): tf.Tensor[] };
  const [y, mean, variance] = engine.runKernel(BN_TRAIN, { x, scale, bias }, { eps }) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
  return { y, mean, variance };
}
