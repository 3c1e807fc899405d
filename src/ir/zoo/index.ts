export * from './options.js';
export * from './small.js';
export * from './imagenet.js';
export * from './registry.js';
