/**
 * The quantization strategies, registered in the one strategy registry on import: `haq`, `ilp`,
 * `cw-hawq`, `greedy`, `uniform` and `quant-random` (the random baseline; plain `random` is the generic one).
 */
import { registerStrategy } from '../../search/registry.js';
import { createCwHawqStrategy } from './cw-hawq.js';
import { createGreedyStrategy } from './greedy.js';
import { createHaqStrategy } from './haq.js';
import { createIlpStrategy } from './ilp.js';
import { createQuantRandomStrategy } from './random.js';
import { createUniformStrategy } from './uniform.js';

export * from './cw-hawq.js';
export * from './greedy.js';
export * from './haq.js';
export * from './ilp.js';
export * from './problem.js';
export * from './random.js';
export * from './uniform.js';

registerStrategy('haq', createHaqStrategy, 'HAQ: DDPG over per-layer weight/activation bits under a hardware budget, one episode per trial', 'quant');
registerStrategy(
  'ilp',
  createIlpStrategy,
  'HAWQ-style integer program over per-layer bits (sensitivity scores, budget); further trials at tighter budgets',
  'quant',
);
registerStrategy('cw-hawq', createCwHawqStrategy, 'CW-HAWQ: DDPG over per-layer channel ratios per bit-width, channels in Hessian-trace order', 'quant');
registerStrategy(
  'greedy',
  createGreedyStrategy,
  'greedy whole-policy allocation: from the widest bits, each step evaluates every cheaper width of every layer and takes the least loss increase per cost saved, until the budget is met',
  'quant',
);
registerStrategy('uniform', createUniformStrategy, 'uniform precisions under the budget, most bits first', 'quant');
registerStrategy('quant-random', createQuantRandomStrategy, 'random per-layer bits lowered until they fit the budget', 'quant');
