/**
 * Validation of the topology-based resilience predictor (issue 14): for 35 (network, policy) pairs
 * (mbnet32 and six seeded mbv2-micro samples, each under fp32, w8a8, w6a8, w4a8 and a seeded mixed
 * 4/6/8-bit policy), the accuracy drop measured by weight bit-flip injection at one BER (onnxruntime,
 * `trials` runs on the first `images` Fashion-MNIST test images) against the predictor's score, which is
 * computed from the graph, the policy and the weights' value ranges only (it is not fitted to these
 * measurements). Kendall's tau-b is reported over all pairs and per group of runs with disjoint seeds.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/resilience-models.js && node dist/bench/resilience-predictor.js [--ber 1e-4] [--trials 12] [--images 1000] [--out r.json]`
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadDataset } from '../src/data/load.js';
import { policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import type { PrecisionPolicy } from '../src/ir/precision.js';
import { inputNode } from '../src/ir/shapes.js';
import { quantizableLayers } from '../src/ir/workload.js';
import { runFaultCampaign } from '../src/resilience/campaign.js';
import { kendallTau } from '../src/resilience/metrics.js';
import { predictResilience } from '../src/resilience/predictor.js';
import { Rng } from '../src/util/rng.js';
import { resilienceModels } from './resilience-models.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const ber = Number(arg('--ber', '1e-4'));
const trials = Number(arg('--trials', '12'));
const groups = 3;
const images = Number(arg('--images', '1000'));
const out = arg('--out', '/tmp/hwnas-resilience/predictor.json');
const models = await resilienceModels({
  dir: arg('--dir', '/tmp/hwnas-resilience'),
  limit: 8000,
  archs: 6,
  mbnetEpochs: 2,
  log: (s) => process.stderr.write(s),
});
const data = new Map<string, Awaited<ReturnType<typeof loadDataset>>>();
const rows: Record<string, unknown>[] = [];
const t0 = performance.now();
let mi = 0;
for (const [name, model] of models) {
  const shape = inputNode(model.graph).shape;
  const key = `${shape[0]}x${shape[1]}`;
  if (!data.has(key))
    data.set(key, await loadDataset('fashion-mnist', { size: shape[1] as number, channels: shape[0] as number, limit: { train: 512, test: images } }));
  const ds = data.get(key) as Awaited<ReturnType<typeof loadDataset>>;
  const nl = quantizableLayers(model.graph).length;
  const rng = new Rng(100 + mi);
  const mixedW = Array.from({ length: nl }, () => rng.choice([4, 6, 8]));
  const policies: PrecisionPolicy[] = [
    uniformPolicy(32, 32, 'fp32'),
    uniformPolicy(8, 8),
    uniformPolicy(6, 8),
    uniformPolicy(4, 8),
    policyFromVectors(model.graph, mixedW, new Array<number>(nl).fill(8), 'mixed'),
  ];
  for (const policy of policies) {
    // `groups` campaigns with disjoint seeds; the pooled drop is their mean (equal trials per group)
    const groupDrops: number[] = [];
    let baseline = 0;
    for (let g = 0; g < groups; g++) {
      const rg = await runFaultCampaign({
        model,
        policy,
        data: ds.test,
        calibration: ds.train,
        bers: [ber],
        sites: ['weights'],
        trials: Math.max(1, Math.floor(trials / groups)),
        seed: 1000 + g,
        layerTrials: 0,
      });
      baseline = rg.baselineAccuracy;
      groupDrops.push(rg.baselineAccuracy - (rg.results[0]?.meanAccuracy ?? Number.NaN));
    }
    const drop = groupDrops.reduce((a, b) => a + b, 0) / groups;
    const pred = predictResilience(model.graph, policy, ber, model.weights);
    rows.push({
      model: name,
      policy: policy.name,
      baseline,
      drop,
      groupDrops,
      score: pred.score,
      catastrophicHits: pred.catastrophicHits,
    });
    process.stderr.write(
      `${name} ${policy.name}: baseline ${(baseline * 100).toFixed(2)}% drop ${(drop * 100).toFixed(2)} pp, score ${pred.score.toExponential(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
  }
  mi++;
}
const drops = rows.map((r) => r.drop as number);
const scores = rows.map((r) => r.score as number);
const tauAll = kendallTau(scores, drops);
const tauGroups = Array.from({ length: groups }, (_, g) =>
  kendallTau(
    scores,
    rows.map((r) => (r.groupDrops as number[])[g] as number),
  ),
);
const intRows = rows.filter((r) => r.policy !== 'fp32');
const tauInt = kendallTau(
  intRows.map((r) => r.score as number),
  intRows.map((r) => r.drop as number),
);
const result = {
  date: new Date().toISOString(),
  ber,
  trials,
  images,
  pairs: rows.length,
  tau: tauAll,
  tauPerSeedGroup: tauGroups,
  tauQuantizedOnly: tauInt,
  seconds: (performance.now() - t0) / 1000,
  loadavg: loadavg(),
  rows,
};
writeFileSync(out, JSON.stringify(result, null, 2));
process.stdout.write(`${JSON.stringify({ ...result, rows: undefined }, null, 2)}\n`);
