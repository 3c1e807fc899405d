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
import { tf } from './tf.js';

/** Kernel name of the fused forward: inputs x [M.., C], scale [C], bias [C]; outputs y, mean, variance. */
export const BN_TRAIN = 'HwnasBatchNormTrain';
/** Kernel name of the fused gradient: inputs dy, x, scale, mean, variance; outputs dx, dscale, dbias. */
export const BN_TRAIN_GRAD = 'HwnasBatchNormTrainGrad';

interface BnAttrs {
  readonly eps: number;
}

interface WasmLike {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface CpuLike {
  readonly data: { get(id: object): { values: Float32Array } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Direct access to tensor memory: on wasm, views into the heap (no copies; outputs are allocated
 * first because allocation may grow, and so detach, the heap); on cpu, the stored arrays.
 */
function io(
  backend: object,
  inputs: readonly tf.TensorInfo[],
  outShapes: readonly (readonly number[])[],
): { ins: Float32Array[]; outs: Float32Array[]; infos: tf.TensorInfo[] } {
  const w = backend as Partial<WasmLike>;
  if (w.wasm !== undefined && w.dataIdMap !== undefined && typeof w.makeOutput === 'function') {
    const infos = outShapes.map((s) => (w as WasmLike).makeOutput([...s], 'float32'));
    const heap = (w as WasmLike).wasm.HEAPU8.buffer;
    const view = (t: tf.TensorInfo): Float32Array => {
      const d = (w as WasmLike).dataIdMap.get(t.dataId);
      if (!d) throw new Error('internal: tensor not on the wasm backend');
      return new Float32Array(heap, d.memoryOffset, size(t.shape));
    };
    return { ins: inputs.map(view), outs: infos.map(view), infos };
  }
  const c = backend as CpuLike;
  const outs = outShapes.map((s) => new Float32Array(size(s)));
  const ins = inputs.map((t) => {
    const d = c.data.get(t.dataId);
    if (!d) throw new Error('internal: tensor not on the cpu backend');
    return d.values;
  });
  return { ins, outs, infos: outShapes.map((s, i) => c.makeTensorInfo([...s], 'float32', outs[i] as Float32Array)) };
}

/** Per-channel mean and biased variance of `x` viewed as [M, C] (one pass, float64 accumulators). */
export function channelMoments(x: Float32Array, c: number): { mean: Float64Array; variance: Float64Array } {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const n = x.length;
  for (let o = 0; o < n; o += c) {
    for (let k = 0; k < c; k++) {
      const v = x[o + k] as number;
      mean[k] = (mean[k] as number) + v;
      variance[k] = (variance[k] as number) + v * v;
    }
  }
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
      const n = xv.length;
      for (let o = 0; o < n; o += c) for (let k = 0; k < c; k++) y[o + k] = (xv[o + k] as number) * (a[k] as number) + (b[k] as number);
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
      const { ins, outs, infos } = io(backend, names.map((k) => inputs[k] as tf.TensorInfo), [x.shape, [c], [c]]);
      const [dy, xv, scale, mean, variance] = ins as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      const [dx, dscale, dbiasOut] = outs as [Float32Array, Float32Array, Float32Array];
      const n = xv.length;
      const m = n / c;
      const dbias = new Float64Array(c);
      const dxc = new Float64Array(c); // sum dy * (x - mean)
      for (let o = 0; o < n; o += c) {
        for (let k = 0; k < c; k++) {
          const g = dy[o + k] as number;
          dbias[k] = (dbias[k] as number) + g;
          dxc[k] = (dxc[k] as number) + g * ((xv[o + k] as number) - (mean[k] as number));
        }
      }
      // dx = scale*inv * (dy - dbias/m - (x - mean) * inv^2 * dxc/m)
      const k1 = new Float64Array(c);
      const k2 = new Float64Array(c);
      const k3 = new Float64Array(c);
      for (let k = 0; k < c; k++) {
        const iv = 1 / Math.sqrt((variance[k] as number) + eps);
        dscale[k] = (dxc[k] as number) * iv;
        dbiasOut[k] = dbias[k] as number;
        k1[k] = (scale[k] as number) * iv;
        k2[k] = (dbias[k] as number) / m;
        k3[k] = (iv * iv * (dxc[k] as number)) / m;
      }
      for (let o = 0; o < n; o += c) {
        for (let k = 0; k < c; k++) {
          dx[o + k] = (k1[k] as number) * ((dy[o + k] as number) - (k2[k] as number) - ((xv[o + k] as number) - (mean[k] as number)) * (k3[k] as number));
        }
      }
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
