/** Data sets, splits and batching: re-exports of src/data. */

export * from './augment.js';
export * from './batch.js';
export { type CacheRead, CacheStreamWriter, cacheDir, type OpenedCache, openCache, readCache, writeCache } from './cache.js';
export * from './fashion-mnist.js';
export * from './idx.js';
export { noteNumericClasses, numericClassNote, type StreamedDataset, type StreamOptions } from './image-folder.js';
export * from './load.js';
export * from './mnist.js';
export * from './npy.js';
export * from './preprocess.js';
export * from './spec.js';
export * from './split.js';
export * from './stream.js';
export * from './types.js';
export * from './user-data.js';
