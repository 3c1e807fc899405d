import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { defaultPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { zooGraph } from '../ir/zoo/index.js';
import { createStrategy } from '../search/registry.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import { enumerateNb201, formatNb201, type Nb201Cell, nb201Space } from '../search/spaces/nb201.js';
import type { Params } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { archCost, archFeatures, archLatencyMs, fitArchPredictor, kendallTau } from './cost.js';
import { parseObjectives } from './objectives.js';
import { runNas, tableHv } from './run.js';
import { createNasStrategy } from './strategy-config.js';
import { loadNasTable, NasTable, parseNasTable, tabularEvaluator } from './tabular.js';
import { sensitiveParams } from './two-stage.js';

const space = nb201Space();
const OBJ = parseObjectives('accuracy:max,latency_ms:min');

/** A synthetic but structured table over all 15,625 cells (deterministic, no training). */
function syntheticTable(noneLatency = 0): NasTable {
  const t = new NasTable(space, ['accuracy', 'latency_ms']);
  const gain: Record<string, number> = { none: 0, skip_connect: 0.02, nor_conv_1x1: 0.04, nor_conv_3x3: 0.07, avg_pool_3x3: 0.01 };
  const lat: Record<string, number> = { none: noneLatency, skip_connect: 0.01, nor_conv_1x1: 0.3, nor_conv_3x3: 1.6, avg_pool_3x3: 0.2 };
  for (const c of enumerateNb201()) {
    const acc =
      0.5 + c.reduce((s, op, k) => s + (gain[op] as number) * (k >= 3 ? 1.5 : 1), 0) + (c[0] === 'nor_conv_3x3' && c[5] === 'nor_conv_3x3' ? 0.05 : 0);
    const l = 1 + c.reduce((s, op, k) => s + (lat[op] as number) * (k === 0 ? 2 : 1), 0);
    t.add(formatNb201(c), { accuracy: acc, latency_ms: l });
  }
  return t;
}
const TABLE = syntheticTable();
const TRUE = tableHv(TABLE, OBJ);

test('objectives: parsed with directions; bad specs quoted', () => {
  assert.deepEqual(parseObjectives('accuracy:max, latency_ms:min'), [
    { name: 'accuracy', direction: 'maximize' },
    { name: 'latency_ms', direction: 'minimize' },
  ]);
  assert.throws(() => parseObjectives('accuracy'), /'accuracy'/);
  assert.throws(() => parseObjectives('a:max,a:min'), /twice/);
});

test('tabular: CSV and JSON load; invalid arch and missing metric are ConfigErrors naming them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nas-'));
  const good = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
  const csv = join(dir, 't.csv');
  writeFileSync(csv, `arch,accuracy,latency_ms\n${good},0.9,3.5\n`);
  const t = loadNasTable(csv, space);
  assert.equal(t.size, 1);
  assert.deepEqual(t.values(good, ['latency_ms', 'accuracy']), [3.5, 0.9]);
  const js = join(dir, 't.json');
  writeFileSync(js, JSON.stringify({ format: 'hwnas-nas-table', space: 'nb201', metrics: ['accuracy'], rows: [{ arch: good, accuracy: 0.5 }] }));
  assert.equal(loadNasTable(js, space).values(good, ['accuracy'])[0], 0.5);
  const badArch = '|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  assert.throws(
    () => parseNasTable(`arch,accuracy\n${badArch},0.1\n`, 'b.csv', space),
    (e: unknown) => e instanceof ConfigError && e.message.includes(badArch) && e.message.includes('line 2'),
  );
  assert.throws(() => parseNasTable(`model,accuracy\n${good},0.1\n`, 'h.csv', space), /first header column is 'model'/);
  assert.throws(() => parseNasTable(`arch,accuracy\n${good},abc\n`, 'n.csv', space), /metric 'accuracy'/);
  assert.throws(
    () => tabularEvaluator(t, parseObjectives('accuracy:max,energy:min')),
    (e: unknown) => e instanceof ConfigError && e.message.includes("'energy'"),
  );
  assert.throws(() => loadNasTable(join(dir, 'missing.csv'), space), /cannot be read/);
});

test('tabular: the true front of the synthetic table is non-trivial', () => {
  assert.equal(TABLE.size, 15625);
  assert.ok(TRUE.front.length >= 5 && TRUE.front.length < 200, `front size ${TRUE.front.length}`);
  assert.ok(TRUE.trueHypervolume > 0.5 && TRUE.trueHypervolume < 1);
});

test("tabular hypervolume: the reference is the true front's nadir by default, and random search scores lower there than against the table's worst values", async () => {
  assert.match(TRUE.frame.reference ?? '', /true front's nadir/);
  const front = TRUE.front.map((a) => TABLE.values(a, ['accuracy', 'latency_ms']));
  assert.equal(TRUE.frame.nadir[0], -Math.min(...front.map((v) => v[0] as number)));
  assert.equal(TRUE.frame.nadir[1], Math.max(...front.map((v) => v[1] as number)));
  // A table whose worst cells are off the front (a 'none' edge costs latency here), so the two references differ.
  const table = syntheticTable(0.5);
  const tight = tableHv(table, OBJ);
  const loose = tableHv(table, OBJ, undefined, 'table-worst');
  assert.ok(loose.frame.nadir.every((v, k) => v >= (tight.frame.nadir[k] as number)) && loose.frame.nadir.some((v, k) => v > (tight.frame.nadir[k] as number)));
  const run = (t: typeof TRUE) =>
    runNas({
      space,
      objectives: OBJ,
      strategy: createStrategy('random'),
      evaluate: tabularEvaluator(table, OBJ),
      budget: 60,
      seed: 2,
      frame: t.frame,
      trueHypervolume: t.trueHypervolume,
    });
  const honest = await run(tight);
  const easy = await run(loose);
  assert.match(honest.hypervolumeReference, /true front's nadir/);
  assert.match(easy.hypervolumeReference, /worst value/);
  assert.ok((honest.hypervolumeRatio as number) < (easy.hypervolumeRatio as number), `${honest.hypervolumeRatio} vs ${easy.hypervolumeRatio}`);
});

async function search(name: string, seed: number, budget: number) {
  const { strategy, sensitive } = await createNasStrategy(name, space, {
    budget,
    seed,
    sensitivityCost: (p: Params) => TABLE.values(space.format(space.fromParams(p)), ['latency_ms'])[0] as number,
  });
  return runNas({
    space,
    objectives: OBJ,
    strategy,
    evaluate: tabularEvaluator(TABLE, OBJ),
    budget,
    seed,
    frame: TRUE.frame,
    trueHypervolume: TRUE.trueHypervolume,
    ...(sensitive ? { sensitive } : {}),
  });
}

test('strategies on the synthetic table: nsga2 beats random at 150 queries (3 seeds)', async () => {
  const mean = async (n: string): Promise<number> => {
    let s = 0;
    for (const seed of [1, 2, 3]) s += (await search(n, seed, 150)).hypervolumeRatio as number;
    return s / 3;
  };
  const rnd = await mean('random');
  const nsga = await mean('nsga2');
  assert.ok(nsga > rnd, `nsga2 ${nsga} vs random ${rnd}`);
  assert.ok(nsga > 0.9, `nsga2 reaches ${nsga} of the true hypervolume`);
});

test('runNas: result shape, curve monotone, same seed same result', async () => {
  const a = await search('nsga2', 7, 60);
  const b = await search('nsga2', 7, 60);
  assert.deepEqual(a.trials, b.trials);
  assert.equal(a.trials.length, 60);
  assert.ok(a.pareto.length >= 1);
  for (const t of a.trials) assert.deepEqual(Object.keys(t.values), ['accuracy', 'latency_ms']);
  for (let i = 1; i < a.hypervolumeCurve.length; i++)
    assert.ok((a.hypervolumeCurve[i]?.hypervolume as number) >= (a.hypervolumeCurve[i - 1]?.hypervolume as number));
  assert.equal(a.hypervolumeCurve.at(-1)?.queries, 60);
  const c = await search('nsga2', 8, 60);
  assert.notDeepEqual(a.trials, c.trials);
});

test('one objective: the front is the best trial(s), and the best found is compared with the table best (not a 100% hypervolume)', async () => {
  for (const spec of ['accuracy:max', 'latency_ms:min']) {
    const obj = parseObjectives(spec);
    const name = obj[0]?.name as string;
    const max = obj[0]?.direction === 'maximize';
    const truth = tableHv(TABLE, obj);
    const column = TABLE.archs().map((a) => TABLE.values(a, [name])[0] as number);
    const tableBest = max ? Math.max(...column) : Math.min(...column);
    assert.equal(truth.best?.value, tableBest, spec);
    assert.equal(TABLE.values(truth.best?.arch as string, [name])[0], tableBest);
    assert.ok(truth.frame.nadir[0] !== truth.frame.ideal[0], `${spec}: a frame of nonzero width`);
    const r = await runNas({
      space,
      objectives: obj,
      strategy: createStrategy('random', {}),
      evaluate: tabularEvaluator(TABLE, obj),
      budget: 30,
      seed: 4,
      frame: truth.frame,
      trueHypervolume: truth.trueHypervolume,
      ...(truth.best ? { tableBest: truth.best } : {}),
    });
    const values = r.trials.map((t) => t.values[name] as number);
    const found = max ? Math.max(...values) : Math.min(...values);
    assert.ok(found !== tableBest, `${spec}: 30 random trials do not find the table's best (the test needs a gap)`);
    assert.ok(r.pareto.length >= 1 && r.pareto.length < r.trials.length, `${spec}: ${r.pareto.length} on the front of ${r.trials.length}`);
    for (const t of r.pareto) assert.equal(t.values[name], found);
    assert.equal(r.best?.value, found);
    assert.equal(r.best?.trial.number, r.trials.find((t) => t.values[name] === found)?.number);
    assert.deepEqual(r.best?.tableBest, truth.best);
    assert.ok(Math.abs((r.best?.ratio as number) - (max ? found / tableBest : tableBest / found)) < 1e-12, `${spec}: ratio ${r.best?.ratio}`);
    assert.ok((r.hypervolumeRatio as number) < 1, `${spec}: the range share is below 1 when the best was not found`);
  }
  // equal values: every trial ties for the best (a frame of zero width does not make a front of non-best trials either)
  const flat = new NasTable(space, ['accuracy']);
  for (const c of enumerateNb201().slice(0, 50)) flat.add(formatNb201(c), { accuracy: 0.5 });
  const obj = parseObjectives('accuracy:max');
  const r = await runNas({ space, objectives: obj, strategy: createStrategy('random', {}), evaluate: tabularEvaluator(flat, obj), budget: 5, seed: 1 });
  assert.equal(r.pareto.length, new Set(r.trials.map((t) => t.arch)).size);
  assert.equal(r.best?.ratio, undefined, 'no table best given: no ratio');
});

test('bo: runs on the table and is reproducible', async () => {
  const a = await search('bo', 3, 25);
  const b = await search('bo', 3, 25);
  assert.deepEqual(a.trials, b.trials);
  assert.ok((a.hypervolumeRatio as number) > 0.5);
});

test('two-stage: stage 1 varies only the sensitive parameters; result reproducible', async () => {
  const r = await search('two-stage', 4, 80);
  const sens = r.sensitive as string[];
  assert.ok(sens.includes('e10'), `edge e10 has double latency weight, sensitive = ${sens}`);
  const stage1 = r.trials.filter((t) => t.number < 32).map((t) => space.toParams(space.parse(t.arch)));
  const rest = space.space.names.filter((n) => !sens.includes(n));
  for (const p of stage1) for (const n of rest) assert.equal(p[n], stage1[0]?.[n], `non-sensitive ${n} fixed in stage 1`);
  const again = await search('two-stage', 4, 80);
  assert.deepEqual(r.trials, again.trials);
});

test('sensitivity: finds the parameter that drives the cost', () => {
  const { effects, sensitive } = sensitiveParams(space.space, (p) => (p.e21 === 'nor_conv_3x3' ? 10 : 0) + (p.e30 === 'nor_conv_1x1' ? 1 : 0), new Rng(1));
  assert.equal(sensitive[0], 'e21');
  assert.equal(effects[0]?.name, 'e21');
});

test('archLatencyMs network mode with an anchor: anchor time x paired ratio; a 10x-MAC net is slower; model targets refuse', async () => {
  const host = getTarget('host-cpu');
  const pol = defaultPolicy(host);
  const small = zooGraph('zoo:mnist-cnn');
  const big = zooGraph('zoo:mbnet32?size=64');
  const o = { mode: 'network' as const, anchor: small, repeats: 30, quantile: 0.1 };
  const self = (await archLatencyMs(host, small, pol, o)).latencyMs;
  const other = (await archLatencyMs(host, big, pol, o)).latencyMs;
  assert.ok(self > 0 && Number.isFinite(self));
  // the anchor timed against itself: ratio ~1, so about the anchor's own first timing (loose: timing noise)
  const alone = (await archLatencyMs(host, small, pol, { mode: 'network', repeats: 300, quantile: 0.1 })).latencyMs;
  assert.ok(self < alone * 3 && self > alone / 3, `${self} vs ${alone}`);
  assert.ok(other > 2 * self, `${other} vs ${self}`);
  await assert.rejects(archLatencyMs(getTarget('bitfusion-edge'), small, pol, o), (e: unknown) => e instanceof ConfigError && /host-cpu/.test(e.message));
});

test('archCost and an architecture predictor on bitfusion-edge (analytical) rank well from 60 samples', () => {
  const target = getTarget('bitfusion-edge');
  const small = nb201Space({ cellsPerStage: 1 });
  const rng = new Rng(2);
  const cells: Nb201Cell[] = Array.from({ length: 160 }, () => small.fromParams(small.space.sample(rng)));
  const archs = cells.map(formatNb201);
  const lat = archs.map((a) => archCost(small, a, target).latencyMs);
  assert.ok(lat.every((v) => v > 0));
  const feats = archs.map((a) => archFeatures(small, a));
  const p = fitArchPredictor(feats.slice(0, 60), lat.slice(0, 60), { seed: 1 });
  const tau = kendallTau(
    lat.slice(60),
    feats.slice(60).map((f) => p.predict(f)),
  );
  assert.ok(tau > 0.7, `Kendall tau ${tau}`);
  const m = mbv2Space();
  const c = archCost(m, 'r28-w1:k3e1r|k5e6h,k3e3rs|k3e6r,k7e6h|k5e6hs', target);
  assert.ok(c.latencyMs > 0 && c.macs > 0);
});
