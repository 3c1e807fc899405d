import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { initWeights, loadModel, zooGraph, type Model } from '../ir/index.js';
import { loadOnnx } from '../onnx/index.js';
import { Rng } from '../util/rng.js';

/**
 * Resolve a model argument of the CLI: `zoo:<name>[?opts]` (fresh seeded weights), a path to `.onnx`,
 * or a path to an hwnas IR `.json` (with its `.bin` beside it).
 */
export function loadModelSpec(spec: string, seed = 0): Model {
  if (spec.startsWith('zoo:')) {
    const graph = zooGraph(spec);
    return { graph, weights: initWeights(graph, new Rng(seed)) };
  }
  if (!existsSync(spec)) {
    throw new UserError(`model '${spec}' not found: expected zoo:<name> (see 'hwnas zoo'), a .onnx file or an hwnas .json file`);
  }
  if (spec.endsWith('.onnx')) return loadOnnx(spec);
  if (spec.endsWith('.json')) return loadModel(spec);
  throw new UserError(`model '${spec}': unknown file type, expected .onnx or .json`);
}
