/** Graph transformations: HANT operator substitution, replaceable units, alternatives, graph surgery. */

export * from './alternatives.js';
export * from './hant.js';
export * from './rewrite.js';
export * from './screening.js';
export * from './selection.js';
export * from './strategies/index.js';
export * from './units.js';
