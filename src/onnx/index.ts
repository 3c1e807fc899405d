export * from './writer.js';
export * from './export.js';
export * from './import.js';
export * from './ort.js';
export * from './kernel.js';
export * from './qdq.js';
export * from './model-source.js';
