import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import { initWeights, loadModel, type Model, zooGraph } from '../ir/index.js';
import { Rng } from '../util/rng.js';
import { type ImportedOnnx, loadOnnxWithPrecision } from './import.js';

/**
 * Load a model from a spec, as the CLI's model argument takes it: `zoo:<name>[?opts]` (fresh weights from
 * `seed`), a path to a `.onnx` file, or a path to an hwnas IR `.json` file (with its `.bin` beside it).
 * @example const model = loadModelSpec('zoo:mnist-cnn');
 */
export function loadModelSpec(spec: string, seed = 0): Model {
  return loadModelSpecWithPrecision(spec, seed).model;
}

/**
 * {@link loadModelSpec}, with the precision policy a QDQ `.onnx` file encodes (as `hwnas quantize --out` writes it).
 * @example const { model, precision } = loadModelSpecWithPrecision('q.onnx');
 */
export function loadModelSpecWithPrecision(spec: string, seed = 0): ImportedOnnx {
  if (spec.endsWith('.onnx') && existsSync(spec)) return loadOnnxWithPrecision(spec);
  return { model: loadModelFile(spec, seed) };
}

function loadModelFile(spec: string, seed: number): Model {
  if (spec.startsWith('zoo:')) {
    const graph = zooGraph(spec);
    return { graph, weights: initWeights(graph, new Rng(seed)) };
  }
  if (spec.startsWith('space:') && !existsSync(spec)) {
    throw new UserError(
      `model '${spec}': space:<space>:<arch> specs are read by 'hwnas train' only; here give zoo:<name>, a .onnx or an hwnas .json file (e.g. the .onnx that hwnas train '${spec}' --dataset <spec> --out <file.onnx> writes)`,
    );
  }
  if (!existsSync(spec)) {
    throw new UserError(`model '${spec}' not found: expected zoo:<name> (see 'hwnas zoo'), a .onnx file or an hwnas .json file`);
  }
  if (spec.endsWith('.json')) return loadModel(spec);
  throw new UserError(`model '${spec}': unknown file type, expected .onnx or .json`);
}
