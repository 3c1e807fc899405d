/**
 * A fault-injection campaign: the accuracy of a model, deployed under a precision policy, over repeated
 * seeded runs at each fault rate (or exact count) and site, plus the vulnerability of each layer.
 *
 * - Weight faults (permanent): per run, draw faults into the stored weights, export the model as ONNX
 *   (QDQ for quantized layers) and measure test accuracy in onnxruntime-node.
 * - Activation faults (transient): per run, one pass over the test set in the engine with the policy's
 *   fake quantization and a fault-injecting stage (src/engine/fault-hooks.ts) that draws fresh faults for
 *   every forward pass.
 * Run r of (site s, rate i) uses its own Rng derived from (seed, s, i, r), so results do not depend on the
 * order in which runs execute, and a campaign stopped early keeps every run it finished.
 */
import type { EngineModel } from '../engine/model.js';
import { actGrid, type QuantHooksConfig } from '../engine/quant-grid.js';
import { ConfigError } from '../errors.js';
import type { PrecisionPolicy } from '../ir/precision.js';
import type { Model } from '../ir/types.js';
import type { QdqActivation } from '../onnx/qdq.js';
import { type Calibration, quantConfig } from '../quant/quant-config.js';
import { Rng } from '../util/rng.js';
import { type ActivationSite, activationCorruptor, activationSites } from './activation-faults.js';
import { checkFaultModel, type FaultKind, type FaultModel } from './fault-model.js';
import { logitAccuracy, type RunSummary, summarizeRuns } from './metrics.js';
import {
  type FaultyWeights,
  faultyWeightsOnnx,
  injectStratifiedWeightFaults,
  injectWeightFaults,
  mixSeed,
  type WeightGranularity,
  type WeightSite,
  weightSites,
} from './weight-faults.js';

/** Where faults are injected. */
export type FaultSite = 'weights' | 'activations';

/** Labelled images (NCHW float32). */
export interface LabelledData {
  readonly x: Float32Array;
  readonly y: ArrayLike<number>;
  readonly n: number;
}

/** Options of {@link runFaultCampaign}. */
export interface CampaignOptions {
  readonly model: Model;
  /** Precision policy of the deployed model (undefined: float32 everywhere). */
  readonly policy?: PrecisionPolicy;
  /** Images whose accuracy is measured (the test split). */
  readonly data: LabelledData;
  /** Calibration images for activation ranges (needed when the policy quantizes activations). */
  readonly calibration?: { readonly x: Float32Array; readonly n: number };
  /** Bit error rates to test (or use `counts`). */
  readonly bers?: readonly number[];
  /** Exact numbers of bits hit per run (weights only), instead of `bers`. */
  readonly counts?: readonly number[];
  /** What a fault does (default flip). */
  readonly kind?: FaultKind;
  readonly sites: readonly FaultSite[];
  /** Runs per (site, rate). */
  readonly trials: number;
  readonly seed: number;
  /** Accuracy below which a run is a critical failure (default 0.9 x baseline accuracy). */
  readonly threshold?: number;
  /** Per-layer vulnerability: runs per layer (0 = skip; default min(trials, 10)). */
  readonly layerTrials?: number;
  /** Rate (or count) of the per-layer runs (default the largest of `bers` / `counts`). */
  readonly layerRate?: number;
  /** Layers whose weights are stored with SEC-DED ECC (src/resilience/protection.ts). */
  readonly hardened?: ReadonlySet<string>;
  /**
   * How weight faults at a BER are drawn: `independent` (default: every bit hit independently, the fault model
   * as stated) or `stratified` (per layer and bit rank the expected count, common to every policy under the same
   * seed: a lower-variance estimate of the expected drop and of policy differences, see
   * {@link injectStratifiedWeightFaults}). Weights only; not with `hardened`.
   */
  readonly sampling?: 'independent' | 'stratified';
  /** Scale granularity of the stored integer weight codes (default per-channel, as the QDQ export writes). */
  readonly weightGranularity?: WeightGranularity;
  /** Inference batch (default 500). */
  readonly batchSize?: number;
  /** Called after every finished run. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Polled between runs: true stops the campaign, keeping what finished. */
  readonly shouldStop?: () => boolean;
}

/** One row of results: a (site, rate) with its run statistics. */
export interface RateResult extends RunSummary {
  readonly site: FaultSite;
  /** Bit error rate (absent for exact counts). */
  readonly ber?: number;
  /** Exact bits hit per run (absent for BERs). */
  readonly flips?: number;
  /** Mean number of bits hit per run (weights) or per image (activations). */
  readonly meanBitsHit: number;
}

/** Vulnerability of one layer: the accuracy drop when only its weights (or only its input activation) are hit. */
export interface LayerResult {
  readonly layer: string;
  readonly site: FaultSite;
  readonly ber?: number;
  readonly flips?: number;
  readonly trials: number;
  readonly meanAccuracy: number;
  /** Baseline accuracy minus mean accuracy. */
  readonly drop: number;
}

/** The result of a campaign (the `hwnas faults --json` shape). */
export interface CampaignResult {
  /** Fault-free accuracy of the deployed model (onnxruntime). */
  readonly baselineAccuracy: number;
  /** Fault-free accuracy in the engine (the reference of activation runs), when activations were tested. */
  readonly engineBaselineAccuracy?: number;
  readonly threshold: number;
  readonly kind: FaultKind;
  readonly images: number;
  readonly results: RateResult[];
  readonly layers: LayerResult[];
  /** True when stopped before every run finished. */
  readonly interrupted: boolean;
  readonly runs: number;
  readonly seconds: number;
}

/** A well-mixed 32-bit seed from a base seed and small integers (the mixer of weight-faults.ts). */
export function runSeed(seed: number, ...parts: readonly number[]): number {
  return mixSeed(seed, ...parts);
}

async function onnxAccuracy(bytes: Uint8Array, data: LabelledData, batch: number): Promise<number> {
  const { createSession, runOnnx } = await import('../onnx/ort.js');
  const s = await createSession(bytes);
  try {
    const per = data.x.length / data.n;
    let correct = 0;
    let k = 0;
    for (let i = 0; i < data.n; i += batch) {
      const b = Math.min(batch, data.n - i);
      const out = await runOnnx(s, data.x.subarray(i * per, (i + b) * per), b);
      k = out.length / b;
      correct +=
        logitAccuracy(
          out,
          Array.from({ length: b }, (_, j) => Number(data.y[i + j])),
          b,
          k,
        ) * b;
    }
    return correct / data.n;
  } finally {
    await s.session.release();
  }
}

function checkOptions(o: CampaignOptions): FaultModel[] {
  const kind = o.kind ?? 'flip';
  if ((o.bers === undefined) === (o.counts === undefined)) throw new ConfigError('give either bit error rates or exact fault counts, not both or neither');
  const models: FaultModel[] = o.bers ? o.bers.map((ber) => ({ kind, ber })) : (o.counts ?? []).map((count) => ({ kind, count }));
  if (models.length === 0) throw new ConfigError('no fault rate given: expected at least one BER (e.g. 1e-5) or count');
  for (const m of models) checkFaultModel(m);
  if (o.sites.length === 0) throw new ConfigError("no fault site given: expected 'weights', 'activations' or both");
  if (o.counts && o.sites.includes('activations')) {
    throw new ConfigError('exact fault counts apply to weights only: activation faults are transient, drawn at a BER per inference');
  }
  if (o.sampling !== undefined && o.sampling !== 'independent' && o.sampling !== 'stratified')
    throw new ConfigError(`sampling '${String(o.sampling)}' is unknown: expected independent or stratified`);
  if (o.sampling === 'stratified' && (o.counts || o.hardened))
    throw new ConfigError('stratified sampling draws faults at a BER without ECC hardening: give --ber rates and no hardened layers');
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new ConfigError(`trials ${o.trials} is invalid: expected an integer >= 1`);
  if (o.data.n < 1) throw new ConfigError('the test set is empty: expected at least 1 image to measure accuracy');
  if (o.threshold !== undefined && !(o.threshold >= 0 && o.threshold <= 1))
    throw new ConfigError(`threshold ${o.threshold} is invalid: expected an accuracy in [0, 1]`);
  return models;
}

/** Runs a fault-injection campaign (see the module comment). */
export async function runFaultCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const models = checkOptions(o);
  const t0 = performance.now();
  const batch = o.batchSize ?? 500;
  const kind = o.kind ?? 'flip';
  const wSites = weightSites(o.model, o.policy, o.weightGranularity);
  // activation grids of the policy: calibrated in the engine (only when the policy quantizes activations)
  const needsCal =
    !!o.policy &&
    Object.values(o.policy.layers)
      .concat([o.policy.default])
      .some((p) => p.actBits < 16);
  const needEngine = needsCal || o.sites.includes('activations');
  let em: EngineModel | undefined;
  let actCfg: Record<string, { bits: number; min: number; max: number }> = {};
  let hooksConfig: QuantHooksConfig | undefined;
  if (needEngine) {
    const [{ buildModel, initEngine }, quant] = await Promise.all([import('../engine/index.js'), import('../quant/apply.js')]);
    await initEngine();
    em = buildModel(o.model);
    if (o.policy) {
      let cal: Calibration | undefined;
      if (needsCal) {
        if (!o.calibration || o.calibration.n < 1) throw new ConfigError('the policy quantizes activations: calibration images are needed');
        cal = quant.calibrateActivations(em, o.calibration.x, Math.min(512, o.calibration.n), 'mse');
      }
      hooksConfig = quantConfig(o.model.graph, o.policy, cal);
      actCfg = { ...hooksConfig.activations };
    }
  }
  try {
    const grids = new Map<string, QdqActivation>();
    if (needsCal) for (const [node, c] of Object.entries(actCfg)) if (c.bits < 16) grids.set(node, actGrid(c));
    const aSites = activationSites(o.model.graph, actCfg);
    const weightAccuracy = (faulty: FaultyWeights): Promise<number> => onnxAccuracy(faultyWeightsOnnx(o.model, wSites, faulty, grids), o.data, batch);
    const noFaults: FaultyWeights = { codes: new Map(), values: new Map(), bitsHit: 0, valuesChanged: 0 };
    const baselineAccuracy = await weightAccuracy(noFaults);
    let engineBaseline: number | undefined;
    const engineAccuracy = async (
      sites: readonly ActivationSite[] | undefined,
      fault: FaultModel | undefined,
      rng: Rng | undefined,
    ): Promise<{ acc: number; bits: number }> => {
      const m = em as EngineModel;
      const { quantHooks } = await import('../engine/fake-quant.js');
      const { activationFaultHooks } = await import('../engine/fault-hooks.js');
      const base = hooksConfig ? quantHooks(hooksConfig) : {};
      const stats = { bitsHit: 0, elementsHit: 0 };
      const saved = m.hooks;
      try {
        m.hooks = sites && fault && rng ? activationFaultHooks(base, activationCorruptor(sites, fault, rng, stats)) : base;
        const logits = m.predict(o.data.x, o.data.n, { batchSize: batch });
        return { acc: logitAccuracy(logits, o.data.y, o.data.n, logits.length / o.data.n), bits: stats.bitsHit / o.data.n };
      } finally {
        m.hooks = saved;
      }
    };
    if (o.sites.includes('activations')) engineBaseline = (await engineAccuracy(undefined, undefined, undefined)).acc;
    const threshold = o.threshold ?? 0.9 * baselineAccuracy;

    const layerTrials = o.layerTrials ?? Math.min(o.trials, 10);
    const rateOf = (m: FaultModel): number => (m.ber ?? m.count) as number;
    const layerModel: FaultModel = models.reduce((a, b) => (rateOf(b) > rateOf(a) ? b : a));
    const layerFault: FaultModel = o.layerRate === undefined ? layerModel : o.bers ? { kind, ber: o.layerRate } : { kind, count: o.layerRate };
    if (o.layerRate !== undefined) checkFaultModel(layerFault);
    const perSiteLayers = (s: FaultSite): number => (layerTrials > 0 ? (s === 'weights' ? wSites.length : aSites.length) * layerTrials : 0);
    const total = o.sites.reduce((a, s) => a + models.length * o.trials + perSiteLayers(s), 0);
    let done = 0;
    let interrupted = false;
    const stop = (): boolean => {
      if (!interrupted && o.shouldStop?.()) interrupted = true;
      return interrupted;
    };
    const runOnce = async (site: FaultSite, fault: FaultModel, rng: Rng, only?: string): Promise<{ acc: number; bits: number }> => {
      if (site === 'weights') {
        const faulty =
          o.sampling === 'stratified'
            ? injectStratifiedWeightFaults(wSites, fault.ber as number, kind, rng.seed, only ? new Set([only]) : undefined)
            : injectWeightFaults(wSites, fault, rng, only ? new Set([only]) : undefined, o.hardened);
        return { acc: await weightAccuracy(faulty), bits: faulty.bitsHit };
      }
      return engineAccuracy(only ? aSites.filter((a) => a.node === only) : aSites, fault, rng);
    };
    const results: RateResult[] = [];
    const layers: LayerResult[] = [];
    for (const [si, site] of o.sites.entries()) {
      const ref = site === 'weights' ? baselineAccuracy : (engineBaseline as number);
      for (const [mi, fault] of models.entries()) {
        const accs: number[] = [];
        let bits = 0;
        for (let t = 0; t < o.trials && !stop(); t++) {
          const r = await runOnce(site, fault, new Rng(runSeed(o.seed, si, mi, t)));
          accs.push(r.acc);
          bits += r.bits;
          done++;
          o.onProgress?.(done, total, `${site} ${fault.ber !== undefined ? `ber=${fault.ber}` : `flips=${fault.count}`}`);
        }
        if (accs.length === 0) break;
        const row: RateResult = {
          site,
          ...(fault.ber !== undefined ? { ber: fault.ber } : { flips: fault.count as number }),
          ...summarizeRuns(accs, threshold),
          meanBitsHit: bits / accs.length,
        };
        results.push(row);
      }
      const names =
        site === 'weights' ? wSites.map((w) => ({ layer: w.layer, only: w.layer })) : aSites.map((a) => ({ layer: a.layers.join('+'), only: a.node }));
      for (const [li, l] of (layerTrials > 0 ? names : []).entries()) {
        const accs: number[] = [];
        for (let t = 0; t < layerTrials && !stop(); t++) {
          accs.push((await runOnce(site, layerFault, new Rng(runSeed(o.seed, si, 1000 + li, t)), l.only)).acc);
          done++;
          o.onProgress?.(done, total, `${site} layer ${l.layer}`);
        }
        if (accs.length === 0) break;
        const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
        layers.push({
          layer: l.layer,
          site,
          ...(layerFault.ber !== undefined ? { ber: layerFault.ber } : { flips: layerFault.count as number }),
          trials: accs.length,
          meanAccuracy: mean,
          drop: ref - mean,
        });
      }
    }
    return {
      baselineAccuracy,
      ...(engineBaseline !== undefined ? { engineBaselineAccuracy: engineBaseline } : {}),
      threshold,
      kind,
      images: o.data.n,
      results,
      layers,
      interrupted,
      runs: done,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    em?.dispose();
  }
}

/** Convenience for callers that hold weight sites: their total stored bits. */
export function storedWeightBits(sites: readonly WeightSite[]): number {
  return sites.reduce((a, s) => a + s.totalBits, 0);
}
