import { requireScoredSplit } from '../../data/split.js';
import { ConfigError } from '../../errors.js';
import type { PrecisionPolicy } from '../../ir/precision.js';
import type { Graph, Model } from '../../ir/types.js';
import { quantizableLayers } from '../../ir/workload.js';
import { loadModelSpecWithPrecision } from '../../onnx/model-source.js';
import { FAULT_KINDS } from '../../resilience/fault-model.js';
import type { CampaignResult, FaultKind, FaultSite } from '../../resilience/index.js';
import { storedBits, weightSites } from '../../resilience/weight-faults.js';
import { floatOption, interruptible, intOption, printJson, seedOption } from '../io.js';
import { loadPolicySpec } from '../policy-source.js';
import { createProgress } from '../progress.js';
import { datasetForModel, trainedModel } from './train.js';

interface FaultFlags {
  readonly dataset: string;
  readonly ber?: string;
  readonly flips?: string;
  readonly sites?: string;
  readonly kind?: string;
  readonly trials?: string;
  readonly policy?: string;
  readonly seed?: string;
  readonly threshold?: string;
  readonly layerTrials?: string;
  readonly layerRate?: string;
  readonly images?: string;
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly rangeRestriction?: boolean;
  readonly harden?: string;
  readonly sampling?: string;
  readonly weightScale?: string;
  readonly target?: string;
  readonly json?: boolean;
}

/** Parse a comma-separated list of numbers with an error naming the flag and the bad item. */
export function numberList(flag: string, spec: string, check: (n: number) => boolean, expected: string): number[] {
  const items = spec.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new ConfigError(`${flag} '${spec}' has an empty item: expected ${expected}, comma-separated`);
  return items.map((s) => {
    const n = Number(s);
    if (!check(n)) throw new ConfigError(`${flag}: '${s}' is not ${expected}`);
    return n;
  });
}

function parseSites(v: string | undefined): FaultSite[] {
  const s = v ?? 'weights';
  if (s === 'weights' || s === 'activations') return [s];
  if (s === 'both') return ['weights', 'activations'];
  throw new ConfigError(`--sites must be weights, activations or both, got '${s}'`);
}

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
 * `--layer-rate`: with --ber a bit error rate in (0, 1], with --flips a number of bits >= 1 (its upper bound, the bits
 * the sites hold, is checked with the model: {@link checkFlipCounts}).
 */
export function parseLayerRate(v: string, flips: boolean): number {
  const n = Number(v.trim());
  if (flips) {
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < 1)
      throw new ConfigError(`--layer-rate '${v}': with --flips it is a number of bits hit per per-layer run, expected an integer >= 1`);
  } else if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1)
    throw new ConfigError(`--layer-rate '${v}': expected a bit error rate in (0, 1] (or, with --flips, a number of bits)`);
  return n;
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
  const seed = seedOption(f.seed);
  const trials = intOption('--trials', f.trials, 50, 1);
  const sites = parseSites(f.sites);
  const kind = (f.kind ?? 'flip') as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new ConfigError(`--kind must be one of ${FAULT_KINDS.join(', ')}, got '${f.kind}'`);
  if (f.ber !== undefined && f.flips !== undefined) throw new ConfigError('give --ber or --flips, not both');
  const bers =
    f.flips === undefined
      ? numberList('--ber', f.ber ?? '1e-6,1e-5,1e-4', (n) => Number.isFinite(n) && n > 0 && n <= 1, 'a bit error rate in (0, 1]')
      : undefined;
  const counts = f.flips !== undefined ? numberList('--flips', f.flips, (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0') : undefined;
  if (counts && sites.includes('activations')) {
    throw new ConfigError('--flips applies to weights only (activation faults are drawn at a BER per inference): use --sites weights or --ber');
  }
  const threshold = f.threshold !== undefined ? floatOption('--threshold', f.threshold, 0, 0) : undefined;
  if (threshold !== undefined && threshold > 1) throw new ConfigError(`--threshold must be an accuracy in [0, 1], got '${f.threshold}'`);
  const layerTrials = f.layerTrials !== undefined ? intOption('--layer-trials', f.layerTrials, 0, 0) : undefined;
  const layerRate = f.layerRate !== undefined ? parseLayerRate(f.layerRate, counts !== undefined) : undefined;
  const images = f.images !== undefined ? intOption('--images', f.images, 0, 1) : undefined;
  const epochs = intOption('--epochs', f.epochs, 1, 1);
  const batchSize = intOption('--batch-size', f.batchSize, 500, 1);
  if (f.sampling !== undefined && f.sampling !== 'independent' && f.sampling !== 'stratified')
    throw new ConfigError(`--sampling '${f.sampling}': expected independent or stratified`);
  const sampling = f.sampling as 'independent' | 'stratified' | undefined;
  if (f.weightScale !== undefined && f.weightScale !== 'per-channel' && f.weightScale !== 'per-tensor' && f.weightScale !== 'asymmetric')
    throw new ConfigError(`--weight-scale '${f.weightScale}': expected per-channel, per-tensor or asymmetric`);
  const weightGranularity = f.weightScale as 'per-channel' | 'per-tensor' | 'asymmetric' | undefined;
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
    if (f.target !== undefined) throw new ConfigError(`--target ${f.target} costs a protection: give --range-restriction and/or --harden`);
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
