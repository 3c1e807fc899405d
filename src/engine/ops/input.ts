/** Engine lowering of `input`: checks the given tensor against the input's shape in engine layout. */
import { ShapeError } from '../../errors.js';
import type { EngineOp } from './types.js';

/** Lowering of `input`. */
export const inputEngine: EngineOp<'input'> = {
  op: 'input',
  layoutPreserving: false,
  run(ctx) {
    const { input, value: c } = ctx;
    const want = c.layout === 'nhwc' ? [c.shape[1], c.shape[2], c.shape[0]] : c.shape;
    if (input.rank !== want.length + 1 || want.some((v, i) => v !== input.shape[i + 1])) {
      throw new ShapeError(`input of '${ctx.graphName}' has shape [${input.shape.join(',')}], expected [N,${want.join(',')}] (engine layout)`);
    }
    return input;
  },
};
