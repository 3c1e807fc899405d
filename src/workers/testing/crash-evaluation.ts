/** Test helper: registers 'test-crash', an evaluation that ends its thread (process.exit in a worker thread) when x0 > 0.5. */
import { registerEvaluation } from '../registry.js';

registerEvaluation({
  name: 'test-crash',
  description: 'test only: value x0, but the thread exits when x0 > 0.5',
  objectives: () => [{ name: 'x0', direction: 'minimize' }],
  create: () => async (params) => {
    const x = params.x0 as number;
    if (x > 0.5) process.exit(7);
    return { values: [x] };
  },
});
