export * from './imagenet.js';
export * from './options.js';
export * from './registry.js';
export * from './small.js';
