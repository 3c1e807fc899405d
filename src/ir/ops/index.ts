export type * from './types.js';
export { OP_TYPES, ONNX_IMPORT_TYPES, nodeDef, opDef, opForOnnxType, opKind } from './registry.js';
export { HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA } from './hardsigmoid.js';
