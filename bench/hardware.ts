/**
 * Hardware cost-model figures (issue 3):
 * - speed: evaluations per second of a 53-layer network (MobileNetV2) under a new precision policy on each
 *   analytical target, through the allocation-free `evaluate` fast path (target: >= 100,000/s);
 * - host-cpu: random networks (the zoo's building blocks, `randomNet`, and the NAS space `mbv2Space`) measured
 *   with onnxruntime-node: every runtime kernel (conv+bn+act, + residual add+act, as ORT fuses them) timed as one
 *   single-unit ONNX model with ORT's profiler, the whole network by wall clock. Errors against the whole
 *   network of: the naive sum of single-node runs, the fusion model (Σ measured kernels + run overhead), and
 *   the fusion model with the kernel->network composition fitted on the training networks;
 * - predictor fidelity: gradient-boosted trees fitted on the kernels of the training networks (>= 300), evaluated
 *   on held-out networks: per kernel, and whole networks (nn-Meter's metric: share within ±10%) with Kendall tau;
 * - noise: every network measured in two full passes (kernels and network) and a third network-only pass, minutes
 *   apart; kernel times are the lower of two passes, network references the lowest of three (contention only slows
 *   runs down), and the pass-to-pass disagreement is reported as the noise floor any model is judged against.
 * Run pinned, with priority: `npx tsc -p tsconfig.json && taskset -c 0 node dist/bench/hardware.js [--quick]`.
 */
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { fitHostComposition, type HostMeasurement, measureHost, measureNetwork } from '../src/hardware/host.js';
import { parseLayerKey } from '../src/hardware/layer-key.js';
import {
  composeNetwork,
  fitComposition,
  fitMetrics,
  fitPredictor,
  type LatencySample,
  networkKernels,
  plainComposition,
  predictLatency,
  predictNetwork,
} from '../src/hardware/predictor.js';
import { prepareNetwork } from '../src/hardware/prepared.js';
import { getTarget } from '../src/hardware/registry.js';
import { randomNet } from '../src/hardware/testing/random-nets.js';
import { costSummary } from '../src/hardware/types.js';
import type { Graph } from '../src/ir/types.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { MBV2_SMALL, mbv2Space } from '../src/search/spaces/mbv2.js';
import { Rng } from '../src/util/rng.js';

/** Evaluations per second of each analytical target on MobileNetV2 (53 conv/dense layers). */
function speed(ms: number): Record<string, unknown> {
  const g = zooGraph('zoo:mobilenet-v2?size=224');
  const net = prepareNetwork(g);
  const L = net.layerNode.length;
  const rng = new Rng(1);
  const out: Record<string, unknown> = { network: 'mobilenet-v2', layers: L, nodes: net.n };
  for (const name of ['bitfusion-edge', 'bismo-cloud', 'systolic', 'systolic?dataflow=ws&rows=32&cols=32', 'cortex-a76', 'edge-tpu', 'a100']) {
    const t = getTarget(name);
    const bits = t.supportedBits.weight.filter((b) => b <= 8 && t.supportedBits.act.includes(b));
    const wb = Int32Array.from({ length: L }, () => rng.choice(bits));
    const ab = Int32Array.from({ length: L }, () => rng.choice(bits));
    const s = costSummary();
    let n = 0;
    let acc = 0;
    t.evaluate(net, wb, ab, s);
    const t0 = performance.now();
    let now = t0;
    while (now - t0 < ms) {
      for (let k = 0; k < 1000; k++) {
        // a search step: change one layer's bits, evaluate
        const l = (n + k) % L;
        wb[l] = bits[(n + k) % bits.length] as number;
        acc += t.evaluate(net, wb, ab, s).latencyMs;
      }
      n += 1000;
      now = performance.now();
    }
    out[name] = { evalsPerSec: Math.round((n / (now - t0)) * 1000), checksum: acc > 0 };
  }
  return out;
}

/** Random networks: two of three from the zoo's blocks (randomNet), one of three from the NAS space mbv2Space. */
function randomNets(seed: number, n: number): Graph[] {
  const rng = new Rng(seed);
  const space = mbv2Space({ ...MBV2_SMALL, name: 'mbv2-bench', inputSizes: [32, 64, 96], inChannels: 3 });
  return Array.from({ length: n }, (_, i) =>
    i % 3 === 2
      ? { ...space.graph(space.fromParams(space.space.sample(rng) as Record<string, never>)), name: `mbv2_${i}` }
      : randomNet(rng, `rand${i}`, { sizes: [32, 48, 64] }),
  );
}

const rel = (p: number, m: number): number => (p - m) / m;
const mape = (xs: readonly number[]): number => xs.reduce((a, b) => a + Math.abs(b), 0) / Math.max(1, xs.length);
const within = (xs: readonly number[], t: number): number => xs.filter((x) => Math.abs(x) <= t).length / Math.max(1, xs.length);
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Run the hardware benchmark. */
export async function benchHardware(opts: { quick?: boolean } = {}): Promise<object> {
  const quick = opts.quick ?? false;
  const result: Record<string, unknown> = {};
  result.speed = speed(quick ? 300 : 1000);
  try {
    setPriority(0, -10); // measurement process ahead of niced background jobs (needs privileges; else unchanged)
    result.priority = -10;
  } catch {
    result.priority = 'unchanged (no permission)';
  }
  const nTrain = quick ? 12 : 60;
  const nTest = quick ? 6 : 30;
  const nNaive = quick ? 3 : 10;
  // the minimum over many runs (spread over 5 round-robin passes) estimates the uncontended latency on a shared machine
  const quantile = 0;
  const mOpts = { budgetMs: quick ? 8 : 15, quantile, rounds: 5 };
  const nets = randomNets(2026, nTrain + nTest);
  const t0 = performance.now();
  // two full passes (kernels and network), minutes apart, then a third network-only pass: contention only ever slows
  // runs down, so each kernel's time is the lower of its two passes and each network's the lowest of three
  const first: HostMeasurement[] = [];
  for (let i = 0; i < nets.length; i++) first.push(await measureHost(nets[i] as Graph, { ...mOpts, seed: i, perNode: i >= nTrain && i < nTrain + nNaive }));
  const second: HostMeasurement[] = [];
  for (let i = 0; i < nets.length; i++) second.push(await measureHost(nets[i] as Graph, { ...mOpts, seed: i, perNode: false }));
  const again: number[] = [];
  for (let i = 0; i < nets.length; i++) again.push((await measureNetwork(nets[i] as Graph, { ...mOpts, seed: i })).latencyMs);
  const measureSeconds = (performance.now() - t0) / 1000;
  const measured: HostMeasurement[] = first.map((a, i) => {
    const b = second[i] as HostMeasurement;
    return { ...a, kernels: a.kernels.map((k, j) => ({ ...k, netMs: Math.min(k.netMs, b.kernels[j]?.netMs ?? k.netMs) })) };
  });
  const truth = measured.map((m, i) => Math.min(m.network.latencyMs, (second[i] as HostMeasurement).network.latencyMs, again[i] as number));
  const noise = first.slice(nTrain).map((m, i) => rel((second[nTrain + i] as HostMeasurement).network.latencyMs, m.network.latencyMs));
  const kernelNoise: number[] = [];
  for (let i = nTrain; i < nets.length; i++) {
    const a = first[i] as HostMeasurement;
    const b = second[i] as HostMeasurement;
    a.kernels.forEach((k, j) => {
      const k2 = b.kernels[j];
      if (k2 && k.netMs >= 0.05) kernelNoise.push(rel(k2.netMs, k.netMs));
    });
  }
  const train = measured.slice(0, nTrain);
  const test = measured.slice(nTrain);
  const testNets = nets.slice(nTrain);
  const trainNets = nets.slice(0, nTrain);
  const testTruth = truth.slice(nTrain);
  // kernel -> network composition, fitted on the training networks' measured kernels
  const kernelMB = (g: Graph): number[] => networkKernels(g).map((k) => k.mbytes);
  const comp = fitComposition(
    train.map((m, i) => ({ kernelMs: m.kernels.map((k) => k.netMs), kernelMBytes: kernelMB(trainNets[i] as Graph), measuredMs: truth[i] as number })),
  );
  const plain = test.map((m, i) =>
    rel(
      composeNetwork(
        plainComposition(m.networkIoMs),
        m.kernels.map((k) => k.netMs),
        kernelMB(testNets[i] as Graph),
      ),
      testTruth[i] as number,
    ),
  );
  const fitted = test.map((m, i) =>
    rel(
      composeNetwork(
        comp,
        m.kernels.map((k) => k.netMs),
        kernelMB(testNets[i] as Graph),
      ),
      testTruth[i] as number,
    ),
  );
  // the host-cpu target's own composition (scale + overhead, fitHostComposition), fitted on the training networks
  const hostComp = fitHostComposition(train.map((m, i) => ({ kernelSumMs: m.kernels.reduce((a, k) => a + k.netMs, 0), networkMs: truth[i] as number })));
  const hostFitted = test.map((m, i) => rel(hostComp.kernelScale * m.kernels.reduce((a, k) => a + k.netMs, 0) + hostComp.fixedMs, testTruth[i] as number));
  const naive = test.slice(0, nNaive).map((m, i) => rel(m.sumOfLayersMs, testTruth[i] as number));
  const sorted = [...testTruth].sort((a, b) => a - b);
  result.host = {
    statistic: 'min over runs (5 interleaved rounds); kernel = lower of 2 passes; network reference = lowest of 3 passes',
    budgetMsPerUnit: mOpts.budgetMs,
    measureSeconds: Math.round(measureSeconds),
    nets: nets.length,
    kernelsMeasured: measured.reduce((s, m) => s + m.kernels.length, 0),
    heldOutNetworkMs: {
      min: r3(sorted[0] as number),
      median: r3(sorted[Math.floor(sorted.length / 2)] as number),
      max: r3(sorted[sorted.length - 1] as number),
    },
    repeatability: {
      nets: nTest,
      networkPass1VsPass2: { mape: r3(mape(noise)), within5: r3(within(noise, 0.05)), within10: r3(within(noise, 0.1)) },
      kernelsOver50usPass1VsPass2: { n: kernelNoise.length, mape: r3(mape(kernelNoise)), within10: r3(within(kernelNoise, 0.1)) },
    },
    sumOfLayers: {
      nets: nNaive,
      mape: r3(mape(naive)),
      within10: r3(within(naive, 0.1)),
      fusionModelOnSameNets: r3(mape(plain.slice(0, nNaive))),
      fittedFusionOnSameNets: r3(mape(fitted.slice(0, nNaive))),
    },
    fusionModel: { nets: nTest, mape: r3(mape(plain)), within10: r3(within(plain, 0.1)), meanSignedError: r3(plain.reduce((a, b) => a + b, 0) / plain.length) },
    hostTargetComposition: {
      nets: nTest,
      composition: { kernelScale: Number(hostComp.kernelScale.toPrecision(4)), fixedMs: Number(hostComp.fixedMs.toPrecision(4)) },
      mape: r3(mape(hostFitted)),
      within10: r3(within(hostFitted, 0.1)),
      meanSignedError: r3(hostFitted.reduce((a, b) => a + b, 0) / hostFitted.length),
    },
    fusionModelFittedComposition: {
      nets: nTest,
      composition: Object.fromEntries(Object.entries(comp).map(([k, v]) => [k, Number(v.toPrecision(4))])),
      mape: r3(mape(fitted)),
      within10: r3(within(fitted, 0.1)),
    },
  };
  // learned predictor on kernels of the training networks
  const floor = 0.001;
  const samples = (ms: readonly HostMeasurement[]): LatencySample[] =>
    ms.flatMap((m) => m.kernels.map((k) => ({ layer: parseLayerKey(k.key), post: k.post, latencyMs: Math.max(floor, k.netMs) })));
  const trainSamples = samples(train);
  const testSamples = samples(test);
  const fitT0 = performance.now();
  const model = fitPredictor(
    trainSamples,
    { rounds: 400, seed: 1, maxDepth: 6, minLeaf: 2, learningRate: 0.08 },
    { device: measured[0]?.device ?? 'host-cpu', fused: 1, ...comp },
  );
  const fitMs = performance.now() - fitT0;
  const big = testSamples.filter((s) => s.latencyMs >= 0.05);
  const netPred = testNets.map((g) => predictNetwork(model, g, comp));
  const netErr = netPred.map((p, i) => rel(p, testTruth[i] as number));
  const vsFirst = netPred.map((p, i) => rel(p, (test[i] as HostMeasurement).network.latencyMs));
  const vsSecond = netPred.map((p, i) => rel(p, (second[nTrain + i] as HostMeasurement).network.latencyMs));
  result.predictor = {
    model: 'gbdt on log(kernel time / work), 400 rounds, depth 6, lr 0.08, subsample 0.8; layer features + fused bn/act/add + padded work',
    trainNets: nTrain,
    testNets: nTest,
    trainKernels: trainSamples.length,
    fitMs: Math.round(fitMs),
    kernelHeldOut: fitMetrics(
      testSamples.map((s) => s.latencyMs),
      testSamples.map((s) => predictLatency(model, s.layer, s.post)),
    ),
    kernelHeldOutOver50us: fitMetrics(
      big.map((s) => s.latencyMs),
      big.map((s) => predictLatency(model, s.layer, s.post)),
    ),
    networkHeldOut: { ...fitMetrics(testTruth, netPred), within5: within(netErr, 0.05), meanSignedError: netErr.reduce((a, b) => a + b, 0) / netErr.length },
    networkHeldOutVsFirstMeasurementOnly: { mape: r3(mape(vsFirst)), within10: r3(within(vsFirst, 0.1)) },
    networkHeldOutVsSecondMeasurementOnly: { mape: r3(mape(vsSecond)), within10: r3(within(vsSecond, 0.1)) },
    networks: test.map((m, i) => ({
      name: m.graph,
      kernels: m.kernels.length,
      firstMs: r3(m.network.latencyMs),
      secondMs: r3((second[nTrain + i] as HostMeasurement).network.latencyMs),
      thirdMs: r3(again[nTrain + i] as number),
      fusionModelMs: r3(m.fusionModelMs),
      predictedMs: r3(netPred[i] as number),
      errorPct: Math.round((netErr[i] as number) * 1000) / 10,
    })),
  };
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchHardware({ quick: process.argv.includes('--quick') }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
