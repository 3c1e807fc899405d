/**
 * Systolic/dataflow array (what-if target): array size, dataflow, buffers, edge effects, and an
 * Eyeriss-style energy-per-access table.
 *
 * Conv/dense run as GEMMs (M output pixels x K reduction x N output channels, per group).
 * - `ws` weight-stationary (SCALE-Sim, Samajdar et al. ISPASS 2020): K on rows, N on columns;
 *   folds = ceil(K/R)·ceil(N/C); each fold preloads weights (R cycles) and streams M inputs with
 *   R+C-2 fill/drain.
 * - `os` output-stationary: M on rows, N on columns; folds = ceil(M/R)·ceil(N/C); each fold
 *   accumulates K terms plus R+C-2 fill/drain.
 * - `rs` row-stationary (Eyeriss, Chen et al. ISCA 2016): a PE convolves one filter row with one input
 *   row (outW·kw MACs); a logical PE set is kh x outH; sets are tiled over the R x C array and over the
 *   (input channel, output channel) pairs.
 * Small groups (depthwise) are packed block-diagonally where the dataflow allows. Operands wider than
 * the PE take ceil(w/peBits)·ceil(a/peBits) passes. Utilisation = MACs / (cycles·R·C): edge effects of
 * partial folds appear directly. DRAM traffic follows the buffer tiling rule; latency = max(compute,
 * DRAM) (double-buffered). Energy = Σ accesses x relative energy (MAC 1, RF 1, array 2, buffer 6,
 * DRAM 200 per 16-bit word) x the absolute energy of a 16-bit MAC.
 */
import { ConfigError } from '../errors.js';
import { AnalyticalTarget, NetworkTables, OUT, tiledDramBytes, type VectorUnit } from './analytical.js';
import { loadTargetFile, num, paramValues, type TargetFile } from './data.js';
import { checkTargetParams, systolicSchema } from './params-schema.js';
import type { Precision, SupportedBits } from './precision.js';
import { KIND, type PreparedNetwork } from './prepared.js';

/** Dataflows of {@link SystolicTarget}. */
export type Dataflow = 'ws' | 'os' | 'rs';

/** Parameters of {@link SystolicTarget} (see targets/systolic.json for sources). */
export interface SystolicParams {
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: Dataflow;
  readonly peBits: number;
  readonly clockMHz: number;
  readonly weightBufKB: number;
  readonly inputBufKB: number;
  readonly outputBufKB: number;
  readonly dramGBps: number;
  readonly macRelEnergy: number;
  readonly rfRelEnergy: number;
  readonly arrayRelEnergy: number;
  readonly bufferRelEnergy: number;
  readonly dramRelEnergy: number;
  readonly macRefPj: number;
  readonly vectorOpsPerCycle: number;
  readonly fuse: boolean;
  readonly batch: number;
}

/** A parameterised systolic array. */
export class SystolicTarget extends AnalyticalTarget {
  readonly description: string;
  readonly supportedBits: SupportedBits;
  readonly hasEnergy = true;
  readonly fuse: boolean;
  readonly batch: number;
  private readonly hz: number;
  private readonly bwBps: number;
  /** Element-wise nodes: a MAC-energy quarter per operation; each DRAM word (2 bytes) also through the buffer. */
  private readonly vectorUnit: VectorUnit;

  constructor(
    readonly name: string,
    readonly params: SystolicParams,
    description = 'systolic array',
  ) {
    super();
    if (!['ws', 'os', 'rs'].includes(params.dataflow)) throw new ConfigError(`target '${name}': dataflow '${params.dataflow}' is not one of ws, os, rs`);
    for (const k of ['rows', 'cols', 'peBits', 'clockMHz', 'dramGBps', 'batch'] as const) {
      if (!(params[k] > 0)) throw new ConfigError(`target '${name}': ${k}=${params[k]} must be positive`);
    }
    this.description = description;
    this.fuse = params.fuse;
    this.batch = params.batch;
    this.hz = params.clockMHz * 1e6;
    this.bwBps = params.dramGBps * 1e9;
    this.vectorUnit = {
      opsPerCycle: params.vectorOpsPerCycle,
      hz: this.hz,
      bwBps: this.bwBps,
      opEnergy: params.macRelEnergy * 0.25,
      byteEnergy: (params.dramRelEnergy + params.bufferRelEnergy) / 2,
      unitPj: params.macRefPj,
    };
    const bits = [1, 2, 3, 4, 5, 6, 7, 8, 16, 32].filter((b) => b <= Math.max(32, params.peBits));
    this.supportedBits = { weight: bits, act: bits };
  }

  protected override peakMacsPerCycle(p: Precision): number {
    const q = this.params;
    return (q.rows * q.cols) / (Math.ceil(p.weightBits / q.peBits) * Math.ceil(p.actBits / q.peBits));
  }

  /** Cycles of one GEMM-shaped layer (per pass) and its buffer element reads (weights, inputs, outputs). */
  private mapLayer(net: PreparedNetwork, i: number, M: number, out: Float64Array): number {
    const p = this.params;
    const c = net.col;
    const R = p.rows;
    const C = p.cols;
    const G = c.gemmG[i] as number;
    const K = c.gemmK[i] as number;
    const N = c.gemmN[i] as number;
    const wE = c.weightElems[i] as number;
    const inE = (c.inElems[i] as number) * this.batch;
    const outE = M * N * G;
    let cycles: number;
    let wR: number;
    let iR: number;
    let oR: number;
    if (p.dataflow === 'ws') {
      const packs = G > 1 ? Math.max(1, Math.min(Math.floor(R / K), Math.floor(C / N), G)) : 1;
      const kf = Math.ceil(K / R);
      const nf = Math.ceil(N / C);
      const folds = Math.ceil(G / packs) * kf * nf;
      cycles = folds * (R + M + R + C - 2);
      wR = wE;
      iR = M * K * G * nf;
      oR = outE * (2 * kf - 1);
    } else if (p.dataflow === 'os') {
      const packs = G > 1 ? Math.max(1, Math.min(Math.floor(C / N), G)) : 1;
      const mf = Math.ceil(M / R);
      const nf = Math.ceil(N / C);
      const folds = Math.ceil(G / packs) * mf * nf;
      cycles = folds * (K + R + C - 2);
      wR = wE * mf;
      iR = M * K * G * nf;
      oR = outE;
    } else {
      const kh = c.kh[i] as number;
      const kw = c.kw[i] as number;
      const oh = (c.outH[i] as number) * this.batch;
      const ow = c.outW[i] as number;
      const setRows = kh <= R ? Math.floor(R / kh) : 1;
      const rowPasses = kh <= R ? 1 : Math.ceil(kh / R);
      const colTile = oh < C ? oh : C;
      const setCols = Math.floor(C / colTile);
      const stripes = Math.ceil(oh / C);
      const pairs = G * (K / (kh * kw)) * N; // (input channel, output channel) pairs
      const concurrent = setRows * setCols;
      cycles = Math.ceil(pairs / concurrent) * stripes * rowPasses * ow * kw + R + C - 2;
      wR = wE * stripes;
      iR = inE * Math.ceil(N / setRows);
      oR = outE * (2 * Math.ceil(K / (kh * kw) / setCols) - 1);
    }
    out[0] = wR;
    out[1] = iR;
    out[2] = oR;
    return cycles;
  }

  /** Bits-independent mapping of every MAC node of `net` (cycles per pass, buffer reads), computed once per network. */
  private readonly mappings = new NetworkTables((net) => {
    const t = new Float64Array(net.n * 4);
    const r = new Float64Array(3);
    for (let i = 0; i < net.n; i++) {
      const k = net.col.kind[i] as number;
      if (k !== KIND.conv && k !== KIND.depthwise && k !== KIND.dense) continue;
      t[i * 4] = this.mapLayer(net, i, (net.col.gemmM[i] as number) * this.batch, r);
      t[i * 4 + 1] = r[0] as number;
      t[i * 4 + 2] = r[1] as number;
      t[i * 4 + 3] = r[2] as number;
    }
    return t;
  });

  protected evalNode(net: PreparedNetwork, i: number, wb: number, ab: number, out: Float64Array): void {
    if (this.vectorNode(net, i, ab, this.vectorUnit, out)) return;
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const inB = ((c.inElems[i] as number) * B * ab) / 8;
    const outB = ((c.outElems[i] as number) * B * ab) / 8;
    const wordPj = p.macRefPj; // energy unit: one 16-bit MAC
    const passes = Math.ceil(wb / p.peBits) * Math.ceil(ab / p.peBits);
    const pre = this.mappings.of(net);
    const r0 = pre[i * 4 + 1] as number;
    const r1 = pre[i * 4 + 2] as number;
    const r2 = pre[i * 4 + 3] as number;
    const cycles = (pre[i * 4] as number) * passes;
    const macs = (c.macs[i] as number) * B;
    const compS = cycles / this.hz;
    const wBytes = ((c.weightElems[i] as number) * wb) / 8 + (c.biasElems[i] as number) * 4;
    const dram = tiledDramBytes(wBytes, inB, outB, p.weightBufKB * 1024, p.inputBufKB * 1024);
    const memS = dram / this.bwBps;
    const onchip = (r0 * wb) / 8 + (r1 * ab) / 8 + r2 * 4;
    const macScale = Math.min(1, (wb * ab) / (p.peBits * p.peBits));
    const energyUnits =
      macs * passes * p.macRelEnergy * macScale +
      macs * 3 * p.rfRelEnergy * macScale +
      (onchip / 2) * (p.bufferRelEnergy + p.arrayRelEnergy) +
      (dram / 2) * p.dramRelEnergy;
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = 0;
    out[OUT.latencyMs] = (compS > memS ? compS : memS) * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = onchip;
    out[OUT.energyMj] = energyUnits * wordPj * 1e-9;
    out[OUT.utilization] = (macs * passes) / (cycles * p.rows * p.cols);
  }
}

/** Read systolic parameters from a target file with optional overrides (for what-if exploration). */
export function systolicFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): SystolicTarget {
  const v = paramValues(file, overrides);
  checkTargetParams(systolicSchema, v, name);
  const n = (k: string): number => num(v, k, name);
  return new SystolicTarget(
    name,
    {
      rows: n('rows'),
      cols: n('cols'),
      dataflow: String(v.dataflow) as Dataflow,
      peBits: n('peBits'),
      clockMHz: n('clockMHz'),
      weightBufKB: n('weightBufKB'),
      inputBufKB: n('inputBufKB'),
      outputBufKB: n('outputBufKB'),
      dramGBps: n('dramGBps'),
      macRelEnergy: n('macRelEnergy'),
      rfRelEnergy: n('rfRelEnergy'),
      arrayRelEnergy: n('arrayRelEnergy'),
      bufferRelEnergy: n('bufferRelEnergy'),
      dramRelEnergy: n('dramRelEnergy'),
      macRefPj: n('macRefPj'),
      vectorOpsPerCycle: n('vectorOpsPerCycle'),
      fuse: v.fuse === true,
      batch: n('batch'),
    },
    file.description,
  );
}

/** The `systolic` preset, with optional parameter overrides (e.g. `{ rows: 32, cols: 32, dataflow: 'ws' }`). */
export function systolic(overrides: Readonly<Record<string, unknown>> = {}): SystolicTarget {
  return systolicFromFile(loadTargetFile('systolic'), overrides);
}
