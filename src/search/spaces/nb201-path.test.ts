import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { createStrategy } from '../registry.js';
import { SearchSpace } from '../space.js';
import * as path from '../strategies/nb201-path.js';
import { NB201_PATH_FEATURES, nb201PathEncode, nb201PathEncoding } from '../strategies/nb201-path.js';
import { runTrials } from '../testing/run-trials.js';
import type { Objective, Params } from '../types.js';
import { enumerateNb201, NB201_EDGE_PARAMS, NB201_EDGES, NB201_OPS, nb201Space } from './nb201.js';

// The path encoding lives in src/search/strategies (the GP pre-screen uses it); it repeats NB201's constants.
test('path encoding: its NB201 edges, parameter names and operations are the space’s', () => {
  assert.deepEqual(path.NB201_EDGES, NB201_EDGES);
  assert.deepEqual(path.NB201_EDGE_PARAMS, NB201_EDGE_PARAMS);
  assert.deepEqual([...path.NB201_OPS], [...NB201_OPS]);
});

/** A cell as edge -> op, the rest 'none'. */
function cell(ops: Record<string, string>): string[] {
  return NB201_EDGES.map(([t, f]) => ops[`e${t}${f}`] ?? 'none');
}

test('path encoding: one feature per op sequence on an input-output route; routes of equal length share features', () => {
  const all3 = cell(Object.fromEntries(NB201_EDGE_PARAMS.map((e) => [e, 'nor_conv_3x3'])));
  const v = nb201PathEncode(all3);
  assert.equal(v.length, NB201_PATH_FEATURES);
  // conv3x3 is op 2 of (skip, conv1x1, conv3x3, pool): length 1 at 2, length 2 at 4 + 2 + 2*4, length 3 at 20 + 2 + 8 + 32
  assert.deepEqual(
    v.flatMap((x, i) => (x ? [i] : [])),
    [2, 4 + 2 + 8, 20 + 2 + 8 + 32],
  );
  // nothing reaches the output: all zero
  assert.equal(
    nb201PathEncode(cell({ e10: 'skip_connect', e21: 'nor_conv_1x1' })).reduce((a, b) => a + b, 0),
    0,
  );
  // edges that cannot reach the output do not matter; the path 0 -> 3 alone is one feature
  const only = nb201PathEncode(cell({ e30: 'avg_pool_3x3' }));
  assert.deepEqual(nb201PathEncode(cell({ e30: 'avg_pool_3x3', e10: 'nor_conv_3x3', e21: 'skip_connect' })), only);
  assert.deepEqual(
    only.flatMap((x, i) => (x ? [i] : [])),
    [3],
  );
  // order along the path matters: skip then conv1x1 differs from conv1x1 then skip
  const a = nb201PathEncode(cell({ e10: 'skip_connect', e31: 'nor_conv_1x1' }));
  const b = nb201PathEncode(cell({ e10: 'nor_conv_1x1', e31: 'skip_connect' }));
  assert.notDeepEqual(a, b);
  // routes 0-1-3 and 0-2-3 with the same ops give the same code
  assert.deepEqual(nb201PathEncode(cell({ e10: 'skip_connect', e31: 'nor_conv_1x1' })), nb201PathEncode(cell({ e20: 'skip_connect', e32: 'nor_conv_1x1' })));
  // over the whole space: fewer distinct codes than cells (equivalent cells merge), and every feature is used
  const codes = new Set<string>();
  const used = new Array<number>(NB201_PATH_FEATURES).fill(0);
  for (const c of enumerateNb201()) {
    const e = nb201PathEncode(c);
    codes.add(e.join(''));
    e.forEach((x, i) => {
      used[i] = (used[i] as number) + x;
    });
  }
  assert.ok(codes.size < 15625 && codes.size > 1000, `${codes.size} codes`);
  assert.ok(used.every((u) => u > 0));
});

test("path encoding in 'prescreen': only on NB201 cells (ConfigError otherwise), deterministic, and never proposes an evaluated cell twice", async () => {
  const other = new SearchSpace({ a: { kind: 'categorical', choices: ['x', 'y'] } });
  assert.throws(() => nb201PathEncoding(other), ConfigError);
  assert.throws(() => createStrategy('prescreen', { encoding: 'adjacency' }), /expected 'onehot' or 'path'/);
  const space = nb201Space().space;
  const objectives: Objective[] = [
    { name: 'accuracy', direction: 'maximize' },
    { name: 'latency', direction: 'minimize' },
  ];
  // a toy score over cells: conv3x3 on the direct path and route length, latency = conv count
  const evaluate = (p: Params) => {
    const ops = NB201_EDGE_PARAMS.map((e) => String(p[e]));
    const conv = ops.filter((o) => o.startsWith('nor_conv')).length;
    return { values: [nb201PathEncode(ops).reduce((a, x, i) => a + x * ((i % 7) + 1), 0) / 40, conv] };
  };
  const run = () =>
    runTrials({
      strategy: createStrategy('prescreen', { inner: 'regularized-evolution', encoding: 'path', startupTrials: 10, refitEvery: 10 }),
      space,
      objectives,
      evaluate,
      nTrials: 30,
      seed: 3,
    });
  const t1 = await run();
  const t2 = await run();
  assert.deepEqual(
    t1.map((t) => t.params),
    t2.map((t) => t.params),
  );
  assert.equal(new Set(t1.map((t) => JSON.stringify(t.params))).size, 30);
});
