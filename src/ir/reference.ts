/**
 * The reference interpreter of the IR: plain float64 NCHW code, written for clarity rather than speed,
 * built from each op's own `forward` (src/ir/ops). The oracle the engine, the ONNX importer/exporter and
 * the quantizers are tested against. Batch norm runs in eval mode (running statistics) unless `training`.
 */
import { ShapeError } from '../errors.js';
import { numel } from './geometry.js';
import { nodeDef } from './ops/registry.js';
import { inferShapes } from './shapes.js';
import type { Model, Shape } from './types.js';

/** Options of {@link referenceForward}. */
export interface ReferenceOptions {
  /** Training mode: batch norm normalises with the batch statistics. Default false. */
  readonly training?: boolean;
}

/** Every node's output for a batch of NCHW samples (`batch * numel(shape)` values per node, sample-major). */
export function referenceForwardAll(model: Model, input: Float32Array, batch: number, opts: ReferenceOptions = {}): Map<string, Float64Array> {
  const { graph, weights } = model;
  const shapes = inferShapes(graph);
  const vals = new Map<string, Float64Array>();
  const x = Float64Array.from(input);
  for (const node of graph.nodes) {
    const outShape = shapes.get(node.name) as Shape;
    const weight = (param: string): Float32Array => {
      const t = weights.get(`${node.name}.${param}`);
      if (!t) throw new ShapeError(`reference: model '${graph.name}' lacks weight '${node.name}.${param}'`);
      return t.data;
    };
    const y = nodeDef(node).forward({
      node,
      inputs: node.op === 'input' ? [x] : node.inputs.map((i) => vals.get(i) as Float64Array),
      inShapes: node.inputs.map((i) => shapes.get(i) as Shape),
      outShape,
      batch,
      weight,
      training: opts.training === true,
    });
    if (y.length !== batch * numel(outShape)) {
      throw new ShapeError(`reference: node '${node.name}' (${node.op}) produced ${y.length} values, expected ${batch} x [${outShape.join(',')}]`);
    }
    vals.set(node.name, y);
  }
  return vals;
}

/** The graph's first output for `n` NCHW samples, float64, sample-major. */
export function referenceForward(model: Model, input: Float32Array, n: number, opts: ReferenceOptions = {}): Float64Array {
  return referenceForwardAll(model, input, n, opts).get(model.graph.outputs[0] as string) as Float64Array;
}
