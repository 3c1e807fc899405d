export * from './types.js';
export * from './shapes.js';
export * from './builder.js';
export * from './workload.js';
export * from './init.js';
export * from './serialize.js';
export * from './zoo/index.js';
