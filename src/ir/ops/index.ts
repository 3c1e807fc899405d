export { HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA } from './hardsigmoid.js';
export { nodeDef, ONNX_IMPORT_TYPES, OP_TYPES, opDef, opForOnnxType, opKind } from './registry.js';
export type * from './types.js';
