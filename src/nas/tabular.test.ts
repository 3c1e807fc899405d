import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GraphBuilder } from '../ir/builder.js';
import { graphTotals } from '../ir/workload.js';
import { createStrategy } from '../search/registry.js';
import { type Nb201Cell, nb201Graph, nb201IsomorphismKey, nb201Space, parseNb201 } from '../search/spaces/nb201.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { ArchSpace } from '../search/spaces/types.js';
import { runTrials } from '../search/testing/run-trials.js';
import type { AskContext, Params, SearchStrategy, Trial } from '../search/types.js';
import { Rng } from '../util/rng.js';
import {
  computationClassKey,
  computationKey,
  distinctComputations,
  loadNasTable,
  NasTable,
  nb201CanonicalArch,
  nb201Classes,
  nb201ClassesFromGraphs,
  nb201RepeatClasses,
  tableCheapObjectives,
} from './tabular.js';

const small = { inputSize: 8, inChannels: 1, channels: 2, cellsPerStage: 1 } as const;
const key = (arch: string): string => computationKey(nb201Graph(parseNb201(arch), small));

test('computationKey: ignores names and the order of summands, sees operators and their attributes', () => {
  const sum = (order: 'ab' | 'ba'): string => {
    const b = new GraphBuilder('g', [1, 4, 4]);
    const a = b.conv(b.input, { out: 2, kernel: 3, pad: 1, name: order === 'ab' ? 'x1' : 'y7' });
    const c = b.relu(b.input, order === 'ab' ? 'r' : 'q');
    b.output(order === 'ab' ? b.addOp(a, c) : b.addOp(c, a));
    return computationKey(b.build());
  };
  assert.equal(sum('ab'), sum('ba'));
  const withKernel = (k: number): string => {
    const b = new GraphBuilder('g', [1, 4, 4]);
    b.output(b.conv(b.input, { out: 2, kernel: k, pad: (k - 1) / 2 }));
    return computationKey(b.build());
  };
  assert.notEqual(withKernel(1), withKernel(3));
  // ((a + b) + c) and (a + (b + c)) are one sum.
  const assoc = (left: boolean): string => {
    const b = new GraphBuilder('g', [1, 4, 4]);
    const a = b.relu(b.input);
    const p = b.avgPool(b.input, { kernel: 3, stride: 1, pad: 1 });
    const c = b.conv(b.input, { out: 1, kernel: 1 });
    b.output(left ? b.addOp(b.addOp(a, p), c) : b.addOp(a, b.addOp(p, c)));
    return computationKey(b.build());
  };
  assert.equal(assoc(true), assoc(false));
});

test('computationKey on NB201 cells: swapped middle nodes, dead edges and identity chains are one class; an op change is not', () => {
  // Nodes 1 and 2 swapped (no edge between them).
  assert.equal(
    key('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|'),
    key('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|'),
  );
  // Node 1 does not reach the output: its edges are dead.
  assert.equal(
    key('|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|'),
    key('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|'),
  );
  // node1 = skip(x): a conv from node 1 is a conv from node 0.
  assert.equal(
    key('|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|'),
    key('|skip_connect~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|'),
  );
  // Different operations are different classes.
  assert.notEqual(
    key('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|'),
    key('|nor_conv_1x1~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|'),
  );
  // One conv used twice (node 1 feeding node 3 directly and through conv) is not two convs of x.
  assert.notEqual(
    key('|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|skip_connect~1|skip_connect~2|'),
    key('|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|skip_connect~2|'),
  );
  // Two parallel convs from x are not one conv.
  assert.notEqual(
    key('|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|'),
    key('|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|'),
  );
});

test('nb201Classes: a partition of the 15,625 cells whose members have the same network size and depth', () => {
  const c = nb201Classes();
  assert.equal(c.cells.length, 15_625);
  assert.equal(
    c.sizes.reduce((s, x) => s + x, 0),
    15_625,
  );
  assert.equal(c.reps.length, c.sizes.length);
  // Far fewer classes than cells (NB201 reports 6,466 unique cells under its weaker hash), far more than 1.
  assert.ok(c.reps.length > 4000 && c.reps.length < 6466, `${c.reps.length} classes`);
  c.reps.forEach((r, k) => assert.equal(c.classOf[r], k, 'a representative is in its own class'));
  // Oracle: cells of one class have the same MACs, parameters and layer count in the full network.
  const space = nb201Space({ inputSize: 28, inChannels: 1 });
  const totals = new Map<number, string>();
  for (let i = 0; i < c.cells.length; i += 7) {
    const t = graphTotals(space.graph(c.cells[i] as Nb201Cell));
    const s = `${t.macs}/${t.params}/${t.layers}`;
    const cl = c.classOf[i] as number;
    const prev = totals.get(cl);
    if (prev === undefined) totals.set(cl, s);
    else assert.equal(s, prev, `cell ${i} vs its class`);
  }
  // All-zero cells (output node unreachable from the input) form one class.
  const zeroA = c.cells.findIndex((x) => x.every((op) => op === 'none'));
  const zeroB = c.cells.findIndex((x) => x.join() === 'skip_connect,skip_connect,none,none,none,none');
  assert.equal(c.classOf[zeroA], c.classOf[zeroB]);
  assert.equal(nb201CanonicalArch(c, zeroB), '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|');
  assert.throws(() => nb201CanonicalArch(c, 15_625), /15625/);
});

test('nb201Classes: the committed partition is the one computationKey of the class graphs gives, cell for cell', () => {
  const committed = nb201Classes();
  const computed = nb201ClassesFromGraphs();
  assert.equal(computed.reps.length, 6040);
  assert.deepEqual([...committed.classOf], [...computed.classOf], 'regenerate with: node scripts/gen-nb201-classes.mjs');
  assert.deepEqual(committed.reps, computed.reps);
  assert.deepEqual(committed.sizes, computed.sizes);
  // The space's class key (the repeat filter's, TPE's class index) is that partition joined with NB201's isomorphism key.
  const space = nb201Space();
  const keyOf = computationClassKey(space);
  const byKey = new Map<string, string>();
  computed.cells.forEach((c, i) => {
    const k = keyOf(space.toParams(c));
    const want = `${computed.classOf[i]}|${nb201IsomorphismKey(c)}`;
    const prev = byKey.get(k);
    if (prev === undefined) byKey.set(k, want);
    else assert.equal(want, prev, `cell ${i}`);
  });
  assert.equal(byKey.size, new Set(byKey.values()).size);
  assert.equal(byKey.size, 7837);
});

test('nb201RepeatClasses: the common refinement of the computation classes and NB201 isomorphism classes', () => {
  const comp = nb201Classes();
  const r = nb201RepeatClasses();
  const iso = r.cells.map(nb201IsomorphismKey);
  assert.equal(comp.reps.length, 6040);
  assert.equal(new Set(iso).size, 6466);
  assert.equal(r.reps.length, 7837);
  // Members of a repeat class agree on both keys; cells agreeing on both are one repeat class.
  const seen = new Map<string, number>();
  r.cells.forEach((_, i) => {
    const k = `${comp.classOf[i]}|${iso[i]}`;
    const cl = r.classOf[i] as number;
    const prev = seen.get(k);
    if (prev === undefined) seen.set(k, cl);
    else assert.equal(cl, prev, `cell ${i}`);
  });
  assert.equal(seen.size, r.reps.length);
  // Neither partition refines the other: NB201 splits swapped middle nodes, ours splits one conv used twice from two convs.
  const cls = (s: string): [number, string] => {
    const i = r.cells.findIndex((c) => c.join() === parseNb201(s).join());
    return [comp.classOf[i] as number, iso[i] as string];
  };
  const [ca, ia] = cls('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|');
  const [cb, ib] = cls('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|');
  assert.ok(ca === cb && ia !== ib);
  const [cc, ic] = cls('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|skip_connect~1|skip_connect~2|');
  const [cd, id] = cls('|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|');
  assert.ok(cc !== cd && ic === id);
});

test("NB201's classGraph keys cells as the published network does: the repeat filter's classes unchanged, 3x cheaper", () => {
  const r = nb201RepeatClasses();
  const space = nb201Space();
  assert.ok(space.classGraph, 'nb201 has a class graph');
  const full = (i: number): string => `${computationKey(space.graph(r.cells[i] as Nb201Cell))}|${nb201IsomorphismKey(r.cells[i] as Nb201Cell)}`;
  const keyOf = computationClassKey(space);
  const members = new Map<number, number[]>();
  r.cells.forEach((_, i) => {
    const cl = r.classOf[i] as number;
    const m = members.get(cl);
    if (m) m.push(i);
    else members.set(cl, [i]);
  });
  // Every 8th class: its members (up to 4) have one key under the published network and under computationClassKey.
  const reps: string[] = [];
  let multi = 0;
  for (const [cl, m] of members) {
    if (cl % 8 !== 0) continue;
    const k = full(m[0] as number);
    reps.push(k);
    assert.equal(keyOf(space.toParams(r.cells[m[0] as number] as Nb201Cell)), keyOf(space.toParams(r.cells[m.at(-1) as number] as Nb201Cell)));
    if (m.length > 1) multi++;
    for (const i of m.slice(1, 4)) assert.equal(full(i), k, `cell ${i} vs its class's first cell ${m[0]}`);
  }
  // ... and different classes have different keys under the published network.
  assert.equal(new Set(reps).size, reps.length);
  assert.ok(multi > 150 && reps.length > 900, `${multi} classes of several cells, ${reps.length} classes checked`);
});

test('the committed NB201 Fashion-MNIST table loads: every cell, sane columns, one value per class', { skip: !existsSync(tablePath()) }, () => {
  const t = loadNasTable(tablePath(), nb201Space({ inputSize: 28, inChannels: 1 }));
  assert.equal(t.size, 15_625);
  const cols = ['accuracy', 'latency_ms', 'host_ms', 'macs', 'params', 'acc_trained', 'acc_measured', 'host_measured'];
  let measured = 0;
  let hostMeasured = 0;
  for (const a of t.archs()) {
    const [acc, lat, host, macs, params, trained, am, hm] = t.values(a, cols) as [number, number, number, number, number, number, number, number];
    assert.ok(acc > 0 && acc < 1 && trained > 0 && trained < 1 && lat > 0 && host > 0 && macs > 0 && params > 0, a);
    if (am === 0) assert.equal(trained, acc, `${a}: an untrained class's acc_trained is the surrogate`);
    assert.ok((am === 0 || am === 1) && (hm === 0 || hm === 1), a);
    measured += am;
    hostMeasured += hm;
  }
  assert.ok(measured >= 50 && hostMeasured >= 80, `${measured} cells with a trained class, ${hostMeasured} host-measured`);
  // Isomorphic cells share their values.
  const a = '|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|';
  const b = '|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|';
  assert.deepEqual(t.values(a, cols), t.values(b, cols));
});

function tablePath(): string {
  // dist/src/nas/tabular.test.js -> <repo>/bench/nb201-fmnist.csv
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'nb201-fmnist.csv');
}

test('distinctComputations: re-asks while the proposal is isomorphic to a queried cell; same seed, same proposals', async () => {
  const space = nb201Space(small);
  // x + conv1x1(x), written two ways: one computation and one NB201 isomorphism class.
  const a = parseNb201('|skip_connect~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|');
  const iso = parseNb201('|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|');
  // The same computation as `a2`, but another NB201 class (NB201's tables store it separately): not a repeat.
  const a2 = parseNb201('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|');
  const swapped = parseNb201('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|');
  assert.equal(computationKey(space.graph(a2)), computationKey(space.graph(swapped)));
  const fresh = parseNb201('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|');
  const once: SearchStrategy = { name: 'once', ask: () => space.toParams(swapped) };
  const trial0 = (p: Params): Trial =>
    ({ number: 0, state: 'complete', params: p, values: [1], constraints: null, userAttrs: {}, startedAt: 0, finishedAt: 0 }) as unknown as Trial;
  const ctx0 = { space: space.space, objectives: [{ name: 'a', direction: 'maximize' }], trialNumber: 1, rng: new Rng(1) };
  const s = await distinctComputations(once, space).ask({ ...ctx0, history: [trial0(space.toParams(a2))] } as AskContext);
  assert.equal(space.format(space.fromParams(s)), space.format(swapped));
  // An inner strategy that proposes the isomorphic cell twice, then a new one.
  const queue = [iso, iso, fresh];
  const inner: SearchStrategy = { name: 'scripted', ask: () => space.toParams(queue.shift() as Nb201Cell) };
  const trial = (p: Params): Trial =>
    ({ number: 0, state: 'complete', params: p, values: [1], constraints: null, userAttrs: {}, startedAt: 0, finishedAt: 0 }) as unknown as Trial;
  const ctx = (history: Trial[], seed: number): AskContext =>
    ({ space: space.space, objectives: [{ name: 'a', direction: 'maximize' }], history, trialNumber: history.length, rng: new Rng(seed) }) as AskContext;
  const p = await distinctComputations(inner, space).ask(ctx([trial(space.toParams(a))], 1));
  assert.equal(space.format(space.fromParams(p)), space.format(fresh));
  assert.equal(queue.length, 0, 'asked three times');
  // With maxTries 1 the first proposal is kept.
  queue.push(iso);
  const q = await distinctComputations(inner, space, 1).ask(ctx([trial(space.toParams(a))], 1));
  assert.equal(space.format(space.fromParams(q)), space.format(iso));
  // Same seed, same history -> same proposal, and never a queried computation when fresh ones are easy to find.
  const history: Trial[] = [];
  const r = createStrategy('random');
  for (let i = 0; i < 40; i++) history.push(trial((await distinctComputations(r, space).ask(ctx(history, 100 + i))) as Params));
  const keys = history.map((t) => {
    const c = space.fromParams(t.params);
    return `${computationKey(space.graph(c))}|${nb201IsomorphismKey(c)}`;
  });
  assert.equal(new Set(keys).size, 40);
  const again = await distinctComputations(createStrategy('random'), space).ask(ctx(history.slice(0, 10), 110));
  assert.deepEqual(again, history[10]?.params);
  assert.throws(() => distinctComputations(r, space, 0), /maxTries 0/);
});

test('computationClassKey: a space with its own classKey is keyed by it and its graph is never built', async () => {
  const base = nb201Space(small);
  // Classes by the number of skip_connect edges only (a stand-in for a table's own class hash).
  const space: ArchSpace<Nb201Cell> = {
    ...base,
    graph: () => {
      throw new Error('graph must not be built');
    },
    classKey: (a) => String(base.format(a).split('skip_connect').length - 1),
  };
  const keyOf = computationClassKey(space);
  const p = (arch: string): Params => space.toParams(parseNb201(arch));
  const one = p('|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|');
  const oneElsewhere = p('|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|');
  const two = p('|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|');
  assert.equal(keyOf(one), keyOf(oneElsewhere));
  assert.notEqual(keyOf(one), keyOf(two));
  // The repeat filter re-asks for a proposal of a queried class and accepts the next new one.
  const queue = [oneElsewhere, two];
  const inner: SearchStrategy = { name: 'scripted', ask: () => queue.shift() as Params };
  const history = [
    { number: 0, state: 'complete', params: one, values: [1], constraints: null, userAttrs: {}, startedAt: 0, finishedAt: 0 },
  ] as unknown as Trial[];
  const ctx = { space: space.space, objectives: [{ name: 'a', direction: 'maximize' }], history, trialNumber: 1, rng: new Rng(1) } as AskContext;
  assert.deepEqual(await distinctComputations(inner, space).ask(ctx), two);
  assert.equal(queue.length, 0);
  // Without classKey the same proposals are keyed by their graphs: one skip edge in two places is two computations.
  assert.notEqual(computationClassKey(base)(one), computationClassKey(base)(oneElsewhere));
  // One function per space object (a TPE's classMix index is keyed by it); another object, another function.
  assert.equal(computationClassKey(space), keyOf);
  assert.notEqual(computationClassKey({ ...space }), keyOf);
});

test('distinctComputations on a joint space: the same architecture at other bits is not a repeat; at the same bits it is', async () => {
  const space = getArchSpace('nb201+bits');
  const a = space.space.sample(new Rng(1));
  const q = Object.keys(a).find((k) => k.startsWith('q_')) as string;
  const spec = space.space.params[q] as { choices: readonly string[] };
  const other = { ...a, [q]: spec.choices.find((c) => c !== a[q]) as string };
  const done = { number: 0, state: 'complete', params: a, values: [0], constraints: null, userAttrs: {}, startedAt: 0, finishedAt: 0 } as unknown as Trial;
  const asks = async (p: Params): Promise<number> => {
    let n = 0;
    const inner: SearchStrategy = {
      name: 'fixed',
      ask: () => {
        n++;
        return p;
      },
    };
    await distinctComputations(inner, space, 3).ask({
      space: space.space,
      objectives: [],
      history: [done],
      trialNumber: 1,
      rng: new Rng(2),
    } as unknown as AskContext);
    return n;
  };
  assert.equal(await asks(other), 1);
  assert.equal(await asks({ ...a }), 3);
});

test('distinctComputations: one instance over a growing history proposes what a fresh one does; a rewound or other history starts over', async () => {
  const space = nb201Space(small);
  const make = (): SearchStrategy => distinctComputations(createStrategy('random'), space);
  const trialAt = (number: number, p: Params): Trial => ({
    number,
    state: 'complete',
    params: p,
    values: [1],
    constraints: null,
    userAttrs: {},
    startedAt: '1970-01-01T00:00:00.000Z',
    finishedAt: null,
  });
  const ctx = (history: Trial[], seed: number): AskContext => ({
    space: space.space,
    objectives: [{ name: 'a', direction: 'maximize' }],
    history,
    trialNumber: history.length,
    rng: new Rng(seed),
  });
  const shared = make();
  const history: Trial[] = [];
  for (let i = 0; i < 60; i++) {
    const p = await shared.ask(ctx(history, 7 + i));
    assert.deepEqual(p, await make().ask(ctx([...history], 7 + i)), `ask ${i}`);
    history.push(trialAt(i, p));
  }
  // Rewound: trial 10's proposal is new again (the shared instance must forget trials 10..59).
  assert.deepEqual(await shared.ask(ctx(history.slice(0, 10), 17)), history[10]?.params);
  // Another study whose history differs at its first trial, then the long one again.
  const other = [trialAt(0, history[10]?.params as Params), ...history.slice(1, 10)];
  const p = await shared.ask(ctx(other, 17));
  assert.notDeepEqual(p, history[10]?.params, 'trial 10 of the long history is trial 0 here: queried');
  assert.deepEqual(p, await make().ask(ctx(other, 17)));
  assert.deepEqual(await shared.ask(ctx(history.slice(0, 10), 17)), history[10]?.params);
});

test('tabularEvaluator with a latency line: the violation latency - line on every result; a table without the column is refused', async () => {
  const space = (await import('../search/spaces/registry.js')).getArchSpace('nb201');
  const { parseNasTable, tabularEvaluator } = await import('./tabular.js');
  const { tableHv } = await import('./run.js');
  const a = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const b = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  const c = '|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const d = '|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const t = parseNasTable(`arch,accuracy,latency_ms\n${a},0.2,1\n${c},0.6,2\n${b},0.9,3\n${d},0.1,4\n`, 'x.csv', space);
  const obj = [
    { name: 'accuracy', direction: 'maximize' as const },
    { name: 'latency_ms', direction: 'minimize' as const },
  ];
  const look = tabularEvaluator(t, obj, { maxMs: 2.5 });
  const ctx = { studyName: 's', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => undefined };
  assert.deepEqual((await look(space.toParams(space.parse(a)), ctx)).constraints, [-1.5]);
  assert.deepEqual((await look(space.toParams(space.parse(b)), ctx)).constraints, [0.5]);
  assert.equal((await tabularEvaluator(t, obj)(space.toParams(space.parse(b)), ctx)).constraints, undefined);
  // the true front under the line is the feasible row's alone; without a line both rows are on it
  assert.deepEqual(tableHv(t, obj, { maxMs: 2.5 }).front, [a, c]);
  assert.deepEqual(tableHv(t, obj).front, [a, c, b]);
  assert.ok(tableHv(t, obj, { maxMs: 2.5 }, 'table-worst').trueHypervolume < tableHv(t, obj, undefined, 'table-worst').trueHypervolume);
  const noLat = parseNasTable(`arch,accuracy,host_ms\n${a},0.2,1\n`, 'y.csv', space);
  assert.throws(() => tabularEvaluator(noLat, [obj[0] as (typeof obj)[0]], { maxMs: 2 }), /needs a 'latency_ms' column.*host_ms/);
  assert.throws(() => tabularEvaluator(t, obj, { maxMs: -1 }), /-1/);
});

test('capNasBudget: a budget beyond the table or the enumerable space stops at its size, with a note; beyond the study limit is an error', async () => {
  const space = (await import('../search/spaces/registry.js')).getArchSpace('nb201');
  const { parseNasTable } = await import('./tabular.js');
  const { capNasBudget, spaceSize, MAX_STUDY_TRIALS } = await import('./run.js');
  assert.equal(spaceSize(space.space), 15625);
  const t = parseNasTable('arch,accuracy\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,0.2\n', 'x.csv', space);
  const c = capNasBudget(100_000_000, space, t);
  assert.equal(c.budget, 1);
  assert.match(c.note ?? '', /--budget 100000000 is more than the 1 architectures/);
  assert.deepEqual(capNasBudget(1, space, t), { budget: 1 });
  assert.equal(capNasBudget(100_000_000, space).budget, 15625);
  const mbv2 = (await import('../search/spaces/registry.js')).getArchSpace('mbv2');
  assert.ok(spaceSize(mbv2.space) > MAX_STUDY_TRIALS);
  assert.throws(() => capNasBudget(MAX_STUDY_TRIALS + 1, mbv2), /--budget 10000001: expected at most 10000000/);
  assert.equal(capNasBudget(500, mbv2).budget, 500);
});

test('tableCheapObjectives: the cost columns are cheap (looked up, in objective order), accuracy is not; an absent cell gets NaN', () => {
  const space = nb201Space();
  const t = new NasTable(space, ['accuracy', 'latency_ms', 'params']);
  const a = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|';
  t.add(a, { accuracy: 0.9, latency_ms: 2.5, params: 1000 });
  const objectives = [
    { name: 'params', direction: 'minimize' as const },
    { name: 'accuracy', direction: 'maximize' as const },
    { name: 'latency_ms', direction: 'minimize' as const },
  ];
  const c = tableCheapObjectives(t, objectives);
  assert.ok(c);
  assert.deepEqual(c.indices, [0, 2]);
  const p = space.toParams(space.parse(a));
  assert.deepEqual(c.values(p), [1000, 2.5]);
  const other = space.toParams(space.parse('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'));
  assert.ok(c.values(other).every(Number.isNaN));
  assert.equal(tableCheapObjectives(t, [{ name: 'accuracy', direction: 'maximize' }]), undefined);
  assert.throws(() => tableCheapObjectives(t, [{ name: 'energy', direction: 'minimize' }]), /energy/);
});

test('distinctComputations hands the class key to the inner strategy (AskContext.classOf): the filter key of any point', async () => {
  const space = nb201Space(small);
  let seen: ((p: Params) => string) | undefined;
  const inner: SearchStrategy = {
    name: 'probe',
    ask: (c) => {
      seen = c.classOf;
      return space.toParams(parseNb201('|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|'));
    },
  };
  const ctx = { space: space.space, objectives: [{ name: 'a', direction: 'maximize' }], history: [], trialNumber: 0, rng: new Rng(1) } as AskContext;
  await distinctComputations(inner, space).ask(ctx);
  assert.ok(seen, 'the inner strategy got a class key');
  const ref = computationClassKey(space);
  // a dead edge (0->1 into node 1, whose outgoing edges are none) does not change the class; a live one does
  const cell = (e01: string, e03: string): Params => space.toParams(parseNb201(`|${e01}~0|+|none~0|none~1|+|${e03}~0|none~1|none~2|`));
  assert.equal(seen(cell('nor_conv_3x3', 'skip_connect')), seen(cell('avg_pool_3x3', 'skip_connect')));
  assert.notEqual(seen(cell('nor_conv_3x3', 'skip_connect')), seen(cell('nor_conv_3x3', 'nor_conv_1x1')));
  assert.equal(seen(cell('nor_conv_3x3', 'skip_connect')), ref(cell('nor_conv_3x3', 'skip_connect')));
  // a strategy outside the filter sees none
  assert.equal(ctx.classOf, undefined);
});

test('tpe classRounds 30 with classPick top inside the repeat filter: the plain proposals until the filter would accept a repeat, then a new class', async () => {
  const space = nb201Space(small);
  const classOf = computationClassKey(space);
  // one objective of the class alone (a repeat gives the same value): few live edges are good, and cells with dead
  // edges have many settings per class, so a converged TPE keeps drawing evaluated classes
  const value = (p: Params): number => {
    const k = classOf(p);
    let h = 0;
    for (let i = 0; i < k.length; i++) h = (Math.imul(h, 31) + k.charCodeAt(i)) >>> 0;
    return Object.values(p).filter((v) => v !== 'none').length + (h % 7) / 10;
  };
  const run = (inner: SearchStrategy, seed: number): Promise<Trial[]> =>
    runTrials({
      strategy: distinctComputations(inner, space),
      space: space.space,
      objectives: [{ name: 'f', direction: 'minimize' }],
      evaluate: (p) => ({ values: [value(p)] }),
      nTrials: 120,
      seed,
    });
  let differed = 0;
  for (const seed of [1, 2, 3]) {
    const plain = await run(createStrategy('tpe'), seed);
    const top = await run(createStrategy('tpe', { classRounds: 30, classPick: 'top', classPool: 8 }), seed);
    const i = plain.findIndex((t, j) => JSON.stringify(t.params) !== JSON.stringify((top[j] as Trial).params));
    if (i < 0) continue;
    differed++;
    const before = new Set(plain.slice(0, i).map((t) => classOf(t.params)));
    assert.ok(before.has(classOf((plain[i] as Trial).params)), `seed ${seed}, trial ${i}: the first difference is where plain TPE repeats a class`);
    assert.ok(!before.has(classOf((top[i] as Trial).params)), `seed ${seed}, trial ${i}: the option proposes a new class there`);
    // after the start-up, the option never repeats a class (the space has far more classes than trials)
    const seen = new Set(top.slice(0, 10).map((t) => classOf(t.params)));
    for (const t of top.slice(10)) {
      assert.ok(!seen.has(classOf(t.params)), `seed ${seed}: trial ${t.number} repeats a class`);
      seen.add(classOf(t.params));
    }
  }
  assert.ok(differed > 0, 'plain TPE reached the 30-try cap on at least one seed');
});
