/**
 * Test helper: registers 'test-report', an evaluation that reports the value x at steps `steps` (option,
 * default [0, 1, 2]) through `ctx.report`, awaiting each decision, and returns 'pruned' when told to stop.
 * Without a pruner it reports nothing. A step the pruner refuses (e.g. -1) makes the report throw.
 */
import type { JsonValue } from '../../search/types.js';
import { registerEvaluation } from '../registry.js';

registerEvaluation({
  name: 'test-report',
  description: 'test only: value x, reported at each of options.steps',
  objectives: () => [{ name: 'x', direction: 'maximize' }],
  create: (options: Readonly<Record<string, JsonValue>>) => async (params, ctx) => {
    const x = params.x as number;
    const steps = (options.steps as number[] | undefined) ?? [0, 1, 2];
    for (const s of steps) if (ctx.report && (await ctx.report(s, x))) return { values: [x], state: 'pruned' };
    return { values: [x] };
  },
});
