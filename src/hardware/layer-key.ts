/**
 * The canonical description of one layer instance for lookup tables and learned cost models:
 * op, input/output shapes, kernel, stride, groups and bits, with a stable string key.
 *
 * Key grammar (one line, fields separated by `|`):
 * `<op>|in=<CxHxW>[+<shape>...]|out=<shape>|k=<kh>x<kw>|s=<sh>x<sw>|g=<groups>|w=<weightBits>|a=<actBits>`
 * for conv2d; dense has `k=1x1|s=1x1|g=1`; other ops have `k=-|s=-|g=-|w=-` and `ops=<element ops>`
 * (which distinguishes e.g. pooling windows). Example:
 * `conv2d|in=32x112x112|out=32x112x112|k=3x3|s=1x1|g=32|w=8|a=8`.
 */
import { ConfigError } from '../errors.js';
import { opKind } from '../ir/ops/registry.js';
import type { OpType, Shape } from '../ir/types.js';
import type { Workload } from '../ir/workload.js';
import type { Precision } from './precision.js';

/** One layer instance as a lookup table or a predictor sees it. */
export interface LayerDescriptor {
  readonly op: string;
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  /** conv/dense only. */
  readonly kernel?: readonly [number, number];
  readonly stride?: readonly [number, number];
  readonly groups?: number;
  /** conv/dense only. */
  readonly weightBits?: number;
  readonly actBits: number;
  /** Element ops (non conv/dense). */
  readonly elementOps?: number;
}

const shapeStr = (s: Shape): string => (s.length === 0 ? 'scalar' : s.join('x'));
const numel = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** Describe a workload at a precision. */
export function describeLayer(w: Workload, p: Precision): LayerDescriptor {
  if (w.conv) {
    const c = w.conv;
    return {
      op: w.op,
      inShapes: w.inShapes,
      outShape: w.outShape,
      kernel: c.kernel,
      stride: c.stride,
      groups: c.groups,
      weightBits: p.weightBits,
      actBits: p.actBits,
    };
  }
  if (w.op === 'dense')
    return { op: w.op, inShapes: w.inShapes, outShape: w.outShape, kernel: [1, 1], stride: [1, 1], groups: 1, weightBits: p.weightBits, actBits: p.actBits };
  return { op: w.op, inShapes: w.inShapes, outShape: w.outShape, actBits: p.actBits, elementOps: w.elementOps };
}

/** The canonical key string of a descriptor. */
export function layerKey(d: LayerDescriptor): string {
  const head = `${d.op}|in=${d.inShapes.length === 0 ? '-' : d.inShapes.map(shapeStr).join('+')}|out=${shapeStr(d.outShape)}`;
  if (d.kernel && d.stride && d.groups !== undefined && d.weightBits !== undefined) {
    return `${head}|k=${d.kernel[0]}x${d.kernel[1]}|s=${d.stride[0]}x${d.stride[1]}|g=${d.groups}|w=${d.weightBits}|a=${d.actBits}`;
  }
  return `${head}|k=-|s=-|g=-|w=-|a=${d.actBits}|ops=${d.elementOps ?? 0}`;
}

/** The key of a workload at a precision. */
export function workloadKey(w: Workload, p: Precision): string {
  return layerKey(describeLayer(w, p));
}

function parseShape(s: string, key: string): number[] {
  if (s === 'scalar') return [];
  const v = s.split('x').map(Number);
  if (v.some((x) => !Number.isInteger(x) || x <= 0)) throw new ConfigError(`layer key '${key}': bad shape '${s}' (expected e.g. 32x56x56)`);
  return v;
}

function pair(s: string, key: string): [number, number] {
  const [a, b] = s.split('x').map(Number);
  if (!Number.isInteger(a) || !Number.isInteger(b)) throw new ConfigError(`layer key '${key}': bad pair '${s}' (expected e.g. 3x3)`);
  return [a as number, b as number];
}

/** Parse a key back into a descriptor (ConfigError on a malformed key). */
export function parseLayerKey(key: string): LayerDescriptor {
  const parts = key.split('|');
  const op = parts[0] ?? '';
  const f: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new ConfigError(`layer key '${key}': field '${p}' is not name=value`);
    f[p.slice(0, eq)] = p.slice(eq + 1);
  }
  for (const k of ['in', 'out', 'k', 's', 'g', 'w', 'a']) {
    if (f[k] === undefined) throw new ConfigError(`layer key '${key}': missing field '${k}=' (expected ${'<op>|in=..|out=..|k=..|s=..|g=..|w=..|a=..'})`);
  }
  const inShapes = f.in === '-' ? [] : (f.in as string).split('+').map((s) => parseShape(s, key));
  const outShape = parseShape(f.out as string, key);
  const actBits = Number(f.a);
  if (f.k === '-') return { op, inShapes, outShape, actBits, elementOps: Number(f.ops ?? 0) };
  return { op, inShapes, outShape, kernel: pair(f.k as string, key), stride: pair(f.s as string, key), groups: Number(f.g), weightBits: Number(f.w), actBits };
}

/** Op kind code used as a feature (from the op registry's kind): 0 free, 1 conv, 2 depthwise, 3 dense, 4 element-wise, 5 pool. */
export function opKindCode(op: string, groups?: number, inChannels?: number): number {
  switch (opKind(op)) {
    case 'conv':
      return groups !== undefined && groups > 1 && groups === inChannels ? 2 : 1;
    case 'dense':
      return 3;
    case 'pool':
      return 5;
    case 'free':
      return 0;
    default:
      return 4;
  }
}

/** Names of {@link layerFeatures}' entries. */
export const FEATURE_NAMES: readonly string[] = [
  'kind',
  'log2_macs',
  'log2_in_elems',
  'log2_out_elems',
  'log2_weight_elems',
  'kernel',
  'stride',
  'log2_groups',
  'log2_in_channels',
  'log2_out_channels',
  'log2_out_pixels',
  'weight_bits',
  'act_bits',
  'log2_element_ops',
  'log2_bit_ops',
  'log2_bytes',
];

/** Numeric features of a descriptor (for learned cost models). */
export function layerFeatures(d: LayerDescriptor): number[] {
  const inE = d.inShapes.reduce((s, x) => s + numel(x), 0);
  const outE = numel(d.outShape);
  const cin = d.inShapes[0]?.[0] ?? 1;
  const cout = d.outShape[0] ?? 1;
  const g = d.groups ?? 1;
  const kh = d.kernel?.[0] ?? 1;
  const kw = d.kernel?.[1] ?? 1;
  let macs = 0;
  let wE = 0;
  if (d.op === 'conv2d') {
    macs = outE * (cin / g) * kh * kw;
    wE = cout * (cin / g) * kh * kw;
  } else if (d.op === 'dense') {
    macs = inE * outE;
    wE = macs;
  }
  const wb = d.weightBits ?? 0;
  const ab = d.actBits;
  const pix = d.outShape.length >= 3 ? (d.outShape[1] as number) * (d.outShape[2] as number) : 1;
  const l2 = (x: number): number => Math.log2(1 + x);
  return [
    opKindCode(d.op, d.groups, cin),
    l2(macs),
    l2(inE),
    l2(outE),
    l2(wE),
    kh,
    d.stride?.[0] ?? 0,
    Math.log2(g),
    l2(cin),
    l2(cout),
    l2(pix),
    wb,
    ab,
    l2(d.elementOps ?? 0),
    l2(macs * Math.max(wb, ab)),
    l2((wE * wb + (inE + outE) * ab) / 8),
  ];
}

/** True for ops that cost nothing on every target (graph plumbing: the registry's 'free' kind). */
export function isFreeOp(op: OpType | string): boolean {
  return opKind(op) === 'free';
}
