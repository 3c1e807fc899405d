export * from './types.js';
export * from './nb201.js';
export * from './mbv2.js';
export * from './joint.js';
export * from './registry.js';
export * from './codec.js';
