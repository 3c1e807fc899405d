import type { Rng } from '../util/rng.js';
import { nodeDef } from './ops/registry.js';
import { inferShapes } from './shapes.js';
import type { Graph, Shape, Weights, WeightTensor } from './types.js';

/** Shapes of every weight tensor a graph needs, keyed `<node>.<param>` (ONNX layouts; each op declares its own). */
export function weightShapes(graph: Graph): Map<string, readonly number[]> {
  const out = new Map<string, readonly number[]>();
  for (const n of graph.nodes) for (const [param, shape] of nodeDef(n).weightShapes(n)) out.set(`${n.name}.${param}`, shape);
  return out;
}

function size(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/**
 * Fresh weights: He-normal (fan-in) for conv and dense weights, zero biases, batchnorm scale 1, bias 0,
 * mean 0, var 1. Deterministic for a given seed.
 */
export function initWeights(graph: Graph, rng: Rng): Weights {
  inferShapes(graph);
  const w: Weights = new Map();
  for (const [name, shape] of weightShapes(graph)) {
    const data = new Float32Array(size(shape));
    const param = name.slice(name.lastIndexOf('.') + 1);
    if (param === 'weight') {
      const fanIn = size(shape.slice(1));
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
    } else if (param === 'scale' || param === 'var') {
      data.fill(1);
    }
    w.set(name, { shape, data });
  }
  return w;
}

/** Check that `weights` has exactly the tensors `graph` needs with the right shapes; returns problems. */
export function checkWeights(graph: Graph, weights: Weights): string[] {
  const problems: string[] = [];
  const need = weightShapes(graph);
  for (const [name, shape] of need) {
    const t: WeightTensor | undefined = weights.get(name);
    if (!t) problems.push(`missing weight '${name}' (expected shape [${shape.join(',')}])`);
    else if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      problems.push(`weight '${name}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    } else if (t.data.length !== size(shape)) {
      problems.push(`weight '${name}' has ${t.data.length} values, expected ${size(shape)}`);
    }
  }
  for (const name of weights.keys()) if (!need.has(name)) problems.push(`unexpected weight '${name}'`);
  return problems;
}

/** Per-sample output shape of the graph's first output. */
export function outputShape(graph: Graph): Shape {
  return inferShapes(graph).get(graph.outputs[0] as string) as Shape;
}
