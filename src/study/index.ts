export * from './run-study.js';
