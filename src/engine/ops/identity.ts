/** Engine lowering of `identity`. */
import { unaryEngine } from './unary.js';

/** Lowering of `identity`. */
export const identityEngine = unaryEngine('identity', (x) => x);
