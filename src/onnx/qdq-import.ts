/**
 * Reading QDQ ONNX back (the pattern src/onnx/qdq.ts writes): QuantizeLinear/DequantizeLinear pairs are folded
 * away into the float graph, and the bits they encode are kept per tensor so the importer can rebuild the
 * file's precision policy.
 * - weight: an int8 initializer of codes -> DequantizeLinear (per-tensor or per-axis 0 scale, zero point 0)
 *   becomes the float initializer codes x scale; a channel's bits are read from its largest |code|
 *   (symmetric b bits use codes up to 2^(b-1) - 1; codes only +-1 with no 0 are 1 bit, as the binary quantizer writes);
 * - bias: an int32 initializer of codes -> DequantizeLinear (per-tensor or per-axis 0 scale, zero point 0; the form
 *   our exporter and onnxruntime's quantizer write, scale = input scale x weight scale) becomes the float
 *   initializer codes x scale, which the conv/dense reads as its bias (32 bits, as it was stored);
 * - activation: [Clip(lo, hi) | Max(lo) -> Min(hi)] -> QuantizeLinear -> DequantizeLinear (uint8 or int8, same
 *   scale and zero point) becomes the tensor itself; its bits are those of the grid the clip leaves (8 without one).
 * Any other use of QuantizeLinear/DequantizeLinear is refused naming the node and what is supported.
 */
import type { onnx as O } from 'onnx-proto';
import { UnsupportedOpError } from '../errors.js';
import type { ConstTensor } from './proto.js';
import { readAttributes } from './proto.js';

/** What {@link foldQdq} found: the float graph's nodes and the bits of each quantized tensor. */
export interface QdqFold {
  /** The nodes without the Q/DQ (and their clipping) nodes, reading the float tensors instead. */
  readonly nodes: readonly O.INodeProto[];
  /** Dequantized weight initializer (a new float constant) -> bits of each of its output channels. */
  readonly weightBits: ReadonlyMap<string, readonly number[]>;
  /** Quantized activation tensor (the float tensor before the clip) -> bits (one entry, or one per channel). */
  readonly actBits: ReadonlyMap<string, readonly number[]>;
  /** Dequantized tensor name -> the float tensor it stands for (for graph outputs). */
  readonly alias: ReadonlyMap<string, string>;
}

const QDQ_PATTERN =
  'hwnas reads the QDQ pattern its own exporter (quantize --out) writes: int8 weight (or int32 bias) initializer -> DequantizeLinear, and activation [Clip | Max -> Min] -> QuantizeLinear -> DequantizeLinear with one scale and zero point';

/** Bits of a symmetric channel from its codes (see the module comment). */
function channelBits(codes: ArrayLike<number>, from: number, to: number): number {
  let m = 0;
  let zero = false;
  for (let i = from; i < to; i++) {
    const a = Math.abs(codes[i] as number);
    if (a > m) m = a;
    if (a === 0) zero = true;
  }
  if (m === 0) return 0; // unknowable: the caller takes the layer's widest
  if (m === 1) return zero ? 2 : 1;
  return Math.ceil(Math.log2(m + 1)) + 1;
}

/**
 * Fold the QDQ nodes of `nodes` (see the module comment); adds the dequantized weights to `consts` as float32.
 * Returns undefined when the graph has no QuantizeLinear/DequantizeLinear node.
 * @example const fold = foldQdq(graph.node ?? [], consts, 'q.onnx');
 */
export function foldQdq(nodes: readonly O.INodeProto[], consts: Map<string, ConstTensor>, where: string): QdqFold | undefined {
  if (!nodes.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear')) return undefined;
  const producer = new Map<string, number>();
  const users = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
    for (const t of n.input ?? []) if (t) users.set(t, (users.get(t) ?? 0) + 1);
  });
  const display = (n: O.INodeProto): string => n.name || `(unnamed ${n.opType ?? ''} node producing '${n.output?.[0] ?? ''}')`;
  const refuse = (n: O.INodeProto, why: string): UnsupportedOpError => new UnsupportedOpError(n.opType ?? '', display(n), `${why}; ${QDQ_PATTERN} (${where})`);
  const constOf = (n: O.INodeProto, k: number, what: string): ConstTensor => {
    const c = consts.get(n.input?.[k] ?? '');
    if (!c) throw refuse(n, `its ${what} (input ${k}) is not a constant initializer`);
    return c;
  };
  const nodeAt = (t: string, op: string): { n: O.INodeProto; i: number } | undefined => {
    const i = producer.get(t);
    const n = i === undefined ? undefined : nodes[i];
    return n && i !== undefined && n.opType === op && users.get(t) === 1 ? { n, i } : undefined;
  };
  const drop = new Set<number>();
  const alias = new Map<string, string>();
  const weightBits = new Map<string, number[]>();
  const actBits = new Map<string, number[]>();
  nodes.forEach((dq, i) => {
    if (dq.opType !== 'DequantizeLinear') return;
    const x = dq.input?.[0] ?? '';
    const out = dq.output?.[0] ?? '';
    const scale = constOf(dq, 1, 'scale');
    const zp = dq.input?.[2] ? constOf(dq, 2, 'zero point') : undefined;
    const axisAttr = readAttributes(dq, where).get('axis');
    const axis = typeof axisAttr === 'number' ? axisAttr : 1;
    drop.add(i);
    const codes = consts.get(x);
    if (codes) {
      // a weight: int8 codes, zero point 0, scale per tensor or per output channel (axis 0)
      if (codes.dtype === 'int32') {
        // a bias: int32 codes at input scale x weight scale, zero point 0
        if (zp?.data.some((z) => z !== 0)) throw refuse(dq, `bias '${x}' has a non-zero zero point, expected 0`);
        const n = codes.data.length;
        if (scale.data.length !== 1 && (scale.data.length !== n || axis !== 0))
          throw refuse(dq, `bias '${x}' has ${scale.data.length} scales on axis ${axis}, expected 1 or one per element on axis 0`);
        const data = Float32Array.from(codes.data, (v, k) => Math.fround(v * ((scale.data.length === 1 ? scale.data[0] : scale.data[k]) as number)));
        consts.set(out, { name: out, dims: codes.dims, dtype: 'float32', data });
        return;
      }
      if (codes.dtype !== 'int8') throw refuse(dq, `weight '${x}' holds ${codes.dtype} codes, expected int8 (or int32 for a bias)`);
      if (zp?.data.some((z) => z !== 0)) throw refuse(dq, `weight '${x}' has a non-zero zero point, expected symmetric codes (zero point 0)`);
      const outC = codes.dims[0] ?? 1;
      const per = codes.data.length / outC;
      if (scale.data.length !== 1 && (scale.data.length !== outC || axis !== 0))
        throw refuse(dq, `weight '${x}' has ${scale.data.length} scales on axis ${axis}, expected 1 or one per output channel on axis 0`);
      const data = new Float32Array(codes.data.length);
      const bits: number[] = [];
      for (let c = 0; c < outC; c++) {
        const s = (scale.data.length === 1 ? scale.data[0] : scale.data[c]) as number;
        for (let k = c * per; k < (c + 1) * per; k++) data[k] = Math.fround((codes.data[k] as number) * s);
        bits.push(channelBits(codes.data, c * per, (c + 1) * per));
      }
      const widest = Math.max(...bits, 1);
      consts.set(out, { name: out, dims: codes.dims, dtype: 'float32', data });
      weightBits.set(
        out,
        bits.map((b) => (b === 0 ? widest : b)),
      );
      return;
    }
    // an activation: QuantizeLinear with the same grid, optionally after the clip of a narrower grid
    const q = nodeAt(x, 'QuantizeLinear');
    if (!q) throw refuse(dq, `its input '${x}' is neither an int8 weight initializer nor the output of a QuantizeLinear read only by it`);
    const qs = constOf(q.n, 1, 'scale');
    const qz = q.n.input?.[2] ? constOf(q.n, 2, 'zero point') : undefined;
    const same = (a: ConstTensor | undefined, b: ConstTensor | undefined): boolean =>
      (a?.data.length ?? 0) === (b?.data.length ?? 0) && (a?.data ?? []).every((v, k) => v === b?.data[k]);
    if (!same(qs, scale) || !same(qz, zp)) throw refuse(dq, `its scale or zero point differs from those of QuantizeLinear '${display(q.n)}'`);
    const dtype = zp?.dtype ?? 'uint8';
    if (dtype !== 'uint8' && dtype !== 'int8') throw refuse(dq, `activation '${x}' has ${dtype} codes, expected uint8 or int8`);
    const C = scale.data.length;
    const [lo, hi] = dtype === 'uint8' ? [0, 255] : [-128, 127];
    let src = q.n.input?.[0] ?? '';
    drop.add(q.i);
    let qmax = new Array<number>(C).fill(hi);
    let qmin = new Array<number>(C).fill(lo);
    const grid = (v: ArrayLike<number>): number[] =>
      Array.from({ length: C }, (_, c) =>
        Math.round((v.length === 1 ? (v[0] as number) : (v[c] as number)) / (scale.data[c] as number) + ((zp?.data[c] as number) ?? 0)),
      );
    const clip = nodeAt(src, 'Clip');
    const min = nodeAt(src, 'Min');
    if (clip?.n.input?.[1] && clip.n.input?.[2]) {
      qmin = grid(constOf(clip.n, 1, 'clip minimum').data);
      qmax = grid(constOf(clip.n, 2, 'clip maximum').data);
      drop.add(clip.i);
      src = clip.n.input?.[0] ?? '';
    } else if (min) {
      const max = nodeAt(min.n.input?.[0] ?? '', 'Max');
      if (max) {
        qmax = grid(constOf(min.n, 1, 'clip maximum').data);
        qmin = grid(constOf(max.n, 1, 'clip minimum').data);
        drop.add(min.i);
        drop.add(max.i);
        src = max.n.input?.[0] ?? '';
      }
    }
    const bits = qmax.map((m, c) => {
      const b = Math.log2(m - (qmin[c] as number) + 1);
      if (!Number.isInteger(b) || b < 1 || b > 8)
        throw refuse(dq, `activation '${src}' channel ${c} has a grid of ${m - (qmin[c] as number) + 1} codes, expected 2^b codes with b in 1..8`);
      return b;
    });
    alias.set(out, src);
    actBits.set(src, bits);
  });
  const leftover = nodes.find((n, i) => n.opType === 'QuantizeLinear' && !drop.has(i));
  if (leftover) throw refuse(leftover, 'it is not read by exactly one DequantizeLinear');
  const resolve = (t: string): string => {
    let r = t;
    for (let k = 0; alias.has(r) && k < nodes.length; k++) r = alias.get(r) as string;
    return r;
  };
  // copies keep the decoded message's prototype (its field defaults)
  const kept = nodes
    .filter((_, i) => !drop.has(i))
    .map((n) => Object.assign(Object.create(Object.getPrototypeOf(n)) as O.INodeProto, n, { input: (n.input ?? []).map(resolve) }));
  return { nodes: kept, weightBits, actBits, alias: new Map([...alias.keys()].map((k) => [k, resolve(k)])) };
}
