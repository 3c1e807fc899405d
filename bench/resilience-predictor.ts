/**
 * Validation of the topology-based resilience predictor (issue 14): for (network, policy) pairs, the accuracy
 * drop measured by weight bit-flip injection at one fixed BER (onnxruntime, `--trials` runs on the first
 * `--images` Fashion-MNIST test images) against the predictor's score, which is computed from the graph, the
 * policy and the weights' value ranges only (no injection). Kendall's tau-b is reported over all pairs, over the
 * quantized pairs only, per group of runs with disjoint seeds, and separately over the models named by
 * `--held-out` (networks the predictor was not tuned on).
 *
 * Networks: `mbnet32` and `--archs` seeded mbv2-micro samples (bench/resilience-models.ts; trained once and
 * cached in `--dir`). Policies (`--policies`): presets `fp32`, `wXaY`, and `mixed` (seeded 4/6/8-bit weights, 8-bit
 * activations, per network).
 *
 * The measurement is resumable: every finished pair is appended to `--out` at once, and a re-run skips the pairs
 * (same BER, trials, images) already there. `--score-only` re-scores the stored rows with the current predictor
 * (no injection), which is how a predictor change is checked against measurements it did not produce.
 * `--svg f.svg` writes the scatter plot (predicted score, log scale, vs measured drop).
 *
 * `--sampling stratified` (session 26) draws the faults with stratified counts and common random numbers across the
 * policies of a network (src/resilience/weight-faults.ts `injectStratifiedWeightFaults`): the per-pair noise of
 * "how many sign bits were hit" is gone, and the output reports the measurement's agreement with itself (seed group
 * vs seed group), the predictor's tau per seed group (mean and worst) and per network.
 *
 * Run: `npx tsc -p tsconfig.json && nice -n 10 node dist/bench/resilience-predictor.js --ber 3e-3 --trials 12 --fp32-trials 3 --images 1000 --policies fp32,w8a8,w6a8,w4a8,mixed --out /tmp/resil2/pred.json [--held-out arch3,arch4,arch5] [--svg docs/x.svg]`
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadDataset } from '../src/data/load.js';
import { policyFromVectors, uniformPolicy } from '../src/hardware/precision.js';
import type { PrecisionPolicy } from '../src/ir/precision.js';
import { inputNode } from '../src/ir/shapes.js';
import type { Model } from '../src/ir/types.js';
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

interface Row {
  model: string;
  file: string;
  policy: string;
  ber: number;
  trials: number;
  images: number;
  baseline: number;
  drop: number;
  groupDrops: number[];
  score: number;
  catastrophicHits: number;
  /** How faults were drawn (absent in rows written before session 26: independent). */
  sampling?: 'independent' | 'stratified';
}

const ber = Number(arg('--ber', '3e-3'));
const trials = Number(arg('--trials', '24'));
const groups = Number(arg('--groups', '3'));
// stratified: per (layer, bit rank) the expected hit count, common to every policy of a network (same seeds)
const sampling = arg('--sampling', 'independent') as 'independent' | 'stratified';
const seedBase = Number(arg('--seed', '1000'));
const images = Number(arg('--images', '1000'));
const archs = Number(arg('--archs', '6'));
// float32 runs at the BERs where integer drops are measurable all collapse (NaN/Inf logits): fewer runs suffice
const fp32Trials = Number(arg('--fp32-trials', String(trials)));
const out = arg('--out', '/tmp/hwnas-resilience/predictor.json');
const policyNames = arg('--policies', 'fp32,w8a8,w6a8,w4a8,w8a4,mixed').split(',');
const heldOut = new Set(arg('--held-out', '').split(',').filter(Boolean));
const only = new Set(arg('--models', '').split(',').filter(Boolean));
const scoreOnly = process.argv.includes('--score-only');
const svg = arg('--svg', '');

function policyFor(name: string, model: Model, mi: number): PrecisionPolicy {
  if (name === 'fp32') return uniformPolicy(32, 32, 'fp32');
  if (name === 'mixed') {
    const nl = quantizableLayers(model.graph).length;
    const rng = new Rng(100 + mi);
    const mixedW = Array.from({ length: nl }, () => rng.choice([4, 6, 8]));
    return policyFromVectors(model.graph, mixedW, new Array<number>(nl).fill(8), 'mixed');
  }
  const m = /^w(\d+)a(\d+)$/.exec(name);
  if (!m) throw new Error(`policy '${name}': expected fp32, mixed or wXaY`);
  return uniformPolicy(Number(m[1]), Number(m[2]));
}

const previous: Row[] = existsSync(out) ? ((JSON.parse(readFileSync(out, 'utf8')) as { rows?: Row[] }).rows ?? []) : [];
// a stored pair counts when it was measured at this BER with at least as many images and runs
const rows: Row[] = previous.filter(
  (r) =>
    (r.sampling ?? 'independent') === sampling &&
    r.groupDrops.length === groups &&
    r.ber === ber &&
    r.images >= images &&
    r.trials >= (r.policy === 'fp32' ? fp32Trials : trials),
);
const models = await resilienceModels({
  dir: arg('--dir', '/tmp/hwnas-resilience'),
  limit: 8000,
  archs,
  mbnetEpochs: 2,
  log: (s) => process.stderr.write(s),
});
const files = ['mbnet32', ...Array.from({ length: archs }, (_, i) => `arch${i}`)];
const data = new Map<string, Awaited<ReturnType<typeof loadDataset>>>();
const t0 = performance.now();
let mi = 0;
for (const [name, model] of models) {
  const file = files[mi] as string;
  const idx = mi++;
  if (only.size > 0 && !only.has(file)) continue;
  for (const pname of policyNames) {
    const policy = policyFor(pname, model, idx);
    const pred = predictResilience(model.graph, policy, ber, model.weights);
    const done = rows.find((r) => r.file === file && r.policy === pname);
    if (done) {
      done.score = pred.score;
      done.catastrophicHits = pred.catastrophicHits;
      continue;
    }
    if (scoreOnly) continue;
    const shape = inputNode(model.graph).shape;
    const key = `${shape[0]}x${shape[1]}`;
    if (!data.has(key))
      data.set(key, await loadDataset('fashion-mnist', { size: shape[1] as number, channels: shape[0] as number, limit: { train: 512, test: images } }));
    const ds = data.get(key) as Awaited<ReturnType<typeof loadDataset>>;
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
        trials: Math.max(1, Math.floor((pname === 'fp32' ? fp32Trials : trials) / groups)),
        seed: seedBase + g,
        layerTrials: 0,
        sampling,
      });
      baseline = rg.baselineAccuracy;
      groupDrops.push(rg.baselineAccuracy - (rg.results[0]?.meanAccuracy ?? Number.NaN));
    }
    const drop = groupDrops.reduce((a, b) => a + b, 0) / groups;
    rows.push({
      model: name,
      file,
      policy: pname,
      ber,
      trials: pname === 'fp32' ? fp32Trials : trials,
      images,
      baseline,
      drop,
      groupDrops,
      score: pred.score,
      catastrophicHits: pred.catastrophicHits,
      sampling,
    });
    writeFileSync(out, JSON.stringify({ partial: true, rows }, null, 2));
    process.stderr.write(
      `${file} ${pname}: baseline ${(baseline * 100).toFixed(2)}% drop ${(drop * 100).toFixed(2)} pp [${groupDrops.map((d) => (d * 100).toFixed(1)).join(' ')}], score ${pred.score.toExponential(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0]?.toFixed(1)})\n`,
    );
  }
}

function tau(rs: readonly Row[]): number {
  return rs.length < 2
    ? Number.NaN
    : kendallTau(
        rs.map((r) => r.score),
        rs.map((r) => r.drop),
      );
}
const tuned = rows.filter((r) => !heldOut.has(r.file));
const held = rows.filter((r) => heldOut.has(r.file));
const quant = (rs: readonly Row[]) => rs.filter((r) => r.policy !== 'fp32');
// reliability of the measurement itself: one seed group's drops ranked against another's (quantized pairs, where
// the ranking is in question); and the predictor against each seed group alone (mean and worst over groups)
const qrows = quant(rows);
const groupVsGroup: number[] = [];
for (let g = 0; g < groups; g++)
  for (let h = g + 1; h < groups; h++)
    groupVsGroup.push(
      kendallTau(
        qrows.map((r) => r.groupDrops[g] as number),
        qrows.map((r) => r.groupDrops[h] as number),
      ),
    );
const perGroup = (rs: readonly Row[]) =>
  Array.from({ length: groups }, (_, g) =>
    rs.length < 2
      ? Number.NaN
      : kendallTau(
          rs.map((r) => r.score),
          rs.map((r) => r.groupDrops[g] as number),
        ),
  );
const meanWorst = (xs: readonly number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, worst: Math.min(...xs) });
// within one network the policies share their fault positions (stratified sampling): the predictor's ranking of a
// network's policies against the measured one, per network
const withinModel = [...new Set(rows.map((r) => r.file))].map((file) => {
  const rs = rows.filter((r) => r.file === file);
  return { model: file, pairs: rs.length, tau: tau(rs), tauQuantizedOnly: tau(quant(rs)) };
});
const result = {
  date: new Date().toISOString(),
  sampling,
  groups,
  ber,
  trials,
  images,
  measurementSelfAgreementQuantized: { groupVsGroup, ...meanWorst(groupVsGroup) },
  tauPerGroupAll: { values: perGroup(rows), ...meanWorst(perGroup(rows)) },
  tauPerGroupQuantized: { values: perGroup(qrows), ...meanWorst(perGroup(qrows)) },
  heldOutTauPerGroupQuantized: { values: perGroup(quant(held)), ...meanWorst(perGroup(quant(held))) },
  withinModel,
  pairs: rows.length,
  tau: tau(rows),
  tauQuantizedOnly: tau(quant(rows)),
  tauPerSeedGroup: Array.from({ length: groups }, (_, g) =>
    kendallTau(
      rows.map((r) => r.score),
      rows.map((r) => r.groupDrops[g] as number),
    ),
  ),
  tuning: { models: [...new Set(tuned.map((r) => r.file))], pairs: tuned.length, tau: tau(tuned), tauQuantizedOnly: tau(quant(tuned)) },
  heldOut: { models: [...new Set(held.map((r) => r.file))], pairs: held.length, tau: tau(held), tauQuantizedOnly: tau(quant(held)) },
  seconds: (performance.now() - t0) / 1000,
  loadavg: loadavg(),
  rows,
};
writeFileSync(out, JSON.stringify(result, null, 2));
if (svg) writeFileSync(svg, scatterSvg(rows, heldOut));
process.stdout.write(`${JSON.stringify({ ...result, rows: undefined }, null, 2)}\n`);

/** Scatter plot: predicted score (log x) vs measured drop (y); held-out networks filled, tuning ones hollow. */
function scatterSvg(rs: readonly Row[], held: ReadonlySet<string>): string {
  const W = 640;
  const H = 420;
  const L = 60;
  const B = 50;
  const pts = rs.filter((r) => r.score > 0 && Number.isFinite(r.drop));
  const lx = pts.map((r) => Math.log10(r.score));
  const x0 = Math.floor(Math.min(...lx));
  const x1 = Math.ceil(Math.max(...lx));
  const y0 = Math.min(0, ...pts.map((r) => r.drop * 100));
  const y1 = Math.max(...pts.map((r) => r.drop * 100)) * 1.05;
  const px = (v: number) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - 20);
  const py = (v: number) => H - B - ((v - y0) / (y1 - y0 || 1)) * (H - B - 20);
  const colour: Record<string, string> = { fp32: '#d62728', w8a8: '#1f77b4', w6a8: '#2ca02c', w4a8: '#9467bd', w8a4: '#ff7f0e', mixed: '#8c564b' };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 20}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (let e = x0; e <= x1; e++) parts.push(`<text x="${px(e)}" y="${H - B + 15}" text-anchor="middle">1e${e}</text>`);
  for (let k = 0; k <= 5; k++) {
    const v = y0 + ((y1 - y0) * k) / 5;
    parts.push(`<text x="${L - 5}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  parts.push(`<text x="${(L + W) / 2}" y="${H - 12}" text-anchor="middle">predicted score (log scale)</text>`);
  parts.push(`<text x="15" y="${H / 2}" transform="rotate(-90 15 ${H / 2})" text-anchor="middle">measured accuracy drop (pp) at BER ${ber}</text>`);
  for (const r of pts) {
    const c = colour[r.policy] ?? '#333';
    const fill = held.has(r.file) ? c : 'none';
    parts.push(
      `<circle cx="${px(Math.log10(r.score)).toFixed(1)}" cy="${py(r.drop * 100).toFixed(1)}" r="4" fill="${fill}" stroke="${c}"><title>${r.file} ${r.policy}</title></circle>`,
    );
  }
  let ly = 30;
  for (const [p, c] of Object.entries(colour)) {
    parts.push(`<circle cx="${W - 110}" cy="${ly}" r="4" fill="${c}" stroke="${c}"/><text x="${W - 100}" y="${ly + 4}">${p}</text>`);
    ly += 15;
  }
  parts.push(`<text x="${W - 110}" y="${ly + 4}">filled: held out</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
