/**
 * BitFusion-style bit-flexible accelerator (Sharma et al., ISCA 2018; HAQ's edge target).
 *
 * Model: a `rows x cols` systolic array of Fusion Units, each of `bricksPerUnit` 2-bit BitBricks. A w x a
 * product takes ceil(w/2)·ceil(a/2) bricks, so a unit computes floor(16 / bricks) products per cycle
 * (spatial fusion) or one product every ceil(bricks/16) cycles (temporal, above 8 bits). Conv/dense run as
 * GEMMs (M output pixels x K reduction x N output channels per group): K maps onto rows x products per
 * unit, N onto columns, M streams; folds pipeline (a fold takes max(M, rows) cycles: the next fold's weights load one row per
 * cycle meanwhile) and the array fills/drains once per layer; small groups (depthwise)
 * are packed block-diagonally. DRAM traffic: weights at w bits, the input feature map at a bits, outputs at
 * `resultBits` (0: requantised on chip to the activation bits), with the weight/input buffer tiling rule
 * ({@link tiledTraffic}; `weightBufKB` / `inputBufKB` are the capacity one tile may use: half of a
 * double-buffered SRAM), so a layer is weight-, activation- or output-bound when memory-bound; compute and
 * transfers overlap, so latency = max of the two.
 * Energy: bricks x brick energy + accumulate per MAC, SRAM and DRAM bytes at 45 nm per-access energies.
 */
import { BitAcceleratorTarget, OUT, tiledTraffic } from './analytical.js';
import { loadTargetFile, num, paramValues, type TargetFile, tech45 } from './data.js';
import { bitFusionSchema, checkTargetParams } from './params-schema.js';
import type { Precision } from './precision.js';
import { KIND, type PreparedNetwork } from './prepared.js';

/** Parameters of {@link BitFusionTarget} (see targets/bitfusion-edge.json for sources). */
export interface BitFusionParams {
  readonly rows: number;
  readonly cols: number;
  readonly bricksPerUnit: number;
  readonly brickBits: number;
  readonly clockMHz: number;
  readonly weightBufKB: number;
  readonly inputBufKB: number;
  readonly outputBufKB: number;
  readonly dramGBps: number;
  /** Bits of each output written to DRAM; 0: the layer's activation bits (requantised in the output path). */
  readonly resultBits: number;
  readonly vectorOpsPerCycle: number;
  readonly fuse: boolean;
  readonly brickPj: number;
  readonly accumulatePj: number;
  readonly batch: number;
}

/** A BitFusion-style bit-flexible spatial accelerator. */
export class BitFusionTarget extends BitAcceleratorTarget {
  constructor(
    readonly name: string,
    readonly params: BitFusionParams,
    description = 'BitFusion-style bit-flexible array',
  ) {
    super(description, params, tech45().sram32kPer64pJ);
  }

  /** Products per Fusion Unit per cycle at (w, a): fractional (< 1) above 8 bits. */
  productsPerUnit(wBits: number, aBits: number): number {
    const p = this.params;
    const bricks = Math.ceil(wBits / p.brickBits) * Math.ceil(aBits / p.brickBits);
    return bricks <= p.bricksPerUnit ? Math.floor(p.bricksPerUnit / bricks) : p.bricksPerUnit / bricks;
  }

  protected override peakMacsPerCycle(p: Precision): number {
    return this.params.rows * this.params.cols * this.productsPerUnit(p.weightBits, p.actBits);
  }

  protected evalNode(net: PreparedNetwork, i: number, wb: number, ab: number, out: Float64Array): void {
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const kind = c.kind[i] as number;
    const inB = ((c.inElems[i] as number) * B * ab) / 8;
    if (kind !== KIND.conv && kind !== KIND.depthwise && kind !== KIND.dense) {
      const ops = this.vectorNodeCost(net, i, ab, p.vectorOpsPerCycle, this.hz, this.bwBps, out);
      const dram = out[OUT.dramBytes] as number;
      out[OUT.energyMj] = (ops * this.addPj + dram * (this.dramPjB + this.sramPjB)) * 1e-9;
      return;
    }
    const bricks = Math.ceil(wb / p.brickBits) * Math.ceil(ab / p.brickBits);
    let pf = 1;
    let tm = 1;
    if (bricks <= p.bricksPerUnit) pf = Math.floor(p.bricksPerUnit / bricks);
    else tm = Math.ceil(bricks / p.bricksPerUnit);
    const lanes = p.rows * pf;
    const G = c.gemmG[i] as number;
    const M = (c.gemmM[i] as number) * B;
    const K = c.gemmK[i] as number;
    const N = c.gemmN[i] as number;
    let packs = 1;
    if (G > 1) {
      const pk = Math.floor(lanes / K);
      const pn = Math.floor(p.cols / N);
      packs = Math.max(1, Math.min(pk, pn, G));
    }
    const kFolds = Math.ceil(K / lanes);
    const nFolds = Math.ceil(N / p.cols);
    const folds = Math.ceil(G / packs) * kFolds * nFolds;
    // folds pipeline back to back (weights of the next fold load while the current one streams, one row per cycle);
    // the array fills and drains once per layer
    const stream = M * tm;
    const cycles = folds * (stream > p.rows ? stream : p.rows) + p.rows + p.cols;
    const macs = (c.macs[i] as number) * B;
    const compS = cycles / this.hz;
    const wBytes = ((c.weightElems[i] as number) * wb) / 8 + (c.biasElems[i] as number) * 4;
    const outB = ((c.outElems[i] as number) * B * (p.resultBits > 0 ? p.resultBits : ab)) / 8;
    const dram = tiledTraffic(wBytes, inB, outB, p.weightBufKB * 1024, p.inputBufKB * 1024, out);
    const memS = dram / this.bwBps;
    // on-chip: weights read once, inputs streamed once per column fold, 32-bit partial sums read+written per row fold
    const onchip = wBytes + (M * K * G * nFolds * ab) / 8 + M * N * G * (2 * kFolds - 1) * 4;
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = 0;
    out[OUT.latencyMs] = (compS > memS ? compS : memS) * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = onchip;
    out[OUT.energyMj] = (macs * (bricks * p.brickPj + p.accumulatePj) + onchip * this.sramPjB + dram * this.dramPjB) * 1e-9;
    out[OUT.utilization] = (macs * tm) / (cycles * p.rows * p.cols * pf);
  }
}

/** Read BitFusion parameters from a target file with optional overrides. */
export function bitFusionFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): BitFusionTarget {
  const v = paramValues(file, overrides);
  checkTargetParams(bitFusionSchema, v, name);
  const n = (k: string): number => num(v, k, name);
  const params: BitFusionParams = {
    rows: n('rows'),
    cols: n('cols'),
    bricksPerUnit: n('bricksPerUnit'),
    brickBits: n('brickBits'),
    clockMHz: n('clockMHz'),
    weightBufKB: n('weightBufKB'),
    inputBufKB: n('inputBufKB'),
    outputBufKB: n('outputBufKB'),
    dramGBps: n('dramGBps'),
    resultBits: n('resultBits'),
    vectorOpsPerCycle: n('vectorOpsPerCycle'),
    fuse: v.fuse === true,
    brickPj: n('brickPj'),
    accumulatePj: n('accumulatePj'),
    batch: n('batch'),
  };
  return new BitFusionTarget(name, params, file.description);
}

/** The `bitfusion-edge` preset. */
export function bitFusionEdge(overrides: Readonly<Record<string, unknown>> = {}): BitFusionTarget {
  return bitFusionFromFile(loadTargetFile('bitfusion-edge'), overrides);
}
