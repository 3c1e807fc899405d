import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { SearchSpace } from '../space.js';
import { runTrials } from '../testing/run-trials.js';
import type { AskContext, Objective, Params, SearchStrategy } from '../types.js';
import { proxyFirst } from './proxy-first.js';

// 3 x 4 points; group = a, score = index of b (so each group's best is b = 'z'), except group 'q' where b 'w' and 'x' tie at 9
const space = new SearchSpace({
  a: { kind: 'categorical', choices: ['p', 'q', 'r'] },
  b: { kind: 'categorical', choices: ['w', 'x', 'y', 'z'] },
});
const objectives: Objective[] = [{ name: 'f', direction: 'minimize' }];
const evaluate = (p: Params) => ({ values: [['w', 'x', 'y', 'z'].indexOf(p.b as string)] });
const score = (p: Params): number =>
  p.a === 'q' && (p.b === 'w' || p.b === 'x') ? 9 : p.a === 'r' && p.b === 'y' ? Number.NEGATIVE_INFINITY : ['w', 'x', 'y', 'z'].indexOf(p.b as string);
// one function object for every run (the enumeration by group is memoised per function)
const group = (p: Params): string => p.a as string;

/** A strategy that proposes `seq` in turn (then its last point). */
const fixed = (seq: Params[]): SearchStrategy => ({ name: 'fixed', ask: (ctx: AskContext) => seq[Math.min(ctx.history.length, seq.length - 1)] as Params });

test('proxyFirst: the first proposal in a group becomes its best-scored point; later ones pass through', async () => {
  const seq = [
    { a: 'p', b: 'w' },
    { a: 'p', b: 'x' },
    { a: 'r', b: 'w' },
    { a: 'r', b: 'x' },
    { a: 'q', b: 'y' },
  ];
  const trials = await runTrials({ strategy: proxyFirst(fixed(seq), { score, group }), space, objectives, nTrials: 5, seed: 3, evaluate });
  const got = trials.map((t) => `${t.params.a}${t.params.b}`);
  // p: first ask replaced by pz, second passes; r: rz (ry is -inf, never first); q: one of the tied qw / qx
  assert.deepEqual(got.slice(0, 4), ['pz', 'px', 'rz', 'rx']);
  assert.ok(['qw', 'qx'].includes(got[4] as string), got[4]);
  // the tie is broken by the run's rng: both ties appear over seeds
  const tied = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    const t = await runTrials({ strategy: proxyFirst(fixed([{ a: 'q', b: 'z' }]), { score, group }), space, objectives, nTrials: 1, seed, evaluate });
    tied.add(t[0]?.params.b as string);
  }
  assert.deepEqual([...tied].sort(), ['w', 'x']);
});

test('proxyFirst: without it the same strategy gives its own points; a NaN score or a missing function is an error', async () => {
  const seq = [{ a: 'p', b: 'w' }];
  const plain = await runTrials({ strategy: fixed(seq), space, objectives, nTrials: 1, seed: 3, evaluate });
  assert.equal(plain[0]?.params.b, 'w');
  const nanGroup = (p: Params): string => `n${p.a}`;
  await assert.rejects(
    runTrials({ strategy: proxyFirst(fixed(seq), { score: () => Number.NaN, group: nanGroup }), space, objectives, nTrials: 1, seed: 3, evaluate }),
    (e: Error) => e instanceof ConfigError && /score NaN of point/.test(e.message),
  );
  assert.throws(
    () => proxyFirst(fixed(seq), { score, group: undefined as unknown as (p: Params) => string }),
    (e: Error) => e instanceof ConfigError && /group undefined; expected two functions/.test(e.message),
  );
});

test('proxyFirst: a space that is not enumerated (a float parameter) passes every proposal through', async () => {
  const fl = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 } });
  const inner: SearchStrategy = { name: 'half', ask: () => ({ x: 0.5 }) };
  const t = await runTrials({
    strategy: proxyFirst(inner, { score: () => 1, group: () => 'g' }),
    space: fl,
    objectives,
    nTrials: 2,
    seed: 1,
    evaluate: (p) => ({ values: [p.x as number] }),
  });
  assert.deepEqual(
    t.map((x) => x.params.x),
    [0.5, 0.5],
  );
});
