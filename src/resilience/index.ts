export * from './activation-faults.js';
export * from './campaign.js';
export * from './fault-model.js';
export * from './metrics.js';
export * from './predictor.js';
export * from './protection.js';
export * from './weight-faults.js';
