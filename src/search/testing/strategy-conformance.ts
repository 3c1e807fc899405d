/**
 * Conformance suite every search strategy must pass (call it from the strategy's test file):
 * same seed gives the same trials, different seeds differ, proposals respect the space (all
 * parameter kinds, structured included), and a resumed run (a fresh instance continuing from the
 * stored history) proposes exactly what an uninterrupted run proposes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SearchSpace } from '../space.js';
import type { Objective, Params, SearchStrategy, Trial } from '../types.js';
import { bitVectorCodec } from './bit-vector-codec.js';
import { runTrials, type TestEvaluation } from './run-trials.js';

/** Options of {@link strategyConformance}. */
export interface StrategyConformanceOptions {
  /** Trials per run (default 40); large enough that model-based strategies leave their start-up phase. */
  readonly nTrials?: number;
  /**
   * A problem of the strategy's own (domain strategies: a bits space, an architecture space). Default:
   * {@link mixedSpace} with {@link mixedEvaluate}. A custom problem skips the single-objective run
   * unless `singleObjective` is true.
   */
  readonly problem?: {
    readonly space: SearchSpace;
    readonly objectives: readonly Objective[];
    readonly evaluate: (p: Params, number: number) => TestEvaluation;
  };
  /** Strategies that may legitimately propose the same points for different seeds (one-shot solvers): skip that test. */
  readonly seedIndependent?: boolean;
}

/** A space with every parameter kind (used by the suite; handy elsewhere too). */
export function mixedSpace(): SearchSpace {
  return new SearchSpace({
    x: { kind: 'float', low: -2, high: 3 },
    lr: { kind: 'float', low: 1e-4, high: 1, log: true },
    n: { kind: 'int', low: 1, high: 10 },
    width: { kind: 'int', low: 0, high: 20, step: 5 },
    batch: { kind: 'int', low: 1, high: 1024, log: true },
    act: { kind: 'categorical', choices: ['relu', 'gelu', 'tanh'] },
    bias: { kind: 'categorical', choices: [true, false] },
    bits: { kind: 'structured', codec: bitVectorCodec(4, [2, 4, 8]) },
  });
}

const twoObjectives: readonly Objective[] = [
  { name: 'loss', direction: 'minimize' },
  { name: 'score', direction: 'maximize' },
];

/** A deterministic two-objective, one-constraint function on {@link mixedSpace}; every 13th trial fails. */
export function mixedEvaluate(p: Params, number: number): TestEvaluation {
  if (number % 13 === 5) return 'failed';
  const bits = (p.bits as number[]).reduce((s, b) => s + b, 0);
  const x = p.x as number;
  const loss = (x - 0.5) ** 2 + Math.abs(Math.log10(p.lr as number) + 2) + bits / 32 + (p.bias ? 0 : 0.1);
  const score = (p.n as number) + (p.width as number) / 5 - Math.log2(p.batch as number) / 10 + (p.act === 'gelu' ? 1 : 0) - bits / 8;
  return { values: [loss, score], constraints: [x - 2] };
}

/** Registers the conformance tests of one strategy (a factory gives a fresh instance each time). */
export function strategyConformance(label: string, make: () => SearchStrategy, options: StrategyConformanceOptions = {}): void {
  const n = options.nTrials ?? 40;
  const space = options.problem?.space ?? mixedSpace();
  const objectives = options.problem?.objectives ?? twoObjectives;
  const evaluate = options.problem?.evaluate ?? mixedEvaluate;
  const run = (seed: number, nTrials = n, history?: readonly Trial[]): Promise<Trial[]> =>
    runTrials({ strategy: make(), space, objectives, evaluate, nTrials, seed, ...(history ? { history } : {}) });

  test(`${label}: same seed gives the same trials`, async () => {
    const a = await run(11);
    const b = await run(11);
    assert.deepEqual(
      a.map((t) => t.params),
      b.map((t) => t.params),
    );
  });

  if (!options.seedIndependent)
    test(`${label}: different seeds give different trials`, async () => {
      const a = await run(11, 12);
      const b = await run(12, 12);
      assert.notDeepEqual(
        a.map((t) => t.params),
        b.map((t) => t.params),
      );
    });

  test(`${label}: every proposal is a valid point of the space`, async () => {
    const trials = await run(5);
    for (const t of trials) assert.equal(space.check(t.params), null, `trial ${t.number}: ${JSON.stringify(t.params)}`);
    if (options.problem) return;
    assert.ok(
      trials.some((t) => t.state === 'failed'),
      'the suite should exercise failed trials',
    );
    const single = await runTrials({
      strategy: make(),
      space,
      objectives: [{ name: 'loss', direction: 'minimize' }],
      evaluate: (p, k) => {
        const r = mixedEvaluate(p, k);
        return r === 'failed' ? r : { values: [r.values[0] as number] };
      },
      nTrials: n,
      seed: 3,
    });
    for (const t of single) assert.equal(space.check(t.params), null, `single-objective trial ${t.number}`);
  });

  test(`${label}: a resumed run (fresh instance, history only) matches an uninterrupted run`, async () => {
    const whole = await run(21);
    const half = await run(21, Math.floor(n / 2));
    const resumed = await run(21, n, half);
    assert.deepEqual(
      resumed.map((t) => t.params),
      whole.map((t) => t.params),
    );
  });
}
