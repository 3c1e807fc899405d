/** The tensor engine: executable models, training, Hessian-vector products (re-exports of src/engine). */
export type { Tensor } from '@tensorflow/tfjs-core';
export { initEngine, engineInfo, withBackend, registerEngineOps, wasmBinaryDir } from './backend.js';
export type { BackendName, InitEngineOptions, EngineInfo } from './backend.js';
export { setConvInputKernel, type ConvInputKernelVariant } from './kernels/register.js';
export { setMatMulGradient, type MatMulGradVariant } from './grads/register.js';
export { crossEntropyLoss } from './grads/cross-entropy.js';
export { hessianVectorProduct, explicitHessian, type LossFn } from './hvp.js';
export { buildModel, EngineModel, loadEngineModel, saveEngineModel, nchwToNhwc, transposeArray } from './model.js';
export type {
  ActivationInfo,
  BnBatchStats,
  BuildOptions,
  EvalResult,
  ForwardHooks,
  ForwardOptions,
  HooksModule,
  ValueLayout,
  WeightInfo,
  WeightLayout,
} from './model.js';
export { train, chooseWorkers } from './train.js';
export type { EpochSummary, TrainData, TrainOptions, TrainProgress, TrainResult } from './train.js';
export { Optimizer, learningRate } from './optim.js';
export type { OptimizerName, OptimizerOptions, ScheduleName, ScheduleOptions } from './optim.js';
export { DataParallelGradients } from './parallel.js';
export { flatLayout, readParams, writeParams, computeGradients, type FlatLayout } from './train-step.js';
export { layerHvp, layerHvpFn, rademacher, dot, type LayerHvp, type LayerHvpOptions } from './sensitivity-hvp.js';
export { distill, featureMse, recalibrateBatchNorm } from './distill.js';
export type { DistillData, DistillOptions, DistillResult } from './distill.js';
