/**
 * hwnas as a library: load a network, cost it on a hardware target under a precision policy, search
 * mixed-precision policies and architectures in resumable studies, store and report the trials.
 *
 * Importing `hwnas` loads no tensor library: the engine (tfjs) loads on the first call of
 * {@link quantize}. Every export below is documented where it is defined.
 *
 * @example
 * import { getTarget, loadModelSpec, policyPreset } from 'hwnas';
 * const model = loadModelSpec('zoo:mnist-cnn');
 * const target = getTarget('bitfusion-edge');
 * for (const p of ['w8a8', 'w4a4']) console.log(p, target.networkCost(model.graph, policyPreset(p)).latencyMs);
 */
import type { QuantizeOptions, QuantizeResult } from './quant/pipeline.js';

export { type BatchOptions, batches, subsetSplit } from './data/batch.js';
export { loadFashionMnist } from './data/fashion-mnist.js';
export { loadDataset } from './data/load.js';
export { loadMnist } from './data/mnist.js';
export { type DatasetSpec, parseDatasetSpec } from './data/spec.js';
// data sets (MNIST, Fashion-MNIST, user IDX/NPY/image folders) and splits
export * from './data/types.js';
// errors: UserError and its subclasses are bad input (a message naming the bad value), anything else is a bug
export * from './errors.js';
// hardware targets, their cost models, precision policies and the complexity report
export * from './hardware/index.js';
// models: the IR, the zoo, IR files, ONNX import/export (float and QDQ), one loader for every source
export * from './ir/index.js';
export type { ChannelGroup, LayerPrecision, Precision, PrecisionPolicy } from './ir/precision.js';
export * from './onnx/index.js';
// quantization: policy costs under budgets, quantizers, the ILP allocator; the pipeline loads the engine lazily
export { type CostVector, costOf, PolicyCoster, parseBudget, type ResourceBudget } from './quant/cost.js';
export * from './quant/ilp.js';
export type { QuantEvent, QuantizeOptions, QuantizeResult, QuantLayerRow, QuantStrategy } from './quant/pipeline.js';
export * from './quant/quantizer.js';
// reproducibility and plain-text tables
export { Rng } from './util/rng.js';
export { formatNumber, formatTable, type TableColumn } from './util/table.js';

/**
 * Mixed-precision quantization of a trained model on a target's own cost (the pipeline of `hwnas quantize`):
 * calibrate, estimate sensitivity, search a policy under the budget, fine-tune, and compare with W8A8.
 * Starts the tensor engine (tfjs, wasm backend) on first use.
 * @example const r = await quantize({ model, dataset, target: getTarget('bitfusion-edge'), strategy: 'ilp', budget: 'latency=0.6x' });
 */
export async function quantize(options: QuantizeOptions): Promise<QuantizeResult> {
  const { initEngine } = await import('./engine/backend.js');
  const { quantizePipeline } = await import('./quant/pipeline.js');
  await initEngine();
  return quantizePipeline(options);
}

/**
 * QDQ ONNX bytes of a {@link quantize} result (its fine-tuned model at its policy), ready for onnxruntime.
 * Loads the engine's quantization code on first use.
 */
export async function exportQuantized(result: QuantizeResult): Promise<Uint8Array> {
  const { resultQuantConfig } = await import('./quant/pipeline.js');
  const { exportQdqOnnx } = await import('./quant/qdq-export.js');
  return exportQdqOnnx(result.finalModel, resultQuantConfig(result));
}

// reports of a study: data behind the HTML report, the report itself
export * from './report/index.js';
// search: spaces, the strategy registry (random, nsga2, bo, evolution, ...), Pareto utilities
export * from './search/index.js';
export * from './search/spaces/index.js';
export * from './store/index.js';
// studies: the one optimisation loop, the stores it writes, the evaluations it can name, worker threads
// (the Redis queue of remote workers stays behind the CLI: `hwnas study run --redis`, `hwnas worker`)
export * from './study/index.js';
export * from './workers/builtin.js';
export * from './workers/registry.js';
export { makeThreadPoolEvaluator, type ThreadPoolOptions } from './workers/thread-pool.js';
export type * from './workers/types.js';
