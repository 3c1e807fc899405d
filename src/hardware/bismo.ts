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
 * ({@link tiledTraffic}). Fetch, execute and result stages overlap: latency = max(compute, DRAM time).
 * Energy is a 45 nm ASIC-equivalent.
 *
 * 1-bit weights are the {-1, +1} of binary networks (sign x scale), stored as one bit b with w = 2b - 1:
 * W·a = 2·(B·a) - Σa, so each group's GEMM gets one more output column (an all-ones weight row giving
 * Σa per output pixel), in cycles and in energy. BISMO's signed mode (MSB plane negated) would read a
 * 1-bit code as {0, -1}, not {-1, +1}.
 */
import { BitAcceleratorTarget, OUT, tiledTraffic } from './analytical.js';
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
}

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

  /**
   * Cycles of G grouped M x K x N GEMMs at `planes` bit-plane pairs; grouped convs are packed `pk` groups at a
   * time into a block-diagonal GEMM (zeros off the diagonal) when that is faster. Packing does not depend
   * on `planes` (every candidate's cycles scale with it alike), so {@link packing} gives it for the traffic.
   */
  private gemmCycles(G: number, M: number, K: number, N: number, planes: number): number {
    const p = this.params;
    const mt = Math.ceil(M / p.dn);
    let cycles = G * (mt * Math.ceil(N / p.dm) * Math.ceil(K / p.dk) * planes + p.dm + p.dn);
    for (let pk = 2; pk <= G; pk *= 2) {
      const cyc = Math.ceil(G / pk) * (mt * Math.ceil((pk * N) / p.dm) * Math.ceil((pk * K) / p.dk) * planes + p.dm + p.dn);
      if (cyc < cycles) cycles = cyc;
    }
    return cycles;
  }

  /** Groups packed per block-diagonal GEMM (1 when not grouped): the fastest packing at one bit-plane pair. */
  private packing(G: number, M: number, K: number, N: number): number {
    const p = this.params;
    const mt = Math.ceil(M / p.dn);
    let best = 1;
    let cycles = G * (mt * Math.ceil(N / p.dm) * Math.ceil(K / p.dk) + p.dm + p.dn);
    for (let pk = 2; pk <= G; pk *= 2) {
      const cyc = Math.ceil(G / pk) * (mt * Math.ceil((pk * N) / p.dm) * Math.ceil((pk * K) / p.dk) + p.dm + p.dn);
      if (cyc < cycles) {
        cycles = cyc;
        best = pk;
      }
    }
    return best;
  }

  private readonly cycleCache = new WeakMap<PreparedNetwork, Float64Array>();
  private memoNet: PreparedNetwork | undefined;
  private memo: Float64Array = new Float64Array(0);

  /** Per-network memo of GEMM cycles by node and bit-plane count (filled on first use). */
  private cycleTable(net: PreparedNetwork): Float64Array {
    if (this.memoNet === net) return this.memo;
    let t = this.cycleCache.get(net);
    if (!t) {
      t = new Float64Array(net.n * 257).fill(Number.NaN);
      this.cycleCache.set(net, t);
    }
    this.memoNet = net;
    this.memo = t;
    return t;
  }

  protected evalNode(net: PreparedNetwork, i: number, wb: number, ab: number, out: Float64Array): void {
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const kind = c.kind[i] as number;
    if (kind !== KIND.conv && kind !== KIND.depthwise && kind !== KIND.dense) {
      const ops = this.vectorNodeCost(net, i, ab, p.vectorOpsPerCycle, this.hz, this.bwBps, out);
      const dram = out[OUT.dramBytes] as number;
      out[OUT.energyMj] = (ops * this.addPj + dram * (this.dramPjB + this.sramPjB)) * 1e-9;
      return;
    }
    const G = c.gemmG[i] as number;
    const M = (c.gemmM[i] as number) * B;
    const K = c.gemmK[i] as number;
    const N = c.gemmN[i] as number;
    const planes = wb * ab;
    // {-1, +1} weights: one extra all-ones column per group for the Σa correction (see the file comment)
    const Nw = wb === 1 ? N + 1 : N;
    let cycles: number;
    if (wb === 1) cycles = this.gemmCycles(G, M, K, Nw, planes);
    else if (planes <= 256) {
      const tab = this.cycleTable(net);
      const k = i * 257 + planes;
      cycles = tab[k] as number;
      if (Number.isNaN(cycles)) {
        cycles = this.gemmCycles(G, M, K, N, planes);
        tab[k] = cycles;
      }
    } else cycles = this.gemmCycles(G, M, K, N, planes);
    const macs = ((c.macs[i] as number) * B * Nw) / N;
    const compS = cycles / this.hz;
    // bit-serial operands as the fetch stage reads them: rows padded to dk bits, matrices to dm / dn rows
    const pk = G > 1 ? this.packing(G, M, K, N) : 1;
    const runs = Math.ceil(G / pk);
    const kBits = Math.ceil((pk * K) / p.dk) * p.dk;
    const lhs = (runs * Math.ceil((pk * Nw) / p.dm) * p.dm * kBits * wb) / 8 + (c.biasElems[i] as number) * 4;
    const rhs = (runs * Math.ceil(M / p.dn) * p.dn * kBits * ab) / 8;
    const res = (M * N * G * p.resultBits) / 8;
    const lhsBuf = (p.dm * p.lhsEntries * p.dk) / 8;
    const rhsBuf = (p.dn * p.rhsEntries * p.dk) / 8;
    const dram = tiledTraffic(lhs, rhs, res, lhsBuf, rhsBuf, out);
    const memS = dram / this.bwBps;
    // on-chip: each LHS row block re-read for every RHS column block and vice versa, results once
    const onchip = lhs * Math.ceil(M / p.dn) + rhs * Math.ceil((pk * Nw) / p.dm) + res;
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
  const v = paramValues(file, overrides);
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
    },
    file.description,
  );
}

/** The `bismo-cloud` preset. */
export function bismoCloud(overrides: Readonly<Record<string, unknown>> = {}): BismoTarget {
  return bismoFromFile(loadTargetFile('bismo-cloud'), overrides);
}
