/**
 * Roofline targets for real devices from spec sheets (targets/<device>.json).
 *
 * A node's time is `overhead + max(compute, memory)`:
 * - compute = ops / (peak(bits) · util(op) · n/(n + n½)), with ops = 2·MACs for conv/dense and the element
 *   ops otherwise; `util` per op kind (conv, depthwise, dense, element-wise) and Hockney's n½ (the layer size
 *   that reaches half the asymptotic rate) keep depthwise and small layers from looking free;
 * - memory = off-chip bytes / DRAM bandwidth + on-chip bytes / on-chip bandwidth; weights come from DRAM
 *   unless they fit the parameter cache (filled in graph order, as the Edge TPU compiler does);
 *   activations stay on chip when in+out fit the on-chip memory, else they cross DRAM;
 * - overhead = the fixed per-layer dispatch/launch time.
 * Execution precision: max(w, a) rounded up to the smallest precision the device has (`round-up`),
 * or clamped to one (`clampTo`, e.g. Myriad X runs everything as FP16), or rejected (`strict`, Edge TPU
 * int8 only). The arithmetic runs at the execution precision; the tensors are moved at it too with
 * `storage: "execution"` (a runtime that converts the model to the precision it runs, Myriad X and Jetson Nano, or keeps
 * sub-8-bit tensors at its kernels' int8/INT4 width, Cortex-A76 and A100), or at
 * the policy's bits with `storage: "packed"` (the default: low-bit tensors kept packed and widened in the kernel;
 * activations wider than the execution precision are converted to it). Energy = spec-sheet active power x latency.
 */
import { ConfigError } from '../errors.js';
import { AnalyticalTarget, OUT } from './analytical.js';
import { loadTargetFile, num, numMap, paramValues, type TargetFile } from './data.js';
import { checkTargetParams, rooflineSchema } from './params-schema.js';
import { ANY_BITS, type SupportedBits } from './precision.js';
import { KIND, type PreparedNetwork } from './prepared.js';
import type { ExecutedPrecision } from './types.js';

/** How a roofline device treats a precision it lacks. */
export type PrecisionFallback = 'round-up' | 'strict';

/** The bits a roofline device moves weights and activations at: the policy's (`packed`) or the execution precision's. */
export type TensorStorage = 'packed' | 'execution';

/** Parameters of {@link RooflineTarget} (see targets/*.json for sources). */
export interface RooflineParams {
  /** Peak TOPS (2 ops per MAC) by execution bit-width. */
  readonly peakTops: Readonly<Record<string, number>>;
  readonly fallback: PrecisionFallback;
  /** When > 0, every precision executes at this bit-width. */
  readonly clampTo: number;
  /** Bits the tensors are stored and moved at (see the module doc; default `packed`). */
  readonly storage: TensorStorage;
  readonly dramGBps: number;
  readonly onchipKB: number;
  readonly onchipGBps: number;
  readonly weightCacheKB: number;
  readonly layerOverheadUs: number;
  readonly utilConv: number;
  readonly utilDepthwise: number;
  readonly utilDense: number;
  readonly utilElementwise: number;
  readonly nHalfMacs: number;
  readonly powerW: number;
  readonly fuse: boolean;
  readonly batch: number;
}

/** A roofline model of a device. */
export class RooflineTarget extends AnalyticalTarget {
  readonly description: string;
  readonly supportedBits: SupportedBits;
  readonly hasEnergy = true;
  readonly fuse: boolean;
  readonly batch: number;
  /** Peak ops/s by requested max(w, a) bit-width 0..32 (NaN when not runnable). */
  private readonly peakByBits = new Float64Array(33).fill(Number.NaN);
  /** Execution bit-width by requested bit-width. */
  private readonly execBits = new Float64Array(33).fill(Number.NaN);
  private readonly util = new Float64Array(6);

  constructor(
    readonly name: string,
    readonly params: RooflineParams,
    description = 'roofline device',
  ) {
    super();
    this.description = description;
    this.fuse = params.fuse;
    this.batch = params.batch;
    const have = Object.keys(params.peakTops)
      .map(Number)
      .filter((b) => Number.isFinite(b))
      .sort((a, b) => a - b);
    if (have.length === 0) throw new ConfigError(`target '${name}': peakTops must name at least one precision`);
    if (params.clampTo > 0 && params.peakTops[String(params.clampTo)] === undefined)
      throw new ConfigError(
        `target '${name}': params.clampTo = ${params.clampTo}: peakTops has no '${params.clampTo}' (it has ${have.join(', ')}); expected 0 (off) or one of those widths`,
      );
    for (let b = 1; b <= 32; b++) {
      let e: number | undefined;
      if (params.clampTo > 0) e = params.clampTo;
      else if (params.fallback === 'strict') e = have.includes(b) ? b : undefined;
      else e = have.find((h) => h >= b);
      if (e !== undefined && params.peakTops[String(e)] !== undefined) {
        this.execBits[b] = e;
        this.peakByBits[b] = (params.peakTops[String(e)] as number) * 1e12;
      }
    }
    const ok = ANY_BITS.filter((b) => !Number.isNaN(this.peakByBits[b] as number));
    this.supportedBits = { weight: ok, act: ok };
    this.util[KIND.conv] = params.utilConv;
    this.util[KIND.depthwise] = params.utilDepthwise;
    this.util[KIND.dense] = params.utilDense;
    this.util[KIND.elementwise] = params.utilElementwise;
    this.util[KIND.pool] = params.utilElementwise;
  }

  /** Ridge point: arithmetic intensity (ops per DRAM byte) where compute and memory time are equal, at bits `b`. */
  ridgeOpsPerByte(b: number): number {
    return (this.peakByBits[b] as number) / (this.params.dramGBps * 1e9);
  }

  /** The bit-width the device executes a request of `b` bits at (NaN if it cannot). */
  executionBits(b: number): number {
    return this.execBits[b > 32 ? 32 : b] as number;
  }

  /** {@inheritDoc HardwareTarget.executedPrecision} (the bits {@link RooflineTarget.evalNode} charges) */
  executedPrecision(p: { readonly weightBits: number; readonly actBits: number }, mac: boolean): ExecutedPrecision {
    const req = mac ? Math.max(p.weightBits, p.actBits) : p.actBits;
    const eb = this.executionBits(req);
    if (this.params.storage === 'execution') return { computeBits: eb, weightBits: mac ? eb : p.weightBits, actBits: eb };
    return { computeBits: eb, weightBits: p.weightBits, actBits: Math.min(p.actBits, eb) };
  }

  protected evalNode(net: PreparedNetwork, i: number, wb: number, ab: number, out: Float64Array): void {
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const kind = c.kind[i] as number;
    const isMac = kind === KIND.conv || kind === KIND.depthwise || kind === KIND.dense;
    const req = isMac ? (wb > ab ? wb : ab) : ab;
    const eb = this.execBits[req > 32 ? 32 : req] as number;
    const peak = this.peakByBits[req > 32 ? 32 : req] as number;
    const macs = (c.macs[i] as number) * B;
    const ops = isMac ? 2 * macs : (c.elementOps[i] as number) * B;
    const eff = isMac ? (this.util[kind] as number) * (macs / (macs + p.nHalfMacs)) : (this.util[kind] as number);
    const compS = ops > 0 ? ops / (peak * eff) : 0;
    // arithmetic at the execution bits; storage at them too, or at the requested bits (packed; wider activations converted)
    const converted = p.storage === 'execution';
    const sw = converted ? eb : wb;
    const sa = converted || eb < ab ? eb : ab;
    const wBytes = ((c.weightElems[i] as number) * sw) / 8 + (c.biasElems[i] as number) * 4;
    const aBytes = (((c.inElems[i] as number) + (c.outElems[i] as number)) * B * sa) / 8;
    const cache = p.weightCacheKB * 1024;
    const before = ((c.weightElemsBefore[i] as number) * sw) / 8;
    let cached = cache - before;
    if (cached < 0) cached = 0;
    if (cached > wBytes) cached = wBytes;
    const onchipCap = p.onchipKB * 1024;
    const actOnchip = aBytes <= onchipCap;
    const dram = wBytes - cached + (actOnchip ? 0 : aBytes);
    const onchip = cached + aBytes;
    const memS = dram / (p.dramGBps * 1e9) + onchip / (p.onchipGBps * 1e9);
    const ovhS = p.layerOverheadUs * 1e-6;
    const lat = ovhS + (compS > memS ? compS : memS);
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = ovhS * 1e3;
    out[OUT.latencyMs] = lat * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = onchip;
    out[OUT.energyMj] = p.powerW * lat * 1e3;
    out[OUT.utilization] = ops > 0 ? ops / (lat * peak) : Number.NaN;
  }
}

/** The optional roofline parameters' values for a file that does not state them (files written before session 51: packed). */
const ROOFLINE_DEFAULTS = { storage: 'packed' } as const satisfies Partial<Record<keyof RooflineParams, string>>;

/** Read roofline parameters from a target file with optional overrides (a file without `storage` takes {@link ROOFLINE_DEFAULTS}). */
export function rooflineFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): RooflineTarget {
  const v = paramValues(file, overrides, ROOFLINE_DEFAULTS);
  checkTargetParams(rooflineSchema, v, name);
  const n = (k: string): number => num(v, k, name);
  const fb = String(v.fallback);
  if (fb !== 'round-up' && fb !== 'strict') throw new ConfigError(`target '${name}': fallback '${fb}' must be 'round-up' or 'strict'`);
  const storage = String(v.storage);
  if (storage !== 'packed' && storage !== 'execution')
    throw new ConfigError(
      `target '${name}': storage '${storage}' must be 'packed' (tensors moved at the policy's bits) or 'execution' (at the bits the device runs)`,
    );
  return new RooflineTarget(
    name,
    {
      peakTops: numMap(v, 'peakTops', name),
      fallback: fb,
      clampTo: n('clampTo'),
      storage,
      dramGBps: n('dramGBps'),
      onchipKB: n('onchipKB'),
      onchipGBps: n('onchipGBps'),
      weightCacheKB: n('weightCacheKB'),
      layerOverheadUs: n('layerOverheadUs'),
      utilConv: n('utilConv'),
      utilDepthwise: n('utilDepthwise'),
      utilDense: n('utilDense'),
      utilElementwise: n('utilElementwise'),
      nHalfMacs: n('nHalfMacs'),
      powerW: n('powerW'),
      fuse: v.fuse === true,
      batch: n('batch'),
    },
    file.description,
  );
}

/** A roofline device preset by data-file name (`myriad-x`, `cortex-a76`, `jetson-nano`, `edge-tpu`, `a100`). */
export function rooflineDevice(name: string, overrides: Readonly<Record<string, unknown>> = {}): RooflineTarget {
  return rooflineFromFile(loadTargetFile(name), overrides);
}
