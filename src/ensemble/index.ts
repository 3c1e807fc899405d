/** Bitwise networks and voted ensembles (re-exports of src/ensemble). */
export * from './cost.js';
export * from './export.js';
export * from './members.js';
export * from './run.js';
export * from './vote.js';
