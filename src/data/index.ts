/** Data sets, splits and batching: re-exports of src/data. */
export * from './types.js';
export * from './load.js';
export * from './spec.js';
export * from './mnist.js';
export * from './fashion-mnist.js';
export * from './user-data.js';
export * from './idx.js';
export * from './npy.js';
export * from './split.js';
export * from './preprocess.js';
export * from './batch.js';
export * from './augment.js';
export { cacheDir, readCache, writeCache, type CacheRead } from './cache.js';
