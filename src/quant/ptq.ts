/**
 * Post-training quantization steps, as options of the quantization pipeline (`hwnas quantize --ptq`,
 * `hwnas eval --policy ... --ptq`). Two stages:
 * - {@link prepareFloat}, independent of the policy: batch-norm folding (bn-fold.ts), then cross-layer
 *   equalisation (equalize.ts). The result is an equivalent float network; activation ranges are
 *   calibrated on it.
 * - {@link preparePolicy}, for one policy: layer by layer in graph order, each conv/dense layer's step
 *   per output channel (min/max, or clipped: weight-clip.ts), its rounding (nearest, or learned:
 *   adaround.ts) and its bias (bias-correction.ts) are fitted to inputs from the network quantized so far.
 *   The layer's weights are replaced by their quantized values (codes x step); the engine's min/max fake
 *   quantizer finds the same step and codes again, so evaluation, QAT and the QDQ export need no change.
 * Layers at 1 bit or float keep their weights. Names: `fold`, `cle`, `clip` (= `clip=mse`), `clip=percentile`,
 * `bias`, `adaround` (or `adaround=<sweeps>`); `none`; `all` = every step.
 */

import { quantHooks } from '../engine/fake-quant.js';
import type { EngineModel } from '../engine/model.js';
import { buildModel } from '../engine/model.js';
import { ConfigError, UserError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import type { Graph, Model, Node, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { type AdaRoundOptions, adaroundChannel } from './adaround.js';
import { correctedBias } from './bias-correction.js';
import { foldBatchNorm } from './bn-fold.js';
import { equalizeCrossLayer } from './equalize.js';
import { layerInputStats } from './layer-stats.js';
import { type Calibration, type ChannelBits, quantConfig } from './quant-config.js';
import { type WeightClipMethod, weightStep } from './weight-clip.js';

/** Which post-training steps run. */
export interface PtqOptions {
  readonly fold?: boolean;
  readonly equalize?: boolean;
  /** Weight range per output channel (default 'minmax'). */
  readonly clip?: WeightClipMethod;
  readonly percentile?: number;
  readonly biasCorrection?: boolean;
  /** Learned rounding (true: default options). */
  readonly adaround?: boolean | AdaRoundOptions;
  /** Calibration images of the layer-wise steps (default 256). */
  readonly images?: number;
  /** Output positions sampled per image for the layer statistics (default 64). */
  readonly positions?: number;
  readonly seed?: number;
}

/** The steps hwnas runs when none are named: none (measurements: BENCHMARKS.md, "post-training steps, each alone"). */
export const DEFAULT_PTQ: PtqOptions = {};

const STEP_NAMES = 'fold, cle, clip, clip=mse, clip=percentile, bias, adaround, adaround=<sweeps>, none, all';

/** Parses a comma-separated list of step names (see the module comment). */
export function parsePtq(spec: string): PtqOptions {
  let o: { -readonly [K in keyof PtqOptions]: PtqOptions[K] } = {};
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const [name, value] = raw.split('=', 2) as [string, string | undefined];
    switch (name) {
      case 'none':
        o = {};
        break;
      case 'all':
        o = { ...o, fold: true, equalize: true, clip: 'mse', biasCorrection: true, adaround: true };
        break;
      case 'fold':
        o.fold = true;
        break;
      case 'cle':
        o.fold = true;
        o.equalize = true;
        break;
      case 'clip':
        if (value !== undefined && value !== 'mse' && value !== 'percentile' && value !== 'minmax')
          throw new UserError(`--ptq clip=${value}: expected clip=mse, clip=percentile or clip=minmax`);
        o.clip = (value ?? 'mse') as WeightClipMethod;
        break;
      case 'bias':
        o.biasCorrection = true;
        break;
      case 'adaround': {
        if (value === undefined) o.adaround = true;
        else {
          const it = Number(value);
          if (!(Number.isInteger(it) && it >= 1 && it <= 100000)) throw new UserError(`--ptq adaround=${value}: expected a number of sweeps 1..100000`);
          o.adaround = { iterations: it };
        }
        break;
      }
      default:
        throw new UserError(`--ptq step '${raw}' is unknown: expected a comma-separated list of ${STEP_NAMES}`);
    }
  }
  return o;
}

/** A short label of the steps (`none` when empty). */
export function ptqLabel(o: PtqOptions): string {
  const parts: string[] = [];
  if (o.fold && !o.equalize) parts.push('fold');
  if (o.equalize) parts.push('cle');
  if (o.clip && o.clip !== 'minmax') parts.push(`clip=${o.clip}`);
  if (o.biasCorrection) parts.push('bias');
  if (o.adaround) parts.push(typeof o.adaround === 'object' && o.adaround.iterations !== undefined ? `adaround=${o.adaround.iterations}` : 'adaround');
  return parts.length ? parts.join(',') : 'none';
}

/** True when {@link preparePolicy} changes weights. */
export function hasPolicySteps(o: PtqOptions): boolean {
  return (o.clip !== undefined && o.clip !== 'minmax') || o.biasCorrection === true || !!o.adaround;
}

/** The result of {@link prepareFloat}. */
export interface FloatPrep {
  readonly model: Model;
  readonly foldedBatchNorms: number;
  readonly equalizedPairs: number;
}

/** The policy-independent steps (fold, then equalise): an equivalent float model. */
export function prepareFloat(model: Model, o: PtqOptions): FloatPrep {
  let m = model;
  let folded = 0;
  let pairs = 0;
  if (o.fold || o.equalize) {
    const f = foldBatchNorm(m);
    m = f.model;
    folded = f.folded.length;
  }
  if (o.equalize) {
    const e = equalizeCrossLayer(m);
    m = e.model;
    pairs = e.pairs.length;
  }
  return { model: m, foldedBatchNorms: folded, equalizedPairs: pairs };
}

/** Gives every quantized conv/dense a bias (zero) so that bias correction has one to correct. */
function withBiases(model: Model): Model {
  const weights: Weights = new Map(model.weights);
  let changed = false;
  const nodes = model.graph.nodes.map((n): Node => {
    if ((n.op !== 'conv2d' && n.op !== 'dense') || n.bias) return n;
    changed = true;
    const out = n.op === 'conv2d' ? n.outChannels : n.outFeatures;
    weights.set(`${n.name}.bias`, { shape: [out], data: new Float32Array(out) });
    return { ...n, bias: true };
  });
  if (!changed) return model;
  const graph: Graph = { ...model.graph, nodes };
  return { graph, weights };
}

/** Options of {@link preparePolicy}. */
export interface PolicyPrepOptions {
  /** Calibration images (training images, NCHW) and how many there are. */
  readonly images: { readonly x: Float32Array; readonly n: number };
  readonly calibration: Calibration;
  readonly channelBits?: ChannelBits;
  readonly onLayer?: (layer: string, index: number, total: number) => void;
}

/**
 * The policy-dependent steps (clip, adaround, bias) on a float model (the output of
 * {@link prepareFloat}): a model whose quantized layers hold their quantized weights and corrected biases.
 * Without such steps the model is returned as is.
 */
export function preparePolicy(model: Model, policy: PrecisionPolicy, o: PtqOptions, p: PolicyPrepOptions): Model {
  if (!hasPolicySteps(o)) return model;
  const base = o.biasCorrection ? withBiases(model) : model;
  const nImages = Math.min(o.images ?? 256, p.images.n);
  if (nImages < 1) throw new ConfigError('post-training steps need calibration images: expected at least 1');
  const cfg = quantConfig(base.graph, policy, p.calibration, p.channelBits ?? {});
  const hooks = quantHooks(cfg);
  const floatEng: EngineModel = buildModel(base);
  const quantEng: EngineModel = buildModel(base);
  const weights: Weights = new Map(base.weights);
  try {
    const layers = quantizableLayers(base.graph);
    const ada: AdaRoundOptions | undefined = o.adaround ? (typeof o.adaround === 'object' ? o.adaround : {}) : undefined;
    layers.forEach((l, li) => {
      const wc = cfg.weights[l.name];
      const out = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
      const bits = wc?.channelBits ?? new Array<number>(out).fill(wc?.bits ?? 32);
      if (!bits.some((b) => b >= 2 && b <= 8)) return;
      p.onLayer?.(l.name, li, layers.length);
      const wt = weights.get(`${l.name}.weight`);
      if (!wt) throw new ConfigError(`model has no weight '${l.name}.weight'`);
      const w = wt.data;
      const k = w.length / out;
      const needStats = o.biasCorrection === true || ada !== undefined;
      const stats = needStats
        ? layerInputStats(floatEng, quantEng, hooks, l, p.images.x, nImages, {
            secondOrder: ada !== undefined,
            ...(o.positions !== undefined ? { positions: o.positions } : {}),
            seed: (o.seed ?? 0) + li,
          })
        : undefined;
      const wq = Float32Array.from(w);
      const perGroup = out / (stats?.groups ?? 1);
      for (let c = 0; c < out; c++) {
        const b = bits[c] as number;
        if (!(b >= 2 && b <= 8)) continue;
        const row = w.subarray(c * k, (c + 1) * k);
        const qmax = 2 ** (b - 1) - 1;
        const step = weightStep(row, b, o.clip ?? 'minmax', o.percentile);
        let codes: Int32Array;
        if (ada && stats?.gramQuant && stats.cross) {
          const g = Math.floor(c / perGroup);
          const gram = stats.gramQuant.subarray(g * k * k, (g + 1) * k * k);
          const cross = stats.cross.subarray(g * k * k, (g + 1) * k * k);
          const target = new Float64Array(k);
          for (let a = 0; a < k; a++) {
            const wa = row[a] as number;
            if (wa === 0) continue;
            for (let i = 0; i < k; i++) target[i] = (target[i] as number) + (cross[a * k + i] as number) * wa;
          }
          codes = adaroundChannel(row, step, qmax, gram, target, ada);
        } else {
          codes = new Int32Array(k);
          for (let i = 0; i < k; i++) codes[i] = Math.max(-qmax, Math.min(qmax, Math.round((row[i] as number) / step)));
        }
        // the channel's largest |code| must be qmax (the engine re-derives the step from max |w|)
        let top = 0;
        for (let i = 0; i < k; i++) top = Math.max(top, Math.abs(codes[i] as number));
        if (top < qmax) {
          let arg = 0;
          for (let i = 1; i < k; i++) if (Math.abs(row[i] as number) > Math.abs(row[arg] as number)) arg = i;
          codes[arg] = (row[arg] as number) < 0 ? -qmax : qmax;
        }
        for (let i = 0; i < k; i++) wq[c * k + i] = Math.fround((codes[i] as number) * step);
      }
      const update: Weights = new Map([[`${l.name}.weight`, { shape: wt.shape, data: wq }]]);
      if (o.biasCorrection && stats) {
        const bKey = `${l.name}.bias`;
        const bias = weights.get(bKey);
        update.set(bKey, { shape: [out], data: correctedBias(bias?.data, w, wq, out, stats) });
      }
      for (const [key, t] of update) weights.set(key, t);
      quantEng.setWeights(update);
    });
  } finally {
    floatEng.dispose();
    quantEng.dispose();
  }
  return { graph: base.graph, weights };
}
