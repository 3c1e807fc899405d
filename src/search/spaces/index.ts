export * from './codec.js';
export * from './joint.js';
export * from './macro.js';
export * from './mbv2.js';
export * from './nb201.js';
export * from './registry.js';
export * from './types.js';
