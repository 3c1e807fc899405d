/** Hardware-aware architecture search: tabular benchmarks, architecture costs and predictors, two-stage search, the NAS driver. */
export * from './objectives.js';
export * from './tabular.js';
export * from './cost.js';
export * from './two-stage.js';
export * from './run.js';
export * from './train-eval.js';
export * from './strategy-config.js';
