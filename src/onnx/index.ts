export * from './export.js';
export * from './import.js';
export * from './kernel.js';
export * from './model-source.js';
export * from './ort.js';
export * from './qdq.js';
export * from './writer.js';
