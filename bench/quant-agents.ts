/**
 * Do the agents matter? (issue 19: HAQ and CW-HAWQ faithful to their papers.) On one float mbnet32
 * (1x28x28, Fashion-MNIST) and `bitfusion-edge` at `latency=0.6x` of W8A8, per search seed:
 * - HAQ (DDPG over per-layer weight and activation bits, HAQ's wall and first/last pins) vs the random
 *   baseline with the same wall and pins and the same number of evaluated policies, vs the HAWQ-style ILP;
 *   HAQ's best-so-far search accuracy after 10, 20, 40, ... episodes (how many episodes it needs);
 * - CW-HAWQ (DDPG over per-layer channel ratios of the `--cw-bits` widths, 2..8 by default, and the
 *   activation width of each layer's input, searched over 2..8; the wall only repairs budget violations,
 *   weighing weight and activation moves in loss units) vs the same allocation with random ratios and
 *   activation widths (every episode a warm-up episode), vs the ILP; best-so-far search accuracy of both
 *   after 10 / 20 / 40 / ... episodes (how many episodes the agent needs to beat random).
 *   `--cw-fixed-act` takes the activation bits per layer from the ILP policy instead (the previous set-up).
 * `--cw-only` skips HAQ and its random baseline.
 * `--act-damage measured,hessian` runs CW-HAWQ and its random-ratio baseline once per activation damage the wall
 * weighs (measured loss increase, the default, or the activation Hessian traces per channel of
 * `activationHessianDamage`, with the settings of `hwnas quantize --act-damage hessian`: 128 training images, 8-24
 * Hutchinson probes per layer input): same float model,
 * weight traces, seeds and budget; `actDamage` in the output has one row per damage and the two tables' agreement
 * (Kendall tau across layers at each width).
 * Post-training accuracy (no QAT) on test images; search rewards on validation images.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/quant-agents.js [--episodes N] [--seeds S]
 * [--train-images N] [--epochs N] [--search-images N] [--test-images N] [--trace-images N] [--trace-probes N]
 * [--cw-only] [--cw-bits 2,4,8] [--cw-fixed-act] [--act-damage measured,hessian] [--act-channels] [--out f.json]`; progress on stderr, JSON on stdout (and in --out after each seed).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Split } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { bitFusionEdge } from '../src/hardware/bitfusion.js';
import { type Precision, type PrecisionPolicy, uniformPolicy } from '../src/hardware/precision.js';
import { kendallTau } from '../src/hardware/predictor.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { activationSensitivity, calibrateActivations, evaluatePolicy } from '../src/quant/apply.js';
import { PolicyCoster, parseBudget } from '../src/quant/cost.js';
import { actChannelLayers, cwHawqSearch } from '../src/quant/cw-hawq.js';
import { haqSearch, randomSearch } from '../src/quant/haq.js';
import { ilpSearch, precisionGrid } from '../src/quant/hawq-ilp.js';
import { channelDamage, hawqScores, nonIncreasing } from '../src/quant/hawq-scores.js';
import type { ChannelBits } from '../src/quant/quant-config.js';
import { activationHessianDamage, layerSensitivities } from '../src/quant/sensitivity.js';
import { Rng } from '../src/util/rng.js';

const BITS = [2, 3, 4, 5, 6, 7, 8];
const log = (s: string): void => {
  process.stderr.write(`[quant-agents] ${s}\n`);
};
const pp = (x: number): number => Math.round(x * 10000) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sub = (s: Split, n: number, from = 0): Split => {
  const per = s.x.length / s.n;
  const m = Math.min(n, s.n - from);
  return { x: s.x.subarray(from * per, (from + m) * per), y: s.y.subarray(from, from + m), n: m };
};
const stats = (xs: readonly number[]): { mean: number; worst: number; all: number[] } => ({
  mean: pp(xs.reduce((a, b) => a + b, 0) / xs.length),
  worst: pp(Math.min(...xs)),
  all: xs.map(pp),
});

/** Options of {@link benchQuantAgents}. */
export interface QuantAgentsOptions {
  readonly episodes?: number;
  readonly seeds?: number;
  readonly trainImages?: number;
  readonly testImages?: number;
  /** Validation images that score each candidate (default 1000). */
  readonly searchImages?: number;
  /** Epochs of float training (default 3). */
  readonly epochs?: number;
  /** Images (default 128) and at most this many Hutchinson probes (default 16) per layer for the traces. */
  readonly traceImages?: number;
  readonly traceProbes?: number;
  /** Only CW-HAWQ and its random-ratio baseline (and the ILP). */
  readonly cwOnly?: boolean;
  /** CW-HAWQ channel widths (default 2..8). */
  readonly cwBits?: readonly number[];
  /** CW-HAWQ activation bits per layer from the ILP policy, not searched. */
  readonly cwFixedAct?: boolean;
  /** Activation damages the CW-HAWQ wall weighs, one CW-HAWQ run (and random-ratio run) per entry (default measured). */
  readonly actDamage?: readonly ActDamage[];
  /**
   * Channel-wise activation bits: per seed, CW-HAWQ with per-layer activation widths (the Hessian damage) and
   * CW-HAWQ with per-channel activation bits (channels ordered by their own activation traces), at the same
   * budget; the random-ratio runs are skipped.
   */
  readonly actChannels?: boolean;
  /** Write the summary so far here after each seed. */
  readonly out?: string;
}

/** How the CW-HAWQ wall weighs lowering a layer's input activation (QuantPlanOptions.actDamage). */
export type ActDamage = 'measured' | 'hessian';

/** Runs the comparison; returns a JSON-able summary. */
export async function benchQuantAgents(o: QuantAgentsOptions = {}): Promise<object> {
  const episodes = o.episodes ?? 40;
  const seeds = o.seeds ?? 3;
  await initEngine({ backend: 'wasm' });
  const ds = await loadDataset('fashion-mnist', { limit: { train: o.trainImages ?? 12000, val: 2000, test: o.testImages ?? 5000 } });
  const graph = zooGraph('mbnet32?channels=1&size=28');
  const epochs = o.epochs ?? 3;
  const cacheFile = join(tmpdir(), `hwnas-bench-quant-agents-mbnet32-${ds.train.n}-${epochs}.json`);
  const cached = existsSync(cacheFile);
  const fm = buildModel(cached ? loadModel(cacheFile) : { graph, weights: initWeights(graph, new Rng(1)) });
  if (!cached) {
    await train(fm, ds.train, { epochs, batchSize: 128, lr: 3e-3, seed: 1, onEpochEnd: (e) => log(`float epoch ${e.epoch}: loss ${e.loss.toFixed(4)}`) });
    saveModel(fm.toModel(), cacheFile);
  }
  const floatModel = fm.toModel();
  const test = ds.test;
  const searchSet = sub(ds.val, o.searchImages ?? 1000);
  const cal = calibrateActivations(fm, ds.train.x, 512, 'mse');
  const ptq = (p: PrecisionPolicy, set: Split = test, cb: ChannelBits = {}): number => evaluatePolicy(fm, p, set, cal, cb).accuracy;
  const floatAcc = fm.evaluate(test.x, test.y, test.n).accuracy;
  const w8a8Acc = ptq(uniformPolicy(8, 8));
  log(`float ${pp(floatAcc)}%, W8A8 ${pp(w8a8Acc)}% on ${test.n} test images`);
  const coster = new PolicyCoster(graph, bitFusionEdge());
  const ref = coster.uniformCost({ weightBits: 8, actBits: 8 });
  const budget = parseBudget('latency=0.6x', ref);
  // sensitivity (once: the float model is the same for every search seed)
  const hv = sub(ds.train, o.traceImages ?? 128);
  const probes = o.traceProbes ?? 16;
  const sens = layerSensitivities(fm, hv.x, hv.y, hv.n, {
    seed: 1,
    perChannel: true,
    maxIter: probes,
    minIter: Math.min(8, probes),
    tol: 1e-2,
    onLayer: (x, i, t) => log(`trace ${i + 1}/${t} ${x.layer} (${x.iterations} probes)`),
  });
  const scores = hawqScores(floatModel, sens, BITS);
  const actSens = activationSensitivity(fm, sub(ds.val, o.searchImages ?? 500, 1000), cal, BITS);
  const score = (i: number, p: Precision): number => {
    const l = coster.layers[i]?.name;
    const w = scores.find((s) => s.layer === l && s.bits === p.weightBits)?.score ?? 0;
    return 0.5 * w + Math.max(0, (actSens[i] as number[])[BITS.indexOf(p.actBits)] as number);
  };
  const ilp = await ilpSearch({ coster, budget: { latency: budget.value }, options: precisionGrid(BITS, BITS), score });
  const ilpAcc = ptq(ilp.policy);
  log(`ILP ${pp(ilpAcc)}% at ${r3(ref.latency / ilp.cost.latency)}x (repairs ${ilp.repairs})`);
  const traces = sens.map((s) => s.channelTraces ?? []);
  const cwBits = o.cwBits ?? BITS;
  const cwDamage = channelDamage(floatModel, sens, cwBits);
  const damages = o.actDamage ?? (o.actChannels ? ['hessian'] : ['measured']);
  if (o.actChannels && (damages[0] !== 'hessian' || o.cwFixedAct))
    throw new Error('actChannels: needs the hessian activation damage first and searched activation bits');
  if (damages.length === 0 || new Set(damages).size !== damages.length) throw new Error(`actDamage: expected distinct damages, got ${damages.join(',')}`);
  const damageTables: Record<string, number[][]> = {
    measured: actSens.map((row) => nonIncreasing(row.map((v) => [Math.max(0, v)])).map((r) => r[0] as number)),
  };
  let actChannels: ReturnType<typeof actChannelLayers> | undefined;
  if (damages.includes('hessian')) {
    // the settings of `hwnas quantize --act-damage hessian` (quant/pipeline.ts): 128 training images, 8-24 probes
    const ah = sub(ds.train, 128);
    const h = activationHessianDamage(fm, ah.x, ah.y, ah.n, cal, BITS, {
      seed: 2,
      maxIter: 24,
      minIter: 8,
      tol: 1e-2,
      onLayer: (x, i, t) => log(`activation trace ${i + 1}/${t} ${x.layer} (${x.iterations} probes)`),
    });
    damageTables.hessian = h.damage;
    if (o.actChannels)
      actChannels = actChannelLayers(
        graph,
        h.sensitivities.map((x) => x.channelTraces),
        h.channelDamage,
      );
  }
  const acRows: {
    perLayer: number[];
    perChannel: number[];
    perLayerLatencyX: number[];
    perChannelLatencyX: number[];
    perLayerSearchBest: number[];
    perChannelSearchBest: number[];
    perChannelOverBudget: number[];
    splitLayers: number[];
    perChannelActBits: Record<string, number[]>[];
  } = {
    perLayer: [],
    perChannel: [],
    perLayerLatencyX: [],
    perChannelLatencyX: [],
    perLayerSearchBest: [],
    perChannelSearchBest: [],
    perChannelOverBudget: [],
    splitLayers: [],
    perChannelActBits: [],
  };
  // do the two tables order the layers alike? Kendall tau across layers at each activation width below 8
  const damageAgreement = damageTables.hessian
    ? Object.fromEntries(
        BITS.filter((b) => b < 8).map((b) => {
          const i = BITS.indexOf(b);
          const col = (t: number[][]): number[] => t.map((row) => row[i] as number);
          return [`a${b}`, r3(kendallTau(col(damageTables.measured as number[][]), col(damageTables.hessian as number[][])))];
        }),
      )
    : null;
  const checkpoints = [10, 20, 40, 60, 80, 100, 120, 160, 200].filter((k) => k <= episodes);
  const rows: Record<string, number[]> = { haq: [], random: [], cwHawq: [], cwRandomRatios: [] };
  const latencyX: Record<string, number[]> = { haq: [], random: [], cwHawq: [], cwRandomRatios: [] };
  const curves: Record<string, number>[] = [];
  const cwCurves: { agent: Record<string, number>; random: Record<string, number> }[] = [];
  const cwActs: { agent: number[]; random: number[] }[] = [];
  const byDamage: Record<
    string,
    { agent: number[]; random: number[]; agentLatencyX: number[]; randomLatencyX: number[]; agentSearchBest: number[]; randomSearchBest: number[] }
  > = Object.fromEntries(damages.map((d) => [d, { agent: [], random: [], agentLatencyX: [], randomLatencyX: [], agentSearchBest: [], randomSearchBest: [] }]));
  const t0 = performance.now();
  const curveOf = (h: readonly { bestAccuracy: number }[]): Record<string, number> => {
    const c: Record<string, number> = {};
    for (const k of checkpoints) c[`best@${k}`] = pp(h[k - 1]?.bestAccuracy ?? Number.NaN);
    return c;
  };
  const summary = (): object => ({
    model: 'mbnet32 (1x28x28), Fashion-MNIST (hwnas split)',
    trainImages: ds.train.n,
    testImages: test.n,
    searchImages: searchSet.n,
    floatModelCached: cached,
    floatAccuracy: pp(floatAcc),
    w8a8Accuracy: pp(w8a8Acc),
    target: 'bitfusion-edge',
    budget: 'latency=0.6x',
    episodes,
    seeds,
    seedsDone: rows.cwHawq?.length ?? 0,
    ilp: { accuracy: pp(ilpAcc), latencyX: r3(ref.latency / ilp.cost.latency), repairs: ilp.repairs, weightBits: ilp.weightBits, actBits: ilp.actBits },
    ...(o.cwOnly
      ? {}
      : {
          haq: { ...stats(rows.haq as number[]), latencyX: latencyX.haq, searchBestCurve: curves },
          random: { ...stats(rows.random as number[]), latencyX: latencyX.random },
        }),
    cwSetup: { channelBits: cwBits, activationBits: o.cwFixedAct ? 'per layer from the ILP policy' : `searched over ${BITS.join('/')}` },
    cwHawq: { ...stats(rows.cwHawq as number[]), latencyX: latencyX.cwHawq, searchBestCurve: cwCurves.map((c) => c.agent) },
    cwRandomRatios: { ...stats(rows.cwRandomRatios as number[]), latencyX: latencyX.cwRandomRatios, searchBestCurve: cwCurves.map((c) => c.random) },
    cwActBits: cwActs,
    ...(damages.length > 1 || damages[0] !== 'measured'
      ? {
          actDamage: {
            note: `cwHawq / cwRandomRatios above are the '${damages[0]}' rows`,
            agreement: damageAgreement,
            tables: damageTables,
            rows: Object.fromEntries(
              Object.entries(byDamage).map(([d, r]) => [
                d,
                {
                  agent: stats(r.agent),
                  random: stats(r.random),
                  agentLatencyX: r.agentLatencyX,
                  randomLatencyX: r.randomLatencyX,
                  agentSearchBest: r.agentSearchBest.map(pp),
                  randomSearchBest: r.randomSearchBest.map(pp),
                },
              ]),
            ),
          },
        }
      : {}),
    ...(o.actChannels
      ? {
          actChannels: {
            note: 'CW-HAWQ (agent, hessian activation damage) with per-layer activation widths vs per-channel activation bits, same seeds and budget',
            eligibleLayers: actChannels?.filter((x) => x !== undefined).length ?? 0,
            perLayer: stats(acRows.perLayer),
            perChannel: stats(acRows.perChannel),
            perLayerLatencyX: acRows.perLayerLatencyX,
            perChannelLatencyX: acRows.perChannelLatencyX,
            perLayerSearchBest: acRows.perLayerSearchBest.map(pp),
            perChannelSearchBest: acRows.perChannelSearchBest.map(pp),
            perChannelOverBudget: acRows.perChannelOverBudget,
            splitLayers: acRows.splitLayers,
            perChannelActBits: acRows.perChannelActBits,
          },
        }
      : {}),
    searchSeconds: r3((performance.now() - t0) / 1000),
    loadAverage: loadavg()[0],
  });
  for (let seed = 1; seed <= seeds; seed++) {
    if (!o.cwOnly) {
      const haq = await haqSearch({
        coster,
        budget,
        weightBits: BITS,
        actBits: BITS,
        accuracy: (p) => ptq(p, searchSet),
        episodes,
        warmupEpisodes: Math.floor(episodes / 4),
        seed,
        onEpisode: (e) => {
          if ((e.episode + 1) % 10 === 0) log(`seed ${seed} HAQ episode ${e.episode + 1}/${episodes}: best ${pp(e.bestAccuracy)}%`);
        },
      });
      curves.push(curveOf(haq.history));
      const rnd = await randomSearch({ coster, budget, weightBits: BITS, actBits: BITS, accuracy: (p) => ptq(p, searchSet), trials: episodes, seed });
      rows.haq?.push(ptq(haq.policy));
      rows.random?.push(ptq(rnd.policy));
      latencyX.haq?.push(r3(ref.latency / haq.cost.latency));
      latencyX.random?.push(r3(ref.latency / rnd.cost.latency));
    }
    const cwRun = (warm: number, what: string, damage: ActDamage, perChannel = false): ReturnType<typeof cwHawqSearch> =>
      cwHawqSearch({
        coster,
        budget,
        bits: cwBits,
        ...(o.cwFixedAct ? { actBits: [...ilp.actBits] } : { searchActBits: BITS, actDamage: damageTables[damage] as number[][], channelDamage: cwDamage }),
        ...(perChannel && actChannels ? { actChannels } : {}),
        channelTraces: traces,
        accuracy: (a) => ptq(a.policy, searchSet, a.channelBits),
        episodes,
        warmupEpisodes: warm,
        seed,
        onEpisode: (e) => {
          if ((e.episode + 1) % 10 === 0) log(`seed ${seed} ${what} episode ${e.episode + 1}/${episodes}: best ${pp(e.bestAccuracy)}%`);
        },
      });
    if (o.actChannels) {
      const pl = await cwRun(Math.floor(episodes / 4), 'CW-HAWQ per-layer activations', 'hessian');
      const pc = await cwRun(Math.floor(episodes / 4), 'CW-HAWQ per-channel activations', 'hessian', true);
      acRows.perLayer.push(ptq(pl.allocation.policy, test, pl.allocation.channelBits));
      acRows.perChannel.push(ptq(pc.allocation.policy, test, pc.allocation.channelBits));
      acRows.perLayerLatencyX.push(r3(ref.latency / pl.cost.latency));
      acRows.perChannelLatencyX.push(r3(ref.latency / pc.cost.latency));
      acRows.perLayerSearchBest.push(pl.history.at(-1)?.bestAccuracy ?? Number.NaN);
      acRows.perChannelSearchBest.push(pc.history.at(-1)?.bestAccuracy ?? Number.NaN);
      acRows.perChannelOverBudget.push(pc.overBudget);
      const split = Object.entries(pc.allocation.channelBits).filter(([k]) => k.endsWith('@input'));
      acRows.splitLayers.push(split.filter(([, v]) => new Set(v).size > 1).length);
      acRows.perChannelActBits.push(Object.fromEntries(split.map(([k, v]) => [k, [...v]])));
      log(
        `seed ${seed}: per-layer activations ${pp(acRows.perLayer.at(-1) as number)}% at ${acRows.perLayerLatencyX.at(-1)}x, per-channel ${pp(acRows.perChannel.at(-1) as number)}% at ${acRows.perChannelLatencyX.at(-1)}x (${acRows.splitLayers.at(-1)} inputs split, ${pc.overBudget} episodes over budget; ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      if (o.out) writeFileSync(o.out, `${JSON.stringify(summary(), null, 2)}\n`);
      continue;
    }
    for (const d of damages.slice(1)) {
      const a = await cwRun(Math.floor(episodes / 4), `CW-HAWQ (${d} damage)`, d);
      const r = await cwRun(episodes, `CW random ratios (${d} damage)`, d);
      const row = byDamage[d] as (typeof byDamage)[string];
      row.agent.push(ptq(a.allocation.policy, test, a.allocation.channelBits));
      row.random.push(ptq(r.allocation.policy, test, r.allocation.channelBits));
      row.agentLatencyX.push(r3(ref.latency / a.cost.latency));
      row.randomLatencyX.push(r3(ref.latency / r.cost.latency));
      row.agentSearchBest.push(a.history.at(-1)?.bestAccuracy ?? Number.NaN);
      row.randomSearchBest.push(r.history.at(-1)?.bestAccuracy ?? Number.NaN);
      log(`seed ${seed} (${d} damage): CW-HAWQ ${pp(row.agent.at(-1) as number)}% CW random ratios ${pp(row.random.at(-1) as number)}%`);
    }
    const cw = await cwRun(Math.floor(episodes / 4), 'CW-HAWQ', damages[0] as ActDamage);
    const cwr = await cwRun(episodes, 'CW random ratios', damages[0] as ActDamage);
    const first = byDamage[damages[0] as ActDamage] as (typeof byDamage)[string];
    first.agent.push(ptq(cw.allocation.policy, test, cw.allocation.channelBits));
    first.random.push(ptq(cwr.allocation.policy, test, cwr.allocation.channelBits));
    first.agentLatencyX.push(r3(ref.latency / cw.cost.latency));
    first.randomLatencyX.push(r3(ref.latency / cwr.cost.latency));
    first.agentSearchBest.push(cw.history.at(-1)?.bestAccuracy ?? Number.NaN);
    first.randomSearchBest.push(cwr.history.at(-1)?.bestAccuracy ?? Number.NaN);
    cwCurves.push({ agent: curveOf(cw.history), random: curveOf(cwr.history) });
    const actsOf = (a: typeof cw.allocation): number[] => coster.layers.map((l) => a.policy.layers[l.name]?.actBits ?? 8);
    cwActs.push({ agent: actsOf(cw.allocation), random: actsOf(cwr.allocation) });
    rows.cwHawq?.push(ptq(cw.allocation.policy, test, cw.allocation.channelBits));
    rows.cwRandomRatios?.push(ptq(cwr.allocation.policy, test, cwr.allocation.channelBits));
    latencyX.cwHawq?.push(r3(ref.latency / cw.cost.latency));
    latencyX.cwRandomRatios?.push(r3(ref.latency / cwr.cost.latency));
    log(
      `seed ${seed}: HAQ ${pp(rows.haq?.at(-1) ?? Number.NaN)}% random ${pp(rows.random?.at(-1) ?? Number.NaN)}% CW-HAWQ ${pp(rows.cwHawq?.at(-1) ?? 0)}% CW random ratios ${pp(rows.cwRandomRatios?.at(-1) ?? 0)}% (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
    if (o.out) writeFileSync(o.out, `${JSON.stringify(summary(), null, 2)}\n`);
  }
  return summary();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const e = arg('--episodes');
  const s = arg('--seeds');
  const tr = arg('--train-images');
  const te = arg('--test-images');
  const si = arg('--search-images');
  const ep = arg('--epochs');
  const ti = arg('--trace-images');
  const tp = arg('--trace-probes');
  const sarg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const cb = sarg('--cw-bits');
  const ad = sarg('--act-damage');
  const damages = ad?.split(',');
  if (damages && !damages.every((d) => d === 'measured' || d === 'hessian')) {
    process.stderr.write(`--act-damage '${ad}': expected measured, hessian or both, comma-separated\n`);
    process.exit(2);
  }
  const out = sarg('--out');
  benchQuantAgents({
    ...(e !== undefined ? { episodes: e } : {}),
    ...(s !== undefined ? { seeds: s } : {}),
    ...(tr !== undefined ? { trainImages: tr } : {}),
    ...(te !== undefined ? { testImages: te } : {}),
    ...(si !== undefined ? { searchImages: si } : {}),
    ...(ep !== undefined ? { epochs: ep } : {}),
    ...(ti !== undefined ? { traceImages: ti } : {}),
    ...(tp !== undefined ? { traceProbes: tp } : {}),
    ...(process.argv.includes('--cw-only') ? { cwOnly: true } : {}),
    ...(process.argv.includes('--cw-fixed-act') ? { cwFixedAct: true } : {}),
    ...(process.argv.includes('--act-channels') ? { actChannels: true } : {}),
    ...(cb !== undefined ? { cwBits: cb.split(',').map(Number) } : {}),
    ...(damages ? { actDamage: damages as ActDamage[] } : {}),
    ...(out !== undefined ? { out } : {}),
  }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
