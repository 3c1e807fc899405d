/**
 * BISMO-style bit-serial matrix-multiply overlay (Umuroglu et al., FPL 2018 / TRETS 2019; HAQ's cloud target).
 *
 * Compute: a `dm x dn` array of dot-product units, each AND+popcount over `dk` bits per cycle. A GEMM
 * (N output channels x K reduction x M pixels·batch per group) takes ceil(N/dm)·ceil(M/dn)·ceil(K/dk) cycles
 * per pair of bit-planes, and there are w·a bit-plane pairs: cycles scale with w x a. Each group's GEMM
 * pays a dm+dn pipeline fill; grouped (depthwise) convs are packed block-diagonally when that is faster.
 *
 * Traffic (what makes a layer weight-, activation- or output-bound): BISMO only multiplies matrices, so
 * a convolution runs on its im2col matrix (lowered by the host), and the fetch stage reads both operands
 * bit-serially from DRAM: the weights (LHS) as w bit-planes of N x K bits, the activations (RHS) as a
 * bit-planes of M x K bits, each row padded to a multiple of dk bits and each matrix to dm / dn rows
 * (the runtime's alignment). The result stage writes the dm x dn result tiles as `resultBits`-bit
 * accumulators (32 in BISMO; thresholding/requantisation runs on the host). On-chip, the LHS and RHS
 * buffers hold dm (dn) memories of `lhsEntries` (`rhsEntries`) dk-bit words: an operand that fits is
 * fetched once, else the cheaper loop order re-fetches one operand per buffer-full of the other
 * ({@link tiledTraffic}). Fetch, execute and result stages overlap: latency = max(compute, DRAM time), where DRAM
 * time is either one shared pool (`portBits` 0) or, per operand, its own port of `portBits` per cycle (the slowest
 * stream counts). With `convBatch: 'per-image'` each image's conv is its own GEMM (weights fetched per image, each
 * image's columns padded to dn); `requantize` writes results at the activation width. These choices were fitted
 * on the fit half of a split of HAQ's BISMO table (bench/bismo-haq.ts, session 32). Energy is a 45 nm ASIC-equivalent.
 *
 * 1-bit weights are the {-1, +1} of binary networks (sign x scale), stored as one bit b with w = 2b - 1:
 * W·a = 2·(B·a) - Σa, so each group's GEMM gets one more output column (an all-ones weight row giving
 * Σa per output pixel), in cycles and in energy. BISMO's signed mode (MSB plane negated) would read a
 * 1-bit code as {0, -1}, not {-1, +1}.
 */

import { ConfigError } from '../errors.js';
import { BitAcceleratorTarget, NetworkTables, OUT, tiledTraffic } from './analytical.js';
import { loadTargetFile, num, paramValues, type TargetFile, tech45 } from './data.js';
import { bismoSchema, checkTargetParams } from './params-schema.js';
import type { Precision } from './precision.js';
import { KIND, type PreparedNetwork } from './prepared.js';

/** Parameters of {@link BismoTarget} (see targets/bismo-cloud.json for sources). */
export interface BismoParams {
  readonly dm: number;
  readonly dn: number;
  readonly dk: number;
  readonly clockMHz: number;
  readonly dramGBps: number;
  /** Words (dk bits) per LHS (weight) buffer memory; there are dm of them. */
  readonly lhsEntries: number;
  /** Words (dk bits) per RHS (activation) buffer memory; there are dn of them. */
  readonly rhsEntries: number;
  /** Bits of each result written to DRAM (BISMO: 32-bit accumulators). */
  readonly resultBits: number;
  readonly vectorOpsPerCycle: number;
  readonly fuse: boolean;
  readonly binaryOpPj: number;
  readonly accumulatePj: number;
  readonly batch: number;
  /**
   * Bits per cycle of each operand's own DRAM port (weights, activations, results each stream on one), or 0: one
   * shared pool of `dramGBps` for all traffic. HAQ's cloud BISMO has 4 x 256-bit AXI ports (Table 2).
   */
  readonly portBits: number;
  /** 'merged': the batch is folded into each GEMM's columns; 'per-image': each image's conv is its own GEMM (own fetches). */
  readonly convBatch: 'merged' | 'per-image';
  /** 'serial': weight bit-planes iterate in time; 'rows': a GEMM of fewer rows than dm lays its weight bit-planes on idle rows. */
  readonly weightPlanes: 'serial' | 'rows';
  /** Grouped (depthwise) convs packed block-diagonally when faster (true), or one GEMM per group (false). */
  readonly packGroups: boolean;
  /** Results written at the activation width (requantised on chip) instead of `resultBits`. */
  readonly requantize: boolean;
}

/** The modelling choices added in session 32 (issue 18), at the values that reproduce the session-31 model. */
export const BISMO_SESSION31_CHOICES = { portBits: 0, convBatch: 'merged', weightPlanes: 'serial', packGroups: true, requantize: false } as const;

/** A BISMO-style bit-serial accelerator. */
export class BismoTarget extends BitAcceleratorTarget {
  constructor(
    readonly name: string,
    readonly params: BismoParams,
    description = 'BISMO-style bit-serial overlay',
  ) {
    super(description, params, tech45().sram1mPer64pJ);
  }

  protected override peakMacsPerCycle(p: Precision): number {
    return (this.params.dm * this.params.dn * this.params.dk) / (p.weightBits * p.actBits);
  }

  /** Cycles of one packed GEMM run: pk groups of M x K x N at wb x ab bits (weight planes serial or on idle rows). */
  private runCycles(pk: number, M: number, K: number, N: number, wb: number, ab: number): number {
    const p = this.params;
    const rowTiles = p.weightPlanes === 'rows' ? Math.ceil((pk * N * wb) / p.dm) : Math.ceil((pk * N) / p.dm) * wb;
    return Math.ceil(M / p.dn) * rowTiles * Math.ceil((pk * K) / p.dk) * ab + p.dm + p.dn;
  }

  /**
   * Groups packed per block-diagonal GEMM (1 when not grouped or `packGroups` is off): the fastest packing at one
   * bit-plane pair (packing does not depend on the widths in serial mode, where every candidate scales with w x a).
   */
  private packing(G: number, M: number, K: number, N: number): number {
    if (!this.params.packGroups) return 1;
    let best = 1;
    let cycles = G * this.runCycles(1, M, K, N, 1, 1);
    for (let pk = 2; pk <= G; pk *= 2) {
      const cyc = Math.ceil(G / pk) * this.runCycles(pk, M, K, N, 1, 1);
      if (cyc < cycles) {
        cycles = cyc;
        best = pk;
      }
    }
    return best;
  }

  /** Cycles of G grouped M x K x N GEMMs at wb x ab bits: the fastest packing at these widths (see {@link packing}). */
  private gemmCycles(G: number, M: number, K: number, N: number, wb: number, ab: number): number {
    let cycles = G * this.runCycles(1, M, K, N, wb, ab);
    if (this.params.packGroups)
      for (let pk = 2; pk <= G; pk *= 2) {
        const cyc = Math.ceil(G / pk) * this.runCycles(pk, M, K, N, wb, ab);
        if (cyc < cycles) cycles = cyc;
      }
    return cycles;
  }

  /** Per-network memo of GEMM cycles by node and (w, a) up to 16 bits each (filled on first use). */
  private readonly cycleTables = new NetworkTables((net) => new Float64Array(net.n * 289).fill(Number.NaN));

  protected evalNode(net: PreparedNetwork, i: number, wb: number, ab: number, out: Float64Array): void {
    if (this.vectorNode(net, i, ab, this.vectorUnit, out)) return;
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const kind = c.kind[i] as number;
    const G = c.gemmG[i] as number;
    // per-image convs: B GEMMs of the image's columns, each fetching its own operands; dense layers take the batch
    const reps = p.convBatch === 'per-image' && kind !== KIND.dense ? B : 1;
    const M = ((c.gemmM[i] as number) * B) / reps;
    const K = c.gemmK[i] as number;
    const N = c.gemmN[i] as number;
    const planes = wb * ab;
    // {-1, +1} weights: one extra all-ones column per group for the Σa correction (see the file comment)
    const Nw = wb === 1 ? N + 1 : N;
    let cycles: number;
    if (wb <= 16 && ab <= 16) {
      const tab = this.cycleTables.of(net);
      const k = i * 289 + wb * 17 + ab;
      cycles = tab[k] as number;
      if (Number.isNaN(cycles)) {
        cycles = reps * this.gemmCycles(G, M, K, Nw, wb, ab);
        tab[k] = cycles;
      }
    } else cycles = reps * this.gemmCycles(G, M, K, Nw, wb, ab);
    const macs = ((c.macs[i] as number) * B * Nw) / N;
    const compS = cycles / this.hz;
    // bit-serial operands as the fetch stage reads them: rows padded to dk bits, matrices to dm / dn rows (the packed
    // GEMM's); unpacked groups read each group's weight rows and a channel-interleaved im2col (all groups' K values
    // of a pixel contiguous)
    const pk = G > 1 ? this.packing(G, M, K, N) : 1;
    const runs = Math.ceil(G / pk);
    const kBits = Math.ceil((pk * K) / p.dk) * p.dk;
    const bias = (c.biasElems[i] as number) * 4;
    const lhs1 = pk > 1 || G === 1 ? (runs * Math.ceil((pk * Nw) / p.dm) * p.dm * kBits * wb) / 8 : (G * Nw * kBits * wb) / 8;
    const rhs1 = pk > 1 || G === 1 ? (runs * Math.ceil(M / p.dn) * p.dn * kBits * ab) / 8 : (M * Math.ceil((G * K) / p.dk) * p.dk * ab) / 8;
    const res = (M * N * G * reps * (p.requantize ? ab : p.resultBits)) / 8;
    const lhsBuf = (p.dm * p.lhsEntries * p.dk) / 8;
    const rhsBuf = (p.dn * p.rhsEntries * p.dk) / 8;
    tiledTraffic(lhs1, rhs1, 0, lhsBuf, rhsBuf, out);
    const lhs = (out[OUT.weightDramBytes] as number) * reps + bias;
    const rhs = (out[OUT.actDramBytes] as number) * reps;
    out[OUT.weightDramBytes] = lhs;
    out[OUT.actDramBytes] = rhs;
    const dram = lhs + rhs + res;
    // one port per operand stream (they overlap), or one shared pool
    const portBps = (p.portBits / 8) * this.hz;
    const memS = p.portBits > 0 ? Math.max(lhs, rhs, res) / portBps : dram / this.bwBps;
    // on-chip: each LHS row block re-read for every RHS column block and vice versa, results once
    const onchip = lhs1 * reps * Math.ceil(M / p.dn) + rhs1 * reps * Math.ceil((pk * Nw) / p.dm) + res;
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = 0;
    out[OUT.latencyMs] = (compS > memS ? compS : memS) * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = onchip;
    out[OUT.energyMj] = (macs * planes * p.binaryOpPj + ((macs * planes) / p.dk) * p.accumulatePj + onchip * this.sramPjB + dram * this.dramPjB) * 1e-9;
    out[OUT.utilization] = (macs * planes) / (cycles * p.dm * p.dn * p.dk);
  }
}

/** Read BISMO parameters from a target file with optional overrides. */
export function bismoFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): BismoTarget {
  const v = paramValues(file, overrides, BISMO_SESSION31_CHOICES);
  checkTargetParams(bismoSchema, v, name);
  const n = (k: string): number => num(v, k, name);
  return new BismoTarget(
    name,
    {
      dm: n('dm'),
      dn: n('dn'),
      dk: n('dk'),
      clockMHz: n('clockMHz'),
      dramGBps: n('dramGBps'),
      lhsEntries: n('lhsEntries'),
      rhsEntries: n('rhsEntries'),
      resultBits: n('resultBits'),
      vectorOpsPerCycle: n('vectorOpsPerCycle'),
      fuse: v.fuse === true,
      binaryOpPj: n('binaryOpPj'),
      accumulatePj: n('accumulatePj'),
      batch: n('batch'),
      ...choices(v, name),
    },
    file.description,
  );
}

/** The session-32 modelling choices of a target file; a file without them gets {@link BISMO_SESSION31_CHOICES}. */
function choices(v: Readonly<Record<string, unknown>>, name: string): Pick<BismoParams, keyof typeof BISMO_SESSION31_CHOICES> {
  const d = BISMO_SESSION31_CHOICES;
  const pick = <T>(key: string, ok: readonly T[], def: T): T => {
    const x = v[key] ?? def;
    if (!ok.includes(x as T))
      throw new ConfigError(`target '${name}': parameter '${key}' is ${JSON.stringify(x)}, expected one of ${ok.map((o) => JSON.stringify(o)).join(', ')}`);
    return x as T;
  };
  const portBits = v.portBits ?? d.portBits;
  if (typeof portBits !== 'number' || !Number.isInteger(portBits) || portBits < 0)
    throw new ConfigError(`target '${name}': parameter 'portBits' is ${JSON.stringify(portBits)}, expected an integer >= 0 (0: one shared DRAM pool)`);
  return {
    portBits,
    convBatch: pick('convBatch', ['merged', 'per-image'] as const, d.convBatch),
    weightPlanes: pick('weightPlanes', ['serial', 'rows'] as const, d.weightPlanes),
    packGroups: pick('packGroups', [true, false], d.packGroups),
    requantize: pick('requantize', [true, false], d.requantize),
  };
}

/** The `bismo-cloud` preset. */
export function bismoCloud(overrides: Readonly<Record<string, unknown>> = {}): BismoTarget {
  return bismoFromFile(loadTargetFile('bismo-cloud'), overrides);
}
