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
 *
 * Session-33 modelling options (optional target parameters, the 2026-12-03 model is
 * {@link BITFUSION_SESSION31_CHOICES}; chosen on a pre-registered split of the authors' simulator output,
 * bench/cost-validation.ts):
 * - `mapping`: 'im2col' folds the whole k²·C_in reduction onto the rows; 'channel' folds C_in (per group) onto the
 *   rows once per kernel position (k² passes), as the BitFusion simulator and compiler do for every convolution
 *   that does not read the network input (that one, an image of at most {@link IMAGE_CHANNELS} channels, is
 *   im2col'd by the host); grouped and depthwise convolutions
 *   stay im2col'd and packed (not validated: the simulator's benchmarks have none); 'best' takes the faster of
 *   the two per layer.
 * - `stalls`: 'overlap' = max(compute, memory); 'edges' adds the first tile load and last output write that
 *   cannot overlap anything (the simulator's cycles = compute + stalls + first load + last write); 'serial' =
 *   compute + memory.
 * - `psum`: 'none'; 'spill': when the weights do not fit their buffer, the reduction is split into
 *   ceil(weights / buffer) slices and the outputs are written per slice and read back (partial sums in DRAM) instead of
 *   the inputs being re-read.
 *   Session 34 adds two values that tile the GEMM with all three buffers ({@link bitFusionTiles}): 'tiles' = the
 *   cheapest of pixel x output-channel x reduction-slice tilings and loop orders, partial sums held as 32-bit
 *   values in the output buffer (half of `outputBufKB`) and written / read back only when a reduction loop runs
 *   outside an output tile that no longer fits (first slice not read, last written at `resultBits`); 'dram' = the
 *   same search with the BitFusion simulator's convention that every output tile is read from DRAM before and
 *   written after each visit as 32-bit values padded to the columns (so even an unsplit reduction moves the
 *   outputs twice). Grouped/depthwise convolutions keep the operand tiling.
 * Energy: bricks x brick energy + accumulate per MAC, SRAM and DRAM bytes at 45 nm per-access energies.
 */
import { ConfigError } from '../errors.js';
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
  /** How a convolution's reduction is folded onto the rows (see the module comment). */
  readonly mapping: 'im2col' | 'channel' | 'best';
  /** How memory time and compute time combine. */
  readonly stalls: 'overlap' | 'edges' | 'serial';
  /** Partial sums spilled to DRAM when the weights do not fit ('spill'), or tiled with an output buffer ('tiles', 'dram'). */
  readonly psum: 'none' | 'spill' | 'tiles' | 'dram';
}

/**
 * Input channels up to which `mapping: 'channel'` still lowers a convolution with im2col: an image (1-4 channels) is
 * the network's input, which the BitFusion host lowers with im2col (every input layer of the simulator's
 * benchmarks reads 1 or 3 channels, no inner layer fewer than 32). A rule on the layer alone, so a layer costs the
 * same inside a network and on its own.
 */
export const IMAGE_CHANNELS = 4;

/** The 2026-12-03 (session 31) model: `bitfusion-edge?mapping=im2col&stalls=overlap&psum=none`. */
export const BITFUSION_SESSION31_CHOICES = { mapping: 'im2col', stalls: 'overlap', psum: 'none' } as const;

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
    if (this.vectorNode(net, i, ab, this.vectorUnit, out)) return;
    const p = this.params;
    const c = net.col;
    const B = this.batch;
    const kind = c.kind[i] as number;
    const inB = ((c.inElems[i] as number) * B * ab) / 8;
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
    const nFolds = Math.ceil(N / p.cols);
    // a fold of `k` reduction lanes: groups packed block-diagonally while they fit, then k folds per group
    const foldsFor = (k: number, passes: number): [number, number] => {
      let packs = 1;
      if (G > 1) packs = Math.max(1, Math.min(Math.floor(lanes / k), Math.floor(p.cols / N), G));
      const kf = passes * Math.ceil(k / lanes);
      return [Math.ceil(G / packs) * kf * nFolds, kf];
    };
    let [folds, kFolds] = foldsFor(K, 1);
    let passes = 1;
    const taps = kind === KIND.dense ? 1 : (c.kh[i] as number) * (c.kw[i] as number);
    // channel-wise only for dense-reduction convolutions reading more than IMAGE_CHANNELS channels: an image input
    // (the network's input) is im2col'd by the host, and a grouped/depthwise conv's few channels per group would
    // leave the rows idle for k² passes, so its taps stay im2col'd and its groups packed (the simulator has no such layers)
    if (p.mapping !== 'im2col' && taps > 1 && G === 1 && (p.mapping === 'best' || K / taps > IMAGE_CHANNELS)) {
      const [f, kf] = foldsFor(K / taps, taps);
      if (p.mapping === 'channel' || f < folds) [folds, kFolds, passes] = [f, kf, taps];
    }
    // folds pipeline back to back (weights of the next fold load while the current one streams, one row per cycle);
    // the array fills and drains once per layer
    const stream = M * tm;
    const cycles = folds * (stream > p.rows ? stream : p.rows) + p.rows + p.cols;
    const macs = (c.macs[i] as number) * B;
    const compS = cycles / this.hz;
    const wBytes = ((c.weightElems[i] as number) * wb) / 8 + (c.biasElems[i] as number) * 4;
    const outB = ((c.outElems[i] as number) * B * (p.resultBits > 0 ? p.resultBits : ab)) / 8;
    const wBuf = p.weightBufKB * 1024;
    let dram: number;
    let edgeBytes = -1;
    if ((p.psum === 'tiles' || p.psum === 'dram') && G === 1) {
      const t = bitFusionTiles(
        {
          pixels: M,
          reduce: kFolds / passes,
          outC: N,
          weightBytes: wBytes,
          inputBytes: inB,
          outputBytes: outB,
          paddedOutC: Math.ceil(N / p.cols) * p.cols,
        },
        {
          cols: p.cols,
          weightBuf: wBuf,
          inputBuf: p.inputBufKB * 1024,
          outputBuf: (p.outputBufKB * 1024) / 2,
          dram: p.psum === 'dram',
          edges: p.stalls === 'edges',
          computeBytes: compS * this.bwBps,
        },
      );
      out[OUT.weightDramBytes] = t.weightBytes;
      out[OUT.actDramBytes] = t.inputBytes;
      dram = t.weightBytes + t.inputBytes + t.outputBytes;
      edgeBytes = t.edgeBytes;
    } else if (p.psum === 'spill' && wBytes > wBuf) {
      // reduction split into weight-buffer slices: inputs and weights read once, each slice's partial sums written
      // and (except the first) read back
      const slices = Math.ceil(wBytes / wBuf);
      const spilled = wBytes + inB + outB * (2 * slices - 1);
      const tiled = tiledTraffic(wBytes, inB, outB, wBuf, p.inputBufKB * 1024, out);
      if (spilled < tiled) {
        out[OUT.weightDramBytes] = wBytes;
        out[OUT.actDramBytes] = inB;
        dram = spilled;
      } else dram = tiled;
    } else dram = tiledTraffic(wBytes, inB, outB, wBuf, p.inputBufKB * 1024, out);
    const memS = dram / this.bwBps;
    let latS = compS > memS ? compS : memS;
    if (p.stalls === 'serial') latS = compS + memS;
    else if (p.stalls === 'edges') {
      // the first weight and input tiles must arrive before compute starts; the last output tile leaves after it
      const edge =
        (edgeBytes >= 0 ? edgeBytes : Math.min(wBytes, wBuf) + Math.min(inB, p.inputBufKB * 1024) + Math.min(outB, (p.outputBufKB * 1024) / 2)) / this.bwBps;
      const rest = memS - edge;
      latS = (compS > rest ? compS : rest) + edge;
    }
    // on-chip: weights read once, inputs streamed once per column fold, 32-bit partial sums read+written per row fold
    const onchip = wBytes + (M * K * G * nFolds * ab) / 8 + M * N * G * (2 * kFolds - 1) * 4;
    out[OUT.computeMs] = compS * 1e3;
    out[OUT.memoryMs] = memS * 1e3;
    out[OUT.overheadMs] = 0;
    out[OUT.latencyMs] = latS * 1e3;
    out[OUT.dramBytes] = dram;
    out[OUT.onchipBytes] = onchip;
    out[OUT.energyMj] = (macs * (bricks * p.brickPj + p.accumulatePj) + onchip * this.sramPjB + dram * this.dramPjB) * 1e-9;
    out[OUT.utilization] = (macs * tm) / (cycles * p.rows * p.cols * pf);
  }
}

/** Read BitFusion parameters from a target file with optional overrides. */
export function bitFusionFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): BitFusionTarget {
  const v = paramValues(file, overrides, BITFUSION_SESSION31_CHOICES);
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
    ...bitFusionChoices(v, name),
  };
  return new BitFusionTarget(name, params, file.description);
}

/** The session-33 modelling options of a target file; a file without them gets {@link BITFUSION_SESSION31_CHOICES}. */
function bitFusionChoices(v: Readonly<Record<string, unknown>>, name: string): Pick<BitFusionParams, 'mapping' | 'stalls' | 'psum'> {
  const d = BITFUSION_SESSION31_CHOICES;
  const pick = <T>(key: string, ok: readonly T[], def: T): T => {
    const x = v[key] ?? def;
    if (!ok.includes(x as T))
      throw new ConfigError(`target '${name}': parameter '${key}' is ${JSON.stringify(x)}, expected one of ${ok.map((o) => JSON.stringify(o)).join(', ')}`);
    return x as T;
  };
  return {
    mapping: pick('mapping', ['im2col', 'channel', 'best'] as const, d.mapping),
    stalls: pick('stalls', ['overlap', 'edges', 'serial'] as const, d.stalls),
    psum: pick('psum', ['none', 'spill', 'tiles', 'dram'] as const, d.psum),
  };
}

/** The `bitfusion-edge` preset. */
export function bitFusionEdge(overrides: Readonly<Record<string, unknown>> = {}): BitFusionTarget {
  return bitFusionFromFile(loadTargetFile('bitfusion-edge'), overrides);
}

/** A dense-reduction GEMM for {@link bitFusionTiles} (bytes at the layer's bit widths). */
export interface TileLayer {
  /** Output pixels x batch (M). */
  readonly pixels: number;
  /** Reduction in array passes: ceil(reduction per pass / lanes); the reduction may be split into at most this many slices. */
  readonly reduce: number;
  readonly outC: number;
  readonly weightBytes: number;
  readonly inputBytes: number;
  /** Outputs at the result bits. */
  readonly outputBytes: number;
  /** Output channels padded to the columns. */
  readonly paddedOutC: number;
}

/** Buffers (bytes one tile may use) and conventions of {@link bitFusionTiles}. */
export interface TileBuffers {
  readonly cols: number;
  readonly weightBuf: number;
  readonly inputBuf: number;
  readonly outputBuf: number;
  /** The simulator's convention: every output-tile visit reads and writes 32-bit values padded to the columns. */
  readonly dram: boolean;
  /** Choose by compute + first-tile load + last-tile write ('edges'), else by max(compute, traffic). */
  readonly edges: boolean;
  /** Compute time in DRAM bytes (compute seconds x bandwidth), for choosing the tiling by latency. */
  readonly computeBytes: number;
}

/** DRAM bytes per operand of the cheapest tiling, and the first loads + last write that cannot overlap compute. */
export interface TileTraffic {
  readonly weightBytes: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly edgeBytes: number;
}

const PSUM_BYTES = 4;

/**
 * Tile a GEMM (pixels x reduction x output channels) over three loops P (pixel tiles), N (output-channel tiles, a
 * multiple of the columns) and S (reduction slices), tile sizes halving from the whole dimension, in each of the
 * six loop orders. Weights depend on N and S, inputs on P and S, outputs on P and N. Going from the innermost
 * loop outwards, an operand's footprint grows with the loops it depends on; a loop it does not depend on re-reads
 * it only once that footprint has outgrown its buffer. Output tiles hold 32-bit partial sums; an output visited
 * e times is written e times and read back e - 1 times (the last write at the result bits), or, with `dram`, read
 * and written e times at 32 bits padded to the columns. Candidates whose tiles exceed a buffer are skipped (if
 * none fits, the smallest tiles are taken). The chosen tiling has the lowest latency in bytes (max(compute,
 * traffic), or with `edges` compute-or-rest plus the first weight / input tiles and the last output tile), then
 * the least traffic.
 */
export function bitFusionTiles(l: TileLayer, b: TileBuffers): TileTraffic {
  const M = Math.max(1, l.pixels);
  const S0 = Math.max(1, l.reduce);
  const Np = Math.max(b.cols, l.paddedOutC);
  const outPsum = M * (b.dram ? Np : l.outC) * PSUM_BYTES;
  const sizes = (whole: number, step: number): number[] => {
    const r: number[] = [];
    for (let t = whole; ; t = Math.ceil(t / 2 / step) * step) {
      if (r[r.length - 1] !== t) r.push(t);
      if (t <= step) break;
    }
    return r;
  };
  const ms = sizes(M, 1);
  const ns = sizes(Np, b.cols);
  const ss: number[] = [];
  for (let s = 1; ; s *= 2) {
    ss.push(Math.min(s, S0));
    if (s >= S0) break;
  }
  // operand dependence on loops [P, N, S]
  const deps = [
    [false, true, true], // weights
    [true, false, true], // inputs
    [true, true, false], // outputs
  ] as const;
  const orders = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ] as const;
  let best: (TileTraffic & { lat: number; total: number }) | undefined;
  let fallback: TileTraffic | undefined;
  for (const m of ms)
    for (const n of ns)
      for (const s of ss) {
        const counts = [Math.ceil(M / m), Math.ceil(Np / n), s];
        const tiles = [(l.weightBytes * n) / Np / s, (l.inputBytes * m) / M / s, (outPsum * m * n) / M / Np];
        const bufs = [b.weightBuf, b.inputBuf, b.outputBuf];
        const fits = tiles.every((t, i) => t <= (bufs[i] as number));
        const smallest = m === ms[ms.length - 1] && n === ns[ns.length - 1] && s === ss[ss.length - 1];
        if (!fits && !smallest) continue;
        for (const o of orders) {
          // visits[i]: how many times operand i's whole tensor moves (1 = once)
          const visits = deps.map((dep, i) => {
            let foot = tiles[i] as number;
            let moves = 1;
            for (let j = 2; j >= 0; j--) {
              const loop = o[j] as number;
              const c = counts[loop] as number;
              if (dep[loop]) foot *= c;
              else if (foot > (bufs[i] as number)) moves *= c;
            }
            return moves;
          });
          const w = l.weightBytes * (visits[0] as number);
          const x = l.inputBytes * (visits[1] as number);
          const e = visits[2] as number;
          const y = b.dram ? 2 * e * outPsum : l.outputBytes + (e - 1) * 2 * outPsum;
          const outLast = b.dram ? (tiles[2] as number) : ((tiles[2] as number) * l.outputBytes) / outPsum;
          const edge = (tiles[0] as number) + (tiles[1] as number) + (b.dram ? 2 : 1) * outLast;
          const total = w + x + y;
          const lat = b.edges ? Math.max(b.computeBytes, total - edge) + edge : Math.max(b.computeBytes, total);
          const cand = { weightBytes: w, inputBytes: x, outputBytes: y, edgeBytes: edge };
          if (!fits) {
            fallback = cand;
            continue;
          }
          if (!best || lat < best.lat || (lat === best.lat && total < best.total)) best = { ...cand, lat, total };
        }
      }
  const r = best ?? (fallback as TileTraffic);
  return { weightBytes: r.weightBytes, inputBytes: r.inputBytes, outputBytes: r.outputBytes, edgeBytes: r.edgeBytes };
}
