/** Hardware-aware architecture search: tabular benchmarks, architecture costs and predictors, two-stage search, the NAS driver. */

export * from './cost.js';
export * from './objectives.js';
export * from './run.js';
export * from './strategy-config.js';
export * from './tabular.js';
export * from './train-eval.js';
export * from './two-stage.js';
