/**
 * Direct access to tensor memory inside a kernel: on wasm, Float32Array views into the wasm heap
 * (no copies); on cpu, the stored arrays. JS kernels use it to avoid `readSync` copies in and
 * `tf.tensor` copies out.
 */
import type { tf } from '../tf.js';

interface WasmLike {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

interface CpuLike {
  readonly data: { get(id: object): { values: Float32Array } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** Number of elements of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Input views, output views and output tensor infos of one kernel call (see {@link tensorIo}). */
export interface TensorIo {
  readonly ins: Float32Array[];
  readonly outs: Float32Array[];
  readonly infos: tf.TensorInfo[];
}

/**
 * Views of float32 `inputs` and freshly allocated float32 outputs of `outShapes` (contents
 * unspecified: a kernel must write every element). On wasm the outputs are allocated before the
 * views are taken, since allocation may grow (and so detach) the heap.
 */
export function tensorIo(backend: object, inputs: readonly tf.TensorInfo[], outShapes: readonly (readonly number[])[]): TensorIo {
  const w = backend as Partial<WasmLike>;
  if (w.wasm !== undefined && w.dataIdMap !== undefined && typeof w.makeOutput === 'function') {
    const infos = outShapes.map((s) => (w as WasmLike).makeOutput([...s], 'float32'));
    const heap = (w as WasmLike).wasm.HEAPU8.buffer;
    const view = (t: tf.TensorInfo): Float32Array => {
      if (t.dtype !== 'float32') throw new Error(`internal: kernel input of dtype '${t.dtype}', expected float32`);
      const d = (w as WasmLike).dataIdMap.get(t.dataId);
      if (!d) throw new Error('internal: tensor not on the wasm backend');
      return new Float32Array(heap, d.memoryOffset, sizeOf(t.shape));
    };
    return { ins: inputs.map(view), outs: infos.map(view), infos };
  }
  const c = backend as CpuLike;
  const outs = outShapes.map((s) => new Float32Array(sizeOf(s)));
  const ins = inputs.map((t) => {
    const d = c.data.get(t.dataId);
    if (!d) throw new Error('internal: tensor not on the cpu backend');
    return d.values;
  });
  return { ins, outs, infos: outShapes.map((s, i) => c.makeTensorInfo([...s], 'float32', outs[i] as Float32Array)) };
}
