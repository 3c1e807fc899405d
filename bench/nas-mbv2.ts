/**
 * Hardware-aware MobileNetV2-space search against `mbnet32` on Fashion-MNIST (issue 6): for each target
 * (`bitfusion-edge`, `host-cpu`), a constrained two-objective search (accuracy:max, latency_ms:min, with
 * latency <= mbnet32's / 1.3 on that target) over the `mbv2-micro` space, accuracy from one SPOS
 * supernet (inherited weights + batch-norm recalibration, scored on validation images); the supernet
 * ranks blocks within each (width, input size) stratum and a short training ranks the strata's best
 * (see `rerank`); then the best few candidates under the line and mbnet32 retrained from scratch with
 * the identical recipe (same training images, epochs, lr, seeds; tested on the 10,000 test images), and
 * their latencies re-measured.
 *
 * Latency: bitfusion-edge from its analytical model (defaultPolicy: w8a8); host-cpu is the whole
 * exported network timed with onnxruntime-node (1 thread, batch 1): during the search the 10% quantile
 * of `searchRepeats` runs, at the end all finalists and mbnet32 interleaved run by run, `finalRepeats` runs
 * each, in `finalRounds` rounds (median over rounds of each round's 10% quantile; plain medians kept too),
 * with the load average recorded.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-mbv2.js [--quick] [--space mbv2-micro|mbv2-mbnet] [--search supernet|capacity] [--out result.json]`
 * (the result is also written after every stage, so a stopped run leaves partial figures).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { LoadedDataset, Split } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { measureNetwork, measureNetworks } from '../src/hardware/host.js';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import type { HardwareTarget } from '../src/hardware/types.js';
import { initWeights } from '../src/ir/init.js';
import { loadModel, saveModel } from '../src/ir/serialize.js';
import type { Graph } from '../src/ir/types.js';
import { graphTotals } from '../src/ir/workload.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { capacitySearch } from '../src/nas/capacity.js';
import { type ArchLatencyOptions, anchorLatencyMs, archLatencyMs } from '../src/nas/cost.js';
import { runNas } from '../src/nas/run.js';
import { createNasStrategy } from '../src/nas/strategy-config.js';
import { largestArch, Supernet, supernetEvaluator } from '../src/nas/supernet.js';
import { resizeSplit } from '../src/nas/train-eval.js';
import { MBV2_MBNET, MBV2_MICRO, type Mbv2Arch, type Mbv2SpaceOptions, mbv2Space } from '../src/search/spaces/mbv2.js';
import type { Objective } from '../src/search/types.js';
import { Rng } from '../src/util/rng.js';
import { benchFlags } from './flags.js';

/** Options of {@link benchNasMbv2}. */
export interface NasMbv2BenchOptions {
  readonly quick?: boolean;
  /** Training images of the supernet (default 10000, quick 1000). */
  readonly searchImages?: number;
  /** Validation images each candidate is scored on (default 1000, quick 200). */
  readonly valImages?: number;
  /** Supernet SPOS steps (default 800, quick 30). */
  readonly supernetSteps?: number;
  /** Trials per target (default 100, quick 8). */
  readonly budget?: number;
  /** Finalists per target retrained (default 2). */
  readonly winners?: number;
  /** Retraining recipe: images (default 12000, quick 500), epochs (default 3, quick 1), seeds (default [1, 2], quick [1]). */
  readonly retrainImages?: number;
  readonly retrainEpochs?: number;
  readonly seeds?: readonly number[];
  /** Host timing: runs per candidate during the search (default 100), final rounds x runs (default 7 x 300). */
  readonly searchRepeats?: number;
  readonly finalRounds?: number;
  readonly finalRepeats?: number;
  /** Required speed-up over mbnet32 (default 1.3). */
  readonly speedup?: number;
  /**
   * Re-ranking across (width, input size) strata by short training (default true): slicing supernets
   * favour narrow paths (their channels are trained by every step), so the supernet ranks blocks within a
   * stratum and a short training of each stratum's best feasible candidate ranks across strata.
   */
  readonly rerank?: boolean;
  /** Feasible random candidates scored per stratum besides the search's trials (default 6, quick 1). */
  readonly perStratum?: number;
  /** Short training of the re-ranking: images (default 3000, quick 300), 1 epoch. */
  readonly rerankImages?: number;
  /** Supernet weights file: loaded when it exists, else written after training. */
  readonly supernetCache?: string;
  /** Skip the second seed's retraining when this many minutes have passed (default 38). */
  readonly secondSeedBefore?: number;
  /** A previous result JSON: skip the supernet and searches, retrain its picked finalists (e.g. more seeds). */
  readonly finalistsFrom?: string;
  /**
   * How finalists are found: `supernet` (default: SPOS supernet + NSGA-II + per-stratum re-ranking) or
   * `capacity` (src/nas/capacity.ts: per stratum, random points repaired under the line, the one with the
   * most parameters kept; no training until the finalists' retraining).
   */
  readonly search?: 'supernet' | 'capacity';
  /**
   * Host latency during the capacity search: `network` (default: the whole exported network timed interleaved
   * run by run with mbnet32, 10% quantiles of `searchRepeats` runs each, their ratio) or `model` (the per-kernel table; it
   * over-counts each kernel's run overhead, ranks these small nets poorly: 1.18x for a net 1.81x faster whole).
   */
  readonly hostSearchLatency?: 'network' | 'model';
  /**
   * host-cpu capacity search: the line is mbnet32's time / speedup x this (default 0.85). Our VM's core runs in
   * two states (mbnet32 ~0.055 and ~0.075 ms) and small nets gain less in the slow one: a net 1.37x faster in
   * the fast state measured 1.24x in the slow one. 0.85 keeps finalists over the speedup in both.
   */
  readonly hostLineMargin?: number;
  /** Targets searched (default both); the others get no finalists. */
  readonly targets?: readonly ('bitfusion-edge' | 'host-cpu')[];
  /** The space: `mbv2-micro` (default) or `mbv2-mbnet` (mbnet32's skeleton). */
  readonly space?: 'mbv2-micro' | 'mbv2-mbnet';
  /** JSON written after every stage (default /tmp/mbv2-result.json). */
  readonly out?: string;
  readonly log?: (msg: string) => void;
}

/** One retrained model. */
interface Retrained {
  readonly name: string;
  readonly arch: string;
  readonly macs: number;
  readonly params: number;
  /** Test accuracy per seed. */
  readonly accuracy: Record<string, number>;
  readonly trainSeconds: Record<string, number>;
}

const REF = 'zoo:mbnet32?channels=1&size=28';

/** Quantile of host run times used as the latency: on a shared, loaded machine a low quantile estimates the uncontended latency best. */
const HOST_QUANTILE = 0.1;

/** Runs the benchmark (see the module comment); returns the result object also written to `out`. */
export async function benchNasMbv2(opts: NasMbv2BenchOptions = {}): Promise<Record<string, unknown>> {
  const q = opts.quick === true;
  const log = opts.log ?? ((m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`));
  const o = {
    searchImages: opts.searchImages ?? (q ? 1000 : 10000),
    valImages: opts.valImages ?? (q ? 200 : 1000),
    supernetSteps: opts.supernetSteps ?? (q ? 30 : 800),
    budget: opts.budget ?? (q ? 8 : 100),
    winners: opts.winners ?? 2,
    retrainImages: opts.retrainImages ?? (q ? 500 : 12000),
    retrainEpochs: opts.retrainEpochs ?? (q ? 1 : 3),
    seeds: opts.seeds ?? (q ? [1] : [1, 2]),
    searchRepeats: opts.searchRepeats ?? (q ? 30 : 100),
    finalRounds: opts.finalRounds ?? (q ? 2 : 7),
    finalRepeats: opts.finalRepeats ?? (q ? 50 : 300),
    speedup: opts.speedup ?? 1.3,
    out: opts.out ?? '/tmp/mbv2-result.json',
    rerank: opts.rerank ?? true,
    perStratum: opts.perStratum ?? (q ? 2 : opts.search === 'capacity' ? 60 : 6),
    rerankImages: opts.rerankImages ?? (q ? 300 : 3000),
    secondSeedBefore: opts.secondSeedBefore ?? 38,
    hostSearchLatency: opts.hostSearchLatency ?? 'network',
    hostLineMargin: opts.hostLineMargin ?? 0.85,
  };
  const recipe = {
    optimizer: 'adam',
    lr: 2e-3,
    schedule: 'cosine',
    batchSize: 64,
    epochs: o.retrainEpochs,
    images: o.retrainImages,
    standardize: true,
    augment: 'none',
    workers: 1,
  } as const;
  const spaceOpts: Mbv2SpaceOptions = opts.space === 'mbv2-mbnet' ? MBV2_MBNET : MBV2_MICRO;
  const result: Record<string, unknown> = { options: o, recipe, space: spaceOpts, loadAvgStart: loadavg() };
  const save = (): void => writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const t0 = performance.now();
  const minutes = (): number => Math.round((performance.now() - t0) / 600) / 100;

  await initEngine();
  const ds: LoadedDataset = await loadDataset('fashion-mnist', {
    standardize: true,
    limit: { train: Math.max(o.searchImages, o.retrainImages), val: o.valImages },
  });
  const sub = (s: Split, n: number): Split => {
    const per = s.x.length / s.n;
    const k = Math.min(n, s.n);
    return { x: s.x.subarray(0, k * per), y: s.y.subarray(0, k), n: k };
  };
  const searchData: LoadedDataset = { ...ds, train: sub(ds.train, o.searchImages) };
  const space = mbv2Space(spaceOpts);
  const refGraph = zooGraph(REF);
  const objectives: Objective[] = [
    { name: 'accuracy', direction: 'maximize' },
    { name: 'latency_ms', direction: 'minimize' },
  ];

  // Reference latencies and the lines.
  const bitfusion = getTarget('bitfusion-edge');
  const host = getTarget('host-cpu');
  const refBitfusion = bitfusion.networkCost(refGraph, defaultPolicy(bitfusion)).latencyMs;
  const refHost = (await measureNetwork(refGraph, { repeats: 1000, rounds: 3, quantile: HOST_QUANTILE })).latencyMs;
  const lines: Record<string, number> = { 'bitfusion-edge': refBitfusion / o.speedup, 'host-cpu': refHost / o.speedup };
  result.reference = {
    model: REF,
    ...graphTotals(refGraph),
    latencyMs: { 'bitfusion-edge': refBitfusion, 'host-cpu (search-time measurement)': refHost },
    lines,
  };
  log(`mbnet32: bitfusion-edge ${refBitfusion.toFixed(5)} ms, host-cpu ${refHost.toFixed(5)} ms; lines ${JSON.stringify(lines)}`);
  save();

  // Cost-only share of uniform points under each line (bitfusion: 1000 points; host: 40 timed points).
  const rng = new Rng(5);
  const pts = Array.from({ length: 1000 }, () => space.fromParams(space.space.sample(rng)));
  const bfLat = pts.map((a) => bitfusion.networkCost(space.graph(a), defaultPolicy(bitfusion)).latencyMs);
  const hostLat: number[] = [];
  for (const a of pts.slice(0, 40)) hostLat.push((await measureNetwork(space.graph(a), { repeats: 50, quantile: HOST_QUANTILE })).latencyMs);
  const share = (v: number[], line: number): number => v.filter((x) => x <= line).length / v.length;
  result.uniformShareUnderLine = {
    'bitfusion-edge': share(bfLat, lines['bitfusion-edge'] as number),
    'host-cpu': share(hostLat, lines['host-cpu'] as number),
    samples: { 'bitfusion-edge': 1000, 'host-cpu': 40 },
  };
  log(`uniform share under the line: ${JSON.stringify(result.uniformShareUnderLine)}`);
  save();

  // One supernet for both searches.
  let sn: Supernet | undefined;
  if (opts.supernetCache && existsSync(opts.supernetCache)) {
    const cached = loadModel(opts.supernetCache);
    sn = new Supernet({ space: { ...spaceOpts, inChannels: 1, classes: 10 } }, 0);
    for (const [k, w] of cached.weights) sn.weights.set(k, w);
    sn.steps = o.supernetSteps;
    result.supernet = { cached: opts.supernetCache };
    log(`supernet loaded from ${opts.supernetCache}`);
  }
  const evaluators: Record<string, ReturnType<typeof supernetEvaluator>> = {};
  const searches: Record<string, unknown> = {};
  result.searches = searches;
  const prior = opts.finalistsFrom ? (JSON.parse(readFileSync(opts.finalistsFrom, 'utf8')) as { searches?: Record<string, unknown> }) : undefined;
  if (prior) {
    Object.assign(searches, prior.searches ?? {});
    result.finalistsFrom = opts.finalistsFrom;
    log(`finalists from ${opts.finalistsFrom}`);
  }
  const searched = opts.targets ?? (['bitfusion-edge', 'host-cpu'] as const);
  if (!prior && opts.search === 'capacity') {
    for (const tname of searched) {
      const ts = performance.now();
      const target: HardwareTarget = tname === 'host-cpu' ? host : bitfusion;
      const pol = defaultPolicy(target);
      // bitfusion-edge: its analytical model. host-cpu, `model`: the per-kernel table (cheap after each kernel's first
      // measurement), line = mbnet32 under the same model / speedup. host-cpu, `network` (default): whole networks,
      // each candidate interleaved run by run with mbnet32 as the anchor (the machine's speed drifts by 20-40% over
      // seconds, so only paired timings compare); the line is mbnet32's own timing / speedup, lowered by
      // `hostLineMargin` so that the finalists stay under it whichever state the machine is in at the end.
      const network = tname === 'host-cpu' && o.hostSearchLatency === 'network';
      const latOpts: ArchLatencyOptions = network ? { mode: 'network', anchor: refGraph, repeats: o.searchRepeats, quantile: HOST_QUANTILE } : {};
      const latency = async (a: Mbv2Arch): Promise<number> => (await archLatencyMs(target, space.graph(a), pol, latOpts)).latencyMs;
      let line = lines[tname] as number;
      if (network) line = ((await anchorLatencyMs(host, refGraph, HOST_QUANTILE)) / o.speedup) * o.hostLineMargin;
      else if (tname === 'host-cpu') line = (await archLatencyMs(host, refGraph, pol)).latencyMs / o.speedup;
      const strata = (await capacitySearch(space, { latency, line, perStratum: o.perStratum }, new Rng(1))).picks;
      const picked = strata.slice(0, o.winners).map((x) => x.arch);
      searches[tname] = {
        method: 'capacity',
        latency: tname === 'host-cpu' ? o.hostSearchLatency : 'model',
        line,
        minutes: Math.round((performance.now() - ts) / 600) / 100,
        strata,
        picked,
      };
      log(`${tname}: capacity search, ${strata.length} strata with feasible points; picked ${picked.join('  ')}`);
      save();
    }
  }
  for (const tname of prior || opts.search === 'capacity' ? [] : searched) {
    const target: HardwareTarget = tname === 'host-cpu' ? host : bitfusion;
    const ev = supernetEvaluator({
      space,
      dataset: searchData,
      target,
      objectives,
      steps: o.supernetSteps,
      seed: 0,
      calibSamples: 256,
      maxLatencyMs: lines[tname] as number,
      ...(tname === 'host-cpu' ? { latency: { mode: 'network' as const, repeats: o.searchRepeats, quantile: HOST_QUANTILE } } : {}),
      ...(sn ? { supernet: sn } : {}),
      onTrainStep: (p) => {
        if (p.step % 100 === 0) log(`supernet step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}`);
      },
    });
    evaluators[tname] = ev;
    const evaluate = evaluators[tname] as ReturnType<typeof supernetEvaluator>;
    if (!sn) {
      const ts = performance.now();
      sn = await ev.supernet();
      if (opts.supernetCache) saveModel({ graph: sn.graph(largestArch(sn.spec)), weights: sn.weights }, opts.supernetCache);
      result.supernet = { steps: o.supernetSteps, images: o.searchImages, batchSize: 64, lr: 2e-3, minutes: Math.round((performance.now() - ts) / 600) / 100 };
      log(`supernet trained in ${(result.supernet as { minutes: number }).minutes} min`);
      save();
    }
    const { strategy } = await createNasStrategy('nsga2', space, { budget: o.budget, seed: 0 });
    const ts = performance.now();
    const r = await runNas({
      space,
      objectives,
      strategy,
      evaluate,
      budget: o.budget,
      seed: 1,
      onProgress: (p) => {
        if (p.done % 20 === 0) log(`${tname}: ${p.done}/${p.total} trials`);
      },
    });
    const line = lines[tname] as number;
    // Host timings are noisy: finalists must be clearly under the line (5% margin) in the search.
    const margin = tname === 'host-cpu' ? 0.95 : 1;
    const feasible = r.trials
      .filter((t) => (t.values.latency_ms as number) <= line * margin)
      .sort((a, b) => (b.values.accuracy as number) - (a.values.accuracy as number));
    let picked: string[] = [];
    for (const t of feasible) if (!picked.includes(t.arch) && picked.length < o.winners) picked.push(t.arch);
    let rerank: unknown;
    if (o.rerank) {
      // Pool: the search's feasible trials plus `perStratum` feasible random points per (width, input) stratum, supernet-scored.
      const pool = new Map<string, { arch: string; accuracy: number; latencyMs: number }>();
      for (const t of feasible) pool.set(t.arch, { arch: t.arch, accuracy: t.values.accuracy as number, latencyMs: t.values.latency_ms as number });
      const srng = new Rng(tname === 'host-cpu' ? 12 : 11);
      const ctx = { studyName: 'rerank', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => {} };
      for (const width of spaceOpts.widths) {
        for (const input of spaceOpts.inputSizes) {
          let found = 0;
          for (let k = 0; k < o.perStratum * 4 && found < o.perStratum; k++) {
            const p = { ...space.space.sample(srng), width, input };
            const arch = space.format(space.fromParams(p));
            if (pool.has(arch)) continue;
            const g = space.graph(space.parse(arch));
            // cheap pre-filter before the supernet scoring (host: a short timing, 10% slack)
            if (tname === 'bitfusion-edge' && bitfusion.networkCost(g, defaultPolicy(bitfusion)).latencyMs > line) continue;
            if (tname === 'host-cpu' && (await measureNetwork(g, { repeats: 20, rounds: 1, quantile: HOST_QUANTILE })).latencyMs > line * margin * 1.1)
              continue;
            const e = await evaluate(p, ctx);
            const lat = e.values[1] as number;
            if (lat > line * margin) continue;
            pool.set(arch, { arch, accuracy: e.values[0] as number, latencyMs: lat });
            found++;
          }
        }
      }
      const best = new Map<string, { arch: string; accuracy: number; latencyMs: number }>();
      for (const c of pool.values()) {
        const a = space.parse(c.arch);
        const key = `r${a.inputSize}-w${a.width}`;
        if ((best.get(key)?.accuracy ?? -1) < c.accuracy) best.set(key, c);
      }
      const rows: { arch: string; stratum: string; supernetAccuracy: number; latencyMs: number; shortTrainAccuracy: number }[] = [];
      const shortTrain = sub(ds.train, o.rerankImages);
      for (const [stratum, c] of best) {
        const a = space.parse(c.arch);
        const g = space.graph(a);
        const em = buildModel({ graph: g, weights: initWeights(g, new Rng(7)) });
        try {
          await train(em, resizeSplit(shortTrain, ds.shape, a.inputSize), { epochs: 1, batchSize: 64, lr: 2e-3, seed: 7, workers: 1 });
          const v = resizeSplit(ds.val, ds.shape, a.inputSize);
          rows.push({ arch: c.arch, stratum, supernetAccuracy: c.accuracy, latencyMs: c.latencyMs, shortTrainAccuracy: em.evaluate(v.x, v.y, v.n).accuracy });
        } finally {
          em.dispose();
        }
      }
      rows.sort((x, y) => y.shortTrainAccuracy - x.shortTrainAccuracy);
      picked = rows.slice(0, o.winners).map((x) => x.arch);
      rerank = { poolSize: pool.size, strata: rows };
      log(
        `${tname}: re-ranked ${rows.length} strata by short training: ${rows.map((x) => `${x.stratum} ${(x.shortTrainAccuracy * 100).toFixed(1)}%`).join(', ')}`,
      );
    }
    searches[tname] = {
      ...(rerank ? { rerank } : {}),
      minutes: Math.round((performance.now() - ts) / 600) / 100,
      trials: r.trials.length,
      feasible: feasible.length,
      failed: r.failed,
      pareto: r.pareto.map((t) => ({ arch: t.arch, ...t.values })),
      topFeasible: feasible.slice(0, 8).map((t) => ({ arch: t.arch, ...t.values })),
      picked,
    };
    log(`${tname}: ${feasible.length}/${r.trials.length} feasible; picked ${picked.join('  ')}`);
    save();
  }

  // Retrain finalists and mbnet32 with one recipe.
  const finalists: { name: string; arch: string; graph: Graph }[] = [{ name: 'mbnet32', arch: REF, graph: refGraph }];
  for (const tname of ['bitfusion-edge', 'host-cpu']) {
    for (const [i, arch] of ((searches[tname] as { picked?: string[] } | undefined)?.picked ?? []).entries()) {
      const have = finalists.find((f) => f.arch === arch);
      if (have) have.name += `,${tname}#${i + 1}`;
      else finalists.push({ name: `${tname}#${i + 1}`, arch, graph: space.graph(space.parse(arch)) });
    }
  }
  const retrainSplit = sub(ds.train, o.retrainImages);
  const retrained: Retrained[] = finalists.map((f) => ({ name: f.name, arch: f.arch, ...graphTotals(f.graph), accuracy: {}, trainSeconds: {} }));
  result.retrained = retrained;
  for (const [si, seed] of o.seeds.entries()) {
    if (si > 0 && minutes() > o.secondSeedBefore) {
      result.skippedSeeds = o.seeds.slice(si);
      log(`seeds ${o.seeds.slice(si).join(',')} skipped: ${minutes()} min elapsed`);
      break;
    }
    for (const [i, f] of finalists.entries()) {
      const size = f.graph.nodes[0]?.op === 'input' ? (f.graph.nodes[0].shape[1] as number) : 28;
      const trainData = resizeSplit(retrainSplit, ds.shape, size);
      const testData = resizeSplit(ds.test, ds.shape, size);
      const em = buildModel({ graph: f.graph, weights: initWeights(f.graph, new Rng(seed)) });
      const ts = performance.now();
      try {
        await train(em, trainData, {
          epochs: recipe.epochs,
          batchSize: recipe.batchSize,
          optimizer: recipe.optimizer,
          lr: recipe.lr,
          schedule: recipe.schedule,
          seed,
          workers: 1,
        });
        const acc = em.evaluate(testData.x, testData.y, testData.n).accuracy;
        const r = retrained[i] as Retrained;
        r.accuracy[String(seed)] = acc;
        r.trainSeconds[String(seed)] = Math.round((performance.now() - ts) / 100) / 10;
        log(`retrain seed ${seed} ${f.name} ${f.arch}: test accuracy ${(acc * 100).toFixed(2)}% (${r.trainSeconds[String(seed)]} s, t=${minutes()} min)`);
      } finally {
        em.dispose();
      }
      save();
    }
  }

  // Final latencies: bitfusion from the model; host interleaved rounds.
  const loadBefore = loadavg();
  const rounds: number[][] = finalists.map(() => []);
  const roundMedians: number[][] = finalists.map(() => []);
  for (let r = 0; r < o.finalRounds; r++) {
    const ms = await measureNetworks(
      finalists.map((f) => f.graph),
      { repeats: o.finalRepeats, seed: r, quantile: HOST_QUANTILE },
    );
    for (const [i, m] of ms.entries()) {
      (rounds[i] as number[]).push(m.latencyMs);
      (roundMedians[i] as number[]).push(m.medianMs);
    }
  }
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  };
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const hostMs = rounds.map(median);
  const bfMs = finalists.map((f) => bitfusion.networkCost(f.graph, defaultPolicy(bitfusion)).latencyMs);
  const ref = retrained[0] as Retrained;
  const refAcc = mean(Object.values(ref.accuracy));
  const table = retrained.map((r, i) => {
    const acc = mean(Object.values(r.accuracy));
    const speed = { 'bitfusion-edge': (bfMs[0] as number) / (bfMs[i] as number), 'host-cpu': (hostMs[0] as number) / (hostMs[i] as number) };
    return {
      name: r.name,
      arch: r.arch,
      macs: r.macs,
      params: r.params,
      accuracyBySeed: r.accuracy,
      accuracyMean: acc,
      bitfusionMs: bfMs[i],
      hostMs: hostMs[i],
      hostRoundQ10: rounds[i],
      hostMedianMs: median(roundMedians[i] as number[]),
      speedup: speed,
      dominatesOn: i === 0 ? [] : (['bitfusion-edge', 'host-cpu'] as const).filter((t) => acc >= refAcc && speed[t] >= o.speedup),
    };
  });
  result.final = { table, loadAvgBeforeHostTiming: loadBefore, loadAvgAfter: loadavg(), minutes: minutes() };
  const pickedOn = (t: string): string | undefined => JSON.stringify((searches[t] as { picked?: string[] } | undefined)?.picked);
  const winnersDiffer =
    pickedOn('bitfusion-edge') !== undefined && pickedOn('host-cpu') !== undefined
      ? pickedOn('bitfusion-edge') !== pickedOn('host-cpu')
      : 'one target searched';
  result.summary = {
    mbnet32Accuracy: refAcc,
    dominating: Object.fromEntries(
      ['bitfusion-edge', 'host-cpu'].map((t) => [t, table.filter((r) => r.dominatesOn.includes(t as 'bitfusion-edge')).map((r) => r.name)]),
    ),
    winnersDiffer,
  };
  save();
  log(`done in ${minutes()} min`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { arg, num, has, nums, pick } = benchFlags();
  const out = arg('--out');
  const seeds = nums('--seeds');
  const r = await benchNasMbv2({
    quick: has('--quick'),
    ...(out ? { out } : {}),
    ...(seeds ? { seeds } : {}),
    ...pick('budget', num('--budget')),
    ...pick('supernetSteps', num('--steps')),
    ...pick('retrainImages', num('--retrain-images')),
    ...pick('retrainEpochs', num('--retrain-epochs')),
    ...pick('searchImages', num('--search-images')),
    ...pick('winners', num('--winners')),
    ...pick('perStratum', num('--per-stratum')),
    ...pick('hostLineMargin', num('--host-line-margin')),
    ...pick('rerankImages', num('--rerank-images')),
    ...pick('secondSeedBefore', num('--second-seed-before')),
    ...(has('--no-rerank') ? { rerank: false } : {}),
    ...(arg('--supernet-cache') ? { supernetCache: arg('--supernet-cache') as string } : {}),
    ...(arg('--finalists-from') ? { finalistsFrom: arg('--finalists-from') as string } : {}),
    ...(arg('--space') ? { space: arg('--space') as 'mbv2-micro' | 'mbv2-mbnet' } : {}),
    ...(arg('--search') ? { search: arg('--search') as 'supernet' | 'capacity' } : {}),
    ...(arg('--host-search-latency') ? { hostSearchLatency: arg('--host-search-latency') as 'network' | 'model' } : {}),
    ...(arg('--targets') ? { targets: (arg('--targets') as string).split(',') as ('bitfusion-edge' | 'host-cpu')[] } : {}),
  });
  console.log(JSON.stringify({ summary: r.summary, final: r.final }, null, 2));
}
