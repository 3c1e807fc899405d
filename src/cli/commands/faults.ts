import { requireScoredSplit } from '../../data/split.js';
import { ConfigError } from '../../errors.js';
import type { PrecisionPolicy } from '../../ir/precision.js';
import type { Graph, Model } from '../../ir/types.js';
import { quantizableLayers } from '../../ir/workload.js';
import { loadModelSpecWithPrecision } from '../../onnx/model-source.js';
import type { CampaignResult } from '../../resilience/index.js';
import { storedBits, weightSites } from '../../resilience/weight-faults.js';
import { interruptible, printJson } from '../io.js';
import { loadPolicySpec } from '../policy-source.js';
import { createProgress } from '../progress.js';
import { type FaultFlags, parseFaultFlags } from './faults-flags.js';
import { datasetForModel, trainedModel } from './train.js';

function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a';
}

/** Plain-text table of a campaign result. */
export function formatCampaign(r: CampaignResult): string {
  const lines = [
    `baseline accuracy ${pct(r.baselineAccuracy)} (onnxruntime)${r.engineBaselineAccuracy !== undefined ? `, ${pct(r.engineBaselineAccuracy)} (engine, activation runs)` : ''} on ${r.images} images; critical below ${pct(r.threshold)}; faults: ${r.kind}`,
    'site         rate      runs  mean      p5        min       critical  bits hit/run',
  ];
  for (const x of r.results) {
    const rate = x.ber !== undefined ? x.ber.toExponential(0) : `${x.flips} bits`;
    lines.push(
      `${x.site.padEnd(12)} ${rate.padEnd(9)} ${String(x.trials).padEnd(5)} ${pct(x.meanAccuracy).padEnd(9)} ${pct(x.p5Accuracy).padEnd(9)} ${pct(x.minAccuracy).padEnd(9)} ${pct(x.criticalShare).padEnd(9)} ${x.meanBitsHit.toFixed(2)}${x.site === 'activations' ? ' /image' : ''}`,
    );
  }
  if (r.layers.length > 0) {
    lines.push('per-layer vulnerability (accuracy drop when only that layer is hit):');
    for (const l of r.layers) lines.push(`  ${l.site.padEnd(12)} ${l.layer.padEnd(24)} drop ${(l.drop * 100).toFixed(2)} pp (${l.trials} runs)`);
  }
  if (r.interrupted) lines.push(`interrupted after ${r.runs} runs: the rows above hold the finished runs only`);
  return `${lines.join('\n')}\n`;
}

/**
 * `--harden`: a number of layers (the most vulnerable, chosen after training) or conv/dense layer names of `graph`,
 * checked here so that a bad value is refused before any training.
 */
export function parseHarden(v: string | undefined, graph: Graph): number | string[] | undefined {
  if (v === undefined) return undefined;
  const layers = quantizableLayers(graph).map((n) => n.name);
  if (/^\d+$/.test(v.trim())) {
    const k = Number(v.trim());
    if (k > layers.length) throw new ConfigError(`--harden ${k}: the model has ${layers.length} conv/dense layers, expected at most ${layers.length}`);
    return k;
  }
  const names = v.split(',').map((x) => x.trim());
  const bad = names.filter((h) => !layers.includes(h));
  if (bad.length > 0 || names.length === 0 || v.trim() === '')
    throw new ConfigError(
      `--harden '${v}': ${bad.length > 0 ? `unknown layer${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')} in graph '${graph.name}': ` : ''}expected a number of layers or conv/dense layer names (${layers.join(', ')})`,
    );
  return names;
}

/**
 * Throw when a --flips count (or the --layer-rate count of the per-layer runs) exceeds the weight bits the model
 * stores under the policy (ECC check bits included for hardened layers): more bits than there are cannot be hit
 * (the per-layer count is checked against the largest layer).
 */
export function checkFlipCounts(
  counts: readonly number[],
  layerRate: number | undefined,
  model: Model,
  policy: PrecisionPolicy | undefined,
  hardened: readonly string[],
): void {
  const ecc = new Set(hardened);
  const sites = weightSites(model, policy);
  const total = sites.reduce((a, s) => a + storedBits(s, ecc.has(s.layer)), 0);
  const what = `the model's weights hold ${total} bits${policy ? ' under the policy' : ' (float32)'}${ecc.size > 0 ? ', ECC check bits included' : ''}`;
  const over = counts.find((c) => c > total);
  if (over !== undefined) throw new ConfigError(`--flips ${over}: ${what}; expected a count <= ${total}`);
  if (layerRate !== undefined) {
    // the per-layer runs hit one layer at a time: a layer smaller than the count has all its bits hit
    const largest = sites.reduce((a, s) => Math.max(a, storedBits(s, ecc.has(s.layer))), 0);
    const layer = sites.find((s) => storedBits(s, ecc.has(s.layer)) === largest)?.layer;
    if (layerRate > largest)
      throw new ConfigError(
        `--layer-rate ${layerRate}: the per-layer runs hit one layer at a time and the largest, '${layer}', holds ${largest} bits; expected a count <= ${largest}`,
      );
  }
}

/** The action of the command registered in src/cli/register/faults.ts (imported when that command runs). */
export const faultsCommandAction = async (spec: string, f: FaultFlags) => {
  // Ctrl-C from here on stops the campaign between runs; what finished is reported (exit 130)
  await interruptible((signal) => faultsAction(spec, f, () => signal.aborted));
};

async function faultsAction(spec: string, f: FaultFlags, stopping: () => boolean): Promise<void> {
  const { seed, trials, sites, kind, bers, counts, threshold, layerTrials, layerRate, images, epochs, batchSize, sampling, weightGranularity } =
    parseFaultFlags(f);
  // check the policy, the hardened layers and the flip counts against the graph before any training
  const { model: untrained, precision } = loadModelSpecWithPrecision(spec, seed);
  // a QDQ file (quantize --out) is faulted at its own precision unless --policy says otherwise
  const policy = f.policy !== undefined ? loadPolicySpec(f.policy, untrained.graph) : precision;
  if (precision && !f.json)
    process.stderr.write(
      f.policy === undefined
        ? `precision: the QDQ file's own (policy '${precision.name}', read from its codes and grids; --policy overrides)\n`
        : `precision: --policy ${f.policy} (the QDQ file's own precision is not used)\n`,
    );
  const harden = parseHarden(f.harden, untrained.graph);
  // with --harden N the ECC-stored layers are chosen after training: the counts are checked then
  if (counts && !(typeof harden === 'number')) checkFlipCounts(counts, layerRate, untrained, policy, harden ?? []);
  // the data set (its test split is what the campaign scores) is checked before the float training too
  const ds = await datasetForModel(f.dataset, untrained, undefined, spec);
  requireScoredSplit(ds.test, 'test', `--dataset '${f.dataset}'`);
  const model = await trainedModel(spec, ds, epochs, seed, !!f.json);
  const n = Math.min(images ?? ds.test.n, ds.test.n);
  const per = ds.test.x.length / ds.test.n;
  const data = { x: ds.test.x.subarray(0, n * per), y: ds.test.y.subarray(0, n), n };
  const { runFaultCampaign } = await import('../../resilience/campaign.js');
  const prot = await protectionSetup(model, policy, f, harden, ds.train, bers ?? [1e-5]);
  if (counts && typeof harden === 'number') checkFlipCounts(counts, layerRate, model, policy, [...prot.hardened]);
  const bar = createProgress({ total: 1, label: 'faults', fields: ['run'], quiet: !!f.json });
  let r: CampaignResult;
  try {
    r = await runFaultCampaign({
      model: prot.model,
      ...(prot.hardened.size > 0 ? { hardened: prot.hardened } : {}),
      ...(policy ? { policy } : {}),
      data,
      calibration: { x: ds.train.x, n: ds.train.n },
      ...(bers ? { bers } : {}),
      ...(counts ? { counts } : {}),
      kind,
      sites,
      trials,
      seed,
      ...(threshold !== undefined ? { threshold } : {}),
      ...(layerTrials !== undefined ? { layerTrials } : {}),
      ...(layerRate !== undefined ? { layerRate } : {}),
      batchSize,
      ...(sampling ? { sampling } : {}),
      ...(weightGranularity ? { weightGranularity } : {}),
      onProgress: (done, total, label) => {
        bar.setTotal(total);
        bar.update(done, { run: label });
      },
      shouldStop: stopping,
    });
  } finally {
    bar.stop();
  }
  const out = {
    model: spec,
    dataset: ds.name,
    policy: policy?.name ?? (policy ? 'custom' : 'float32'),
    seed,
    ...(prot.report ? { protection: prot.report } : {}),
    ...r,
  };
  if (f.json) printJson(out);
  else {
    process.stdout.write(formatCampaign(r));
    if (prot.report) process.stdout.write(formatProtection(prot.report));
  }
}

interface ProtectionReport {
  readonly rangeRestriction: boolean;
  readonly clips: number;
  readonly hardened: readonly string[];
  readonly cost: import('../../resilience/protection.js').ProtectionCost;
}

function formatProtection(p: ProtectionReport): string {
  const c = p.cost;
  return `protection: ${p.rangeRestriction ? `range restriction (${p.clips} clips)` : 'no range restriction'}; ECC on ${p.hardened.length ? p.hardened.join(', ') : 'no layer'}
  cost on ${c.target}: latency ${c.baseLatencyMs.toPrecision(4)} -> ${c.latencyMs.toPrecision(4)} ms (+${(c.extraLatency * 100).toFixed(2)}%: clips ${c.clipLatencyMs.toPrecision(3)} ms, ECC ${c.eccLatencyMs.toPrecision(3)} ms), +${Math.round(c.extraWeightBytes)} weight bytes
`;
}

/** The protected model, its hardened layers and (when any protection is asked for) what it costs on the target. */
async function protectionSetup(
  model: import('../../ir/types.js').Model,
  policy: import('../../ir/precision.js').PrecisionPolicy | undefined,
  f: FaultFlags,
  harden: number | readonly string[] | undefined,
  train: { readonly x: Float32Array; readonly n: number },
  bers: readonly number[],
): Promise<{ model: import('../../ir/types.js').Model; hardened: ReadonlySet<string>; report?: ProtectionReport }> {
  if (!f.rangeRestriction && harden === undefined) {
    return { model, hardened: new Set() };
  }
  const [pr, { getTarget }, { defaultPolicy }] = await Promise.all([
    import('../../resilience/protection.js'),
    import('../../hardware/registry.js'),
    import('../../hardware/precision.js'),
  ]);
  const target = getTarget(f.target ?? 'bitfusion-edge');
  const hardened: string[] =
    harden === undefined ? [] : typeof harden === 'number' ? pr.mostVulnerableLayers(model, policy, Math.max(...bers), harden) : [...harden];
  let protectedModel = model;
  let clips = 0;
  if (f.rangeRestriction) {
    const k = Math.min(2000, train.n);
    const per = train.x.length / train.n;
    const bounds = await pr.profileRanges(model, train.x.subarray(0, k * per), k);
    protectedModel = pr.restrictRanges(model, bounds);
    clips = bounds.size;
  }
  const costPolicy = policy ?? defaultPolicy(target);
  const cost = pr.protectionCost(target, model.graph, costPolicy, {
    ...(f.rangeRestriction ? { restricted: protectedModel.graph } : {}),
    hardened: new Set(hardened),
  });
  return { model: protectedModel, hardened: new Set(hardened), report: { rangeRestriction: !!f.rangeRestriction, clips, hardened, cost } };
}
