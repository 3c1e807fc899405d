/** The tensor engine: executable models, training, Hessian-vector products (re-exports of src/engine). */
export type { Tensor } from '@tensorflow/tfjs-core';
export type { BackendName, EngineInfo, InitEngineOptions } from './backend.js';
export { engineInfo, initEngine, registerEngineOps, wasmBinaryDir, withBackend } from './backend.js';
export type { DistillData, DistillOptions, DistillResult } from './distill.js';
export { distill, featureMse, recalibrateBatchNorm } from './distill.js';
export { crossEntropyLoss } from './grads/cross-entropy.js';
export { type MatMulGradVariant, setMatMulGradient } from './grads/register.js';
export { explicitHessian, hessianVectorProduct, type LossFn } from './hvp.js';
export { type ConvInputKernelVariant, setConvInputKernel } from './kernels/register.js';
export {
  alignmentLoss,
  type EmbeddingTrainOptions,
  type EmbeddingTrainResult,
  l2NormalizeTensor,
  type MetricLossName,
  type MetricLossOptions,
  metricLoss,
  trainEmbedding,
} from './metric-loss.js';
export type {
  ActivationInfo,
  BiasInfo,
  BnBatchStats,
  BuildOptions,
  EvalResult,
  ForwardHooks,
  ForwardOptions,
  HooksModule,
  TransformedWeight,
  ValueLayout,
  WeightInfo,
  WeightLayout,
} from './model.js';
export { buildModel, EngineModel, loadEngineModel, nchwToNhwc, saveEngineModel, transposeArray } from './model.js';
export type { OptimizerName, OptimizerOptions, ScheduleName, ScheduleOptions } from './optim.js';
export { learningRate, Optimizer } from './optim.js';
export { DataParallelGradients } from './parallel.js';
export { type EngineScores, engineScores } from './retrieval-sim.js';
export { dot, type LayerHvp, type LayerHvpOptions, layerHvp, layerHvpFn, rademacher } from './sensitivity-hvp.js';
export type { EpochSummary, SourceData, TrainData, TrainInput, TrainOptions, TrainProgress, TrainResult } from './train.js';
export { chooseWorkers, evaluateSource, train } from './train.js';
export { computeGradients, type FlatLayout, flatLayout, readParams, writeParams } from './train-step.js';
