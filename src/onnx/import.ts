import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { onnx as O } from 'onnx-proto';
import { HwnasError, ModelFormatError, ShapeError, UnsupportedOpError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { inferNodeShape, inferShapes, samePads } from '../ir/shapes.js';
import type { Graph, Model, Node, Pads, Shape, Weights } from '../ir/types.js';
import { HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA } from './export.js';
import { type AttrValue, type ConstTensor, cleanF32, constF32, constNumbers, decodeTensor, onnx, readAttributes, toNum } from './proto.js';

/** ONNX operator types the importer understands (default domain). */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
  'Conv', 'Gemm', 'MatMul', 'BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Mul', 'Add',
  'Concat', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape', 'Softmax', 'Resize', 'Upsample',
  'Identity', 'Dropout', 'Constant',
];
const SUPPORTED = new Set(SUPPORTED_ONNX_OPS);

/** Lowest and highest default-domain opset the importer accepts. */
export const IMPORT_OPSET_RANGE: readonly [number, number] = [7, 22];

/** Largest float32, ONNX's default Clip bounds. */
const FLT_MAX = 3.4028234663852886e38;

/** Options of {@link importOnnx}. */
export interface ImportOptions {
  /** Per-sample input shape to use when the file's input has symbolic spatial dimensions. */
  readonly inputShape?: Shape;
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Import an ONNX model (opsets 7-22, the ops in {@link SUPPORTED_ONNX_OPS}) as an IR model. The batch
 * dimension of the single graph input is dropped. Throws {@link UnsupportedOpError} naming the op type
 * and node for an operator hwnas cannot represent, and {@link ModelFormatError} naming `source` for a
 * truncated, corrupt or inconsistent file.
 * @example
 * const model = importOnnx(readFileSync('net.onnx'), 'net.onnx');
 */
export function importOnnx(bytes: Uint8Array, source = 'ONNX model', opts: ImportOptions = {}): Model {
  if (bytes.byteLength === 0) throw new ModelFormatError(`${source}: the file is empty, expected an ONNX model`);
  let model: O.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(`${source}: not a valid ONNX protobuf (${errMsg(e)}); the file is truncated or corrupt`);
  }
  try {
    return convert(model, source, opts);
  } catch (e) {
    if (e instanceof ShapeError) throw new ModelFormatError(`${source}: inconsistent model: ${e.message}`);
    if (e instanceof HwnasError) throw e;
    throw new ModelFormatError(`${source}: malformed ONNX model (${errMsg(e)})`);
  }
}

/** Read and import an ONNX file; errors name the path. */
export function loadOnnx(path: string, opts: ImportOptions = {}): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelFormatError(`cannot read ONNX file '${path}': ${errMsg(e)}`);
  }
  return importOnnx(bytes, path, opts);
}

function convert(model: O.ModelProto, where: string, opts: ImportOptions): Model {
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opsetEntry) throw new ModelFormatError(`${where}: no opset_import for the default ONNX domain (truncated or corrupt file?)`);
  const opset = toNum(opsetEntry.version);
  if (opset < IMPORT_OPSET_RANGE[0] || opset > IMPORT_OPSET_RANGE[1]) {
    throw new ModelFormatError(`${where}: opset ${opset} is not supported (expected ${IMPORT_OPSET_RANGE[0]} to ${IMPORT_OPSET_RANGE[1]})`);
  }
  const g = model.graph;
  if (!g) throw new ModelFormatError(`${where}: the model has no graph (truncated or corrupt file?)`);
  const nodes = g.node ?? [];
  if (nodes.length === 0) throw new ModelFormatError(`${where}: the graph has no nodes (truncated or corrupt file?)`);
  const display = (n: O.INodeProto): string => n.name || `(unnamed ${n.opType ?? ''} node producing '${n.output?.[0] ?? ''}')`;

  // Unsupported operators first, all named in one error.
  const bad = nodes.filter((n) => (n.domain && n.domain !== 'ai.onnx') || !SUPPORTED.has(n.opType ?? ''));
  if (bad.length) {
    const first = bad[0] as O.INodeProto;
    const opName = (n: O.INodeProto): string => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType ?? ''}` : n.opType ?? '');
    const others = [...new Set(bad.slice(1).map(opName))].filter((t) => t !== opName(first));
    throw new UnsupportedOpError(
      opName(first),
      display(first),
      `${bad.length} unsupported node(s)${others.length ? `, also ${others.join(', ')}` : ''}; supported: ${SUPPORTED_ONNX_OPS.join(', ')}`,
    );
  }

  // Constants: initializers and Constant nodes.
  const consts = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', decodeTensor(t, where));
  for (const n of nodes) if (n.opType === 'Constant') consts.set(n.output?.[0] ?? '', constantNodeValue(n, where));

  // The one real graph input.
  const realInputs = (g.input ?? []).filter((v) => !consts.has(v.name ?? ''));
  if (realInputs.length !== 1) {
    throw new ModelFormatError(
      `${where}: expected exactly one graph input besides initializers, found ${realInputs.length} (${realInputs.map((v) => `'${v.name ?? ''}'`).join(', ')})`,
    );
  }
  const gin = realInputs[0] as O.IValueInfoProto;
  const inputName = gin.name ?? '';
  if (!inputName) throw new ModelFormatError(`${where}: the graph input has no name`);
  const tt = gin.type?.tensorType;
  if (!tt) throw new ModelFormatError(`${where}: input '${inputName}' is not a tensor`);
  if (tt.elemType !== 1) throw new ModelFormatError(`${where}: input '${inputName}' has element type ${tt.elemType ?? 0}, expected float32 (1)`);
  const dims = tt.shape?.dim ?? [];
  let fixedBatch: number | undefined;
  let perSample: number[];
  if (dims.length < 2 && !opts.inputShape) {
    throw new ModelFormatError(`${where}: input '${inputName}' has rank ${dims.length}, expected a batch dimension plus at least one more`);
  }
  if (dims[0]?.dimValue !== undefined && dims[0]?.dimValue !== null && toNum(dims[0].dimValue) > 0) fixedBatch = toNum(dims[0].dimValue);
  if (opts.inputShape) perSample = [...opts.inputShape];
  else {
    perSample = dims.slice(1).map((d, i) => {
      const v = toNum(d.dimValue);
      if (!(v > 0)) {
        throw new ModelFormatError(
          `${where}: input '${inputName}' dimension ${i + 1} is ${d.dimParam ? `symbolic '${d.dimParam}'` : 'unknown'}; expected a fixed size (pass inputShape)`,
        );
      }
      return v;
    });
  }

  // Producers and consumers of every tensor.
  const producer = new Map<string, number>();
  const users = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
    for (const t of n.input ?? []) if (t) users.set(t, [...(users.get(t) ?? []), i]);
  });
  const graphOutputs = (g.output ?? []).map((o) => o.name ?? '');
  for (const o of graphOutputs) users.set(o, [...(users.get(o) ?? []), -1]);
  const useCount = (t: string): number => users.get(t)?.length ?? 0;

  // Patterns folded into one IR node.
  const skip = new Set<number>();
  const foldAct = new Map<number, { op: 'swish' | 'hardswish'; x: string }>();
  const foldBias = new Map<number, { add: number; bias: ConstTensor }>();
  const isHardSigmoid16 = (n: O.INodeProto): boolean => {
    const a = readAttributes(n, where);
    return Math.abs(Number(a.get('alpha') ?? 0.2) - HARD_SIGMOID_ALPHA) < 1e-6 && Math.abs(Number(a.get('beta') ?? 0.5) - HARD_SIGMOID_BETA) < 1e-6;
  };
  nodes.forEach((n, i) => {
    const ins = n.input ?? [];
    if (n.opType === 'Mul' && ins.length === 2) {
      for (const [x, s] of [
        [ins[0], ins[1]],
        [ins[1], ins[0]],
      ] as Array<[string, string]>) {
        const p = producer.get(s);
        const pn = p === undefined ? undefined : nodes[p];
        if (!pn || p === undefined || pn.input?.[0] !== x || useCount(s) !== 1 || x === s) continue;
        if (pn.opType === 'Sigmoid' || (pn.opType === 'HardSigmoid' && isHardSigmoid16(pn))) {
          foldAct.set(i, { op: pn.opType === 'Sigmoid' ? 'swish' : 'hardswish', x });
          skip.add(p);
          break;
        }
      }
    }
    if (n.opType === 'MatMul' && consts.has(ins[1] ?? '') && !consts.has(ins[0] ?? '')) {
      const out = n.output?.[0] ?? '';
      const u = users.get(out) ?? [];
      const j = u[0];
      const an = j === undefined || j < 0 ? undefined : nodes[j];
      if (u.length === 1 && an && j !== undefined && an.opType === 'Add' && (an.input ?? []).length === 2) {
        const other = an.input?.[0] === out ? an.input?.[1] : an.input?.[0];
        const bias = consts.get(other ?? '');
        const w = consts.get(ins[1] ?? '');
        if (bias && w && w.dims.length === 2 && bias.data.length === w.dims[1] && bias.dims.filter((d) => d !== 1).length <= 1) {
          foldBias.set(i, { add: j, bias });
          skip.add(j);
        }
      }
    }
  });

  // Names: ONNX node names when unique and non-empty, otherwise generated.
  const nameCount = new Map<string, number>();
  for (const n of nodes) if (n.name) nameCount.set(n.name, (nameCount.get(n.name) ?? 0) + 1);
  const taken = new Set<string>([inputName]);
  const keepName = (n: O.INodeProto): boolean => !!n.name && nameCount.get(n.name) === 1 && n.name !== inputName;
  for (const n of nodes) if (keepName(n)) taken.add(n.name as string);
  const alloc = (n: O.INodeProto): string => {
    if (keepName(n)) return n.name as string;
    const base = n.output?.[0] || (n.opType ?? 'node').toLowerCase();
    let c = base;
    for (let k = 1; taken.has(c); k++) c = `${base}_${k}`;
    taken.add(c);
    return c;
  };

  const irNodes: Node[] = [];
  const shapes = new Map<string, Shape>();
  const tensorIr = new Map<string, string>();
  const weights: Weights = new Map();
  const addIr = (node: Node): void => {
    shapes.set(node.name, inferNodeShape(node, node.inputs.map((t) => shapes.get(t) as Shape)));
    irNodes.push(node);
  };
  addIr({ op: 'input', name: inputName, inputs: [], shape: perSample });
  tensorIr.set(inputName, inputName);

  nodes.forEach((n, i) => {
    if (skip.has(i) || n.opType === 'Constant') return;
    const op = n.opType as string;
    const disp = display(n);
    const ins = n.input ?? [];
    const attrs = readAttributes(n, where);
    const unsupported = (detail: string): UnsupportedOpError => new UnsupportedOpError(op, disp, detail);
    const bad = (detail: string): ModelFormatError => new ModelFormatError(`${where}: node '${disp}' (${op}): ${detail}`);
    const act = (k: number): string => {
      const t = ins[k];
      if (!t) throw bad(`input ${k} is missing`);
      if (consts.has(t)) throw unsupported(`input ${k} ('${t}') is a constant; hwnas takes constants only as weights, shapes and parameters`);
      const ir = tensorIr.get(t);
      if (!ir) throw bad(`reads tensor '${t}', which no earlier node produces (truncated, corrupt or unsorted graph)`);
      return ir;
    };
    const cst = (k: number, what: string): ConstTensor | undefined => {
      const t = ins[k];
      if (!t) return undefined;
      const c = consts.get(t);
      if (c) return c;
      if (tensorIr.has(t)) throw unsupported(`${what} (input ${k}, '${t}') must be a constant initializer, not a computed tensor`);
      throw bad(`${what} '${t}' is neither an initializer nor produced by any node (missing initializer?)`);
    };
    const need = (k: number, what: string): ConstTensor => {
      const c = cst(k, what);
      if (!c) throw bad(`${what} (input ${k}) is missing`);
      return c;
    };
    const int = (k: string, d: number): number => {
      const v = attrs.get(k);
      return typeof v === 'number' ? v : d;
    };
    const ints = (k: string): number[] | undefined => {
      const v = attrs.get(k);
      return Array.isArray(v) ? [...(v as number[])] : undefined;
    };
    const str = (k: string, d: string): string => {
      const v = attrs.get(k);
      return typeof v === 'string' ? v : d;
    };
    const shapeOf = (ir: string): Shape => shapes.get(ir) as Shape;
    const finish = (node: Node): void => {
      addIr(node);
      tensorIr.set(n.output?.[0] ?? '', node.name);
      (n.output ?? []).slice(1).forEach((o, k) => {
        if (o && useCount(o) > 0) throw unsupported(`output ${k + 1} ('${o}') is used; hwnas supports only the first output`);
      });
    };
    const pads2d = (x: Shape, k: readonly [number, number], s: readonly [number, number], d: readonly [number, number]): Pads => {
      const autoPad = str('auto_pad', 'NOTSET');
      if (autoPad === 'VALID') return [0, 0, 0, 0];
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        const p = samePads(x[1] as number, x[2] as number, k, s, d);
        return autoPad === 'SAME_UPPER' ? p : [p[2], p[3], p[0], p[1]];
      }
      if (autoPad !== 'NOTSET' && autoPad !== '') throw bad(`auto_pad '${autoPad}' is invalid (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)`);
      const p = ints('pads') ?? [0, 0, 0, 0];
      if (p.length !== 4) throw unsupported(`pads [${p.join(',')}] are not 2-D (expected 4 values)`);
      return [p[0] as number, p[1] as number, p[2] as number, p[3] as number];
    };
    const pair = (k: string, d: number): [number, number] => {
      const v = ints(k) ?? [d, d];
      if (v.length !== 2) throw unsupported(`${k} [${v.join(',')}] is not 2-D; only 2-D spatial ops are supported`);
      return [v[0] as number, v[1] as number];
    };
    const weightTo = (nm: string, param: string, shape: readonly number[], data: Float32Array): void => {
      weights.set(`${nm}.${param}`, { shape, data });
    };
    const vec = (c: ConstTensor, len: number, what: string): Float32Array => {
      const d = constF32(c);
      if (d.length === len) return d;
      if (d.length === 1) return new Float32Array(len).fill(d[0] as number);
      throw bad(`${what} has ${d.length} values, expected ${len}`);
    };

    switch (op) {
      case 'Conv': {
        const x = act(0);
        const xs = shapeOf(x);
        const W = need(1, 'weight');
        if (W.dims.length !== 4) throw unsupported(`weight has rank ${W.dims.length}; only 2-D convolution (rank-4 weight) is supported`);
        if (xs.length !== 3) throw bad(`input shape [${xs.join(',')}] is not [C,H,W]`);
        const [oc, icg, kh, kw] = W.dims as [number, number, number, number];
        const groups = int('group', 1);
        const kernel = pair('kernel_shape', 0);
        if (ints('kernel_shape') && (kernel[0] !== kh || kernel[1] !== kw)) throw bad(`kernel_shape [${kernel.join(',')}] disagrees with weight dims [${W.dims.join(',')}]`);
        const stride = pair('strides', 1);
        const dilation = pair('dilations', 1);
        const name = alloc(n);
        const B = cst(2, 'bias');
        finish({
          op: 'conv2d', name, inputs: [x], inChannels: icg * groups, outChannels: oc, kernel: [kh, kw], stride, dilation,
          pads: pads2d(xs, [kh, kw], stride, dilation), groups, bias: !!B,
        });
        weightTo(name, 'weight', W.dims, constF32(W));
        if (B) weightTo(name, 'bias', [oc], vec(B, oc, 'bias'));
        return;
      }
      case 'Gemm':
      case 'MatMul': {
        const x = act(0);
        const B = need(1, 'weight');
        if (B.dims.length !== 2) throw unsupported(`weight has rank ${B.dims.length}; only a 2-D constant weight is supported`);
        if (op === 'Gemm' && int('transA', 0) !== 0) throw unsupported('transA=1 is not supported');
        const transB = op === 'Gemm' && int('transB', 0) === 1;
        const [r, c] = B.dims as [number, number];
        const [outF, inF] = transB ? [r, c] : [c, r];
        const src = constF32(B);
        let data = src;
        if (!transB) {
          data = new Float32Array(src.length);
          for (let i2 = 0; i2 < r; i2++) for (let j = 0; j < c; j++) data[j * r + i2] = src[i2 * c + j] as number;
        }
        const alpha = op === 'Gemm' ? (attrs.get('alpha') as number | undefined) ?? 1 : 1;
        if (alpha !== 1) for (let k = 0; k < data.length; k++) data[k] = Math.fround(alpha * (data[k] as number));
        let bias: Float32Array | undefined;
        if (op === 'Gemm') {
          const C = cst(2, 'bias C');
          if (C) {
            bias = vec(C, outF, 'bias C');
            const beta = (attrs.get('beta') as number | undefined) ?? 1;
            if (beta !== 1) for (let k = 0; k < bias.length; k++) bias[k] = Math.fround(beta * (bias[k] as number));
          }
        } else {
          const fb = foldBias.get(i);
          if (fb) bias = vec(fb.bias, outF, 'bias');
        }
        const name = alloc(n);
        finish({ op: 'dense', name, inputs: [x], inFeatures: inF, outFeatures: outF, bias: !!bias });
        weightTo(name, 'weight', [outF, inF], data);
        if (bias) weightTo(name, 'bias', [outF], bias);
        const fb = foldBias.get(i);
        if (fb) tensorIr.set(nodes[fb.add]?.output?.[0] ?? '', name);
        return;
      }
      case 'BatchNormalization': {
        const x = act(0);
        const ch = shapeOf(x)[0] as number;
        if (int('training_mode', 0) !== 0) throw unsupported('training_mode=1 is not supported (expected an inference graph)');
        const params = (['scale', 'bias', 'mean', 'var'] as const).map((p, k) => vec(need(k + 1, p), ch, p));
        const name = alloc(n);
        const eps = cleanF32((attrs.get('epsilon') as number | undefined) ?? 1e-5);
        const mom = cleanF32(1 - cleanF32((attrs.get('momentum') as number | undefined) ?? 0.9));
        finish({ op: 'batchnorm', name, inputs: [x], channels: ch, eps, momentum: mom });
        (['scale', 'bias', 'mean', 'var'] as const).forEach((p, k) => weightTo(name, p, [ch], params[k] as Float32Array));
        return;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'HardSwish':
      case 'Identity':
      case 'Dropout': {
        if (op === 'Identity' && consts.has(ins[0] ?? '')) {
          consts.set(n.output?.[0] ?? '', consts.get(ins[0] ?? '') as ConstTensor);
          return;
        }
        const map = { Relu: 'relu', Sigmoid: 'sigmoid', HardSwish: 'hardswish', Identity: 'identity', Dropout: 'identity' } as const;
        finish({ op: map[op], name: alloc(n), inputs: [act(0)] });
        return;
      }
      case 'HardSigmoid': {
        if (!isHardSigmoid16(n)) {
          throw unsupported(
            `alpha=${String(attrs.get('alpha') ?? 0.2)}, beta=${String(attrs.get('beta') ?? 0.5)}; hwnas supports alpha=1/6, beta=0.5 (relu6(x+3)/6)`,
          );
        }
        finish({ op: 'hardsigmoid', name: alloc(n), inputs: [act(0)] });
        return;
      }
      case 'Clip': {
        const x = act(0);
        let lo: number | undefined;
        let hi: number | undefined;
        if (opset < 11) {
          lo = attrs.get('min') as number | undefined;
          hi = attrs.get('max') as number | undefined;
        } else {
          const scalar = (k: number, what: string): number | undefined => {
            const c = cst(k, what);
            if (!c) return undefined;
            if (c.data.length !== 1) throw bad(`${what} has ${c.data.length} values, expected a scalar`);
            return c.data[0] as number;
          };
          lo = scalar(1, 'min');
          hi = scalar(2, 'max');
        }
        const name = alloc(n);
        if (lo === 0 && hi === 6) finish({ op: 'relu6', name, inputs: [x] });
        else if (lo === 0 && hi === undefined) finish({ op: 'relu', name, inputs: [x] });
        else finish({ op: 'clip', name, inputs: [x], min: cleanF32(lo ?? -FLT_MAX), max: cleanF32(hi ?? FLT_MAX) });
        return;
      }
      case 'Mul':
      case 'Add': {
        const fold = foldAct.get(i);
        if (fold) {
          const ir = tensorIr.get(fold.x);
          if (!ir) throw bad(`reads tensor '${fold.x}', which no earlier node produces`);
          finish({ op: fold.op, name: alloc(n), inputs: [ir] });
          return;
        }
        const a = act(0);
        const b = act(1);
        finish({ op: op === 'Add' ? 'add' : 'mul', name: alloc(n), inputs: [a, b] });
        return;
      }
      case 'Concat': {
        const xs = ins.map((_, k) => act(k));
        const rank = shapeOf(xs[0] as string).length + 1;
        const axis = attrs.get('axis');
        if (typeof axis !== 'number') throw bad('attribute axis is missing');
        if (axis === 0 || axis === -rank) throw unsupported('concatenation along the batch axis is not supported');
        finish({ op: 'concat', name: alloc(n), inputs: xs, axis: axis < 0 ? axis : axis - 1 });
        return;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const x = act(0);
        const xs = shapeOf(x);
        if (xs.length !== 3) throw bad(`input shape [${xs.join(',')}] is not [C,H,W]`);
        const kernel = pair('kernel_shape', 0);
        if (kernel[0] < 1) throw bad('attribute kernel_shape is missing');
        const stride = pair('strides', 1);
        const dil = pair('dilations', 1);
        if (dil[0] !== 1 || dil[1] !== 1) throw unsupported(`dilations [${dil.join(',')}] are not supported (expected 1)`);
        const pads = [...pads2d(xs, kernel, stride, [1, 1])] as [number, number, number, number];
        const countIncludePad = int('count_include_pad', 0) === 1;
        if (int('ceil_mode', 0) === 1) {
          // Express ceil rounding as extra end padding (the last window must start inside input or begin pad).
          for (const ax of [0, 1] as const) {
            const size = xs[ax + 1] as number;
            const end = ax + 2;
            const padded = size + pads[ax] + (pads[end] as number);
            let out = Math.ceil((padded - kernel[ax]) / stride[ax]) + 1;
            if ((out - 1) * stride[ax] >= size + pads[ax]) out--;
            const extra = (out - 1) * stride[ax] + kernel[ax] - padded;
            if (extra > 0) {
              if (op === 'AveragePool' && countIncludePad) throw unsupported('ceil_mode=1 with count_include_pad=1 is not supported');
              pads[end] = (pads[end] as number) + extra;
            }
          }
        }
        finish({
          op: op === 'MaxPool' ? 'maxpool' : 'avgpool', name: alloc(n), inputs: [x], kernel, stride, pads,
          countIncludePad: op === 'AveragePool' && countIncludePad,
        });
        return;
      }
      case 'GlobalAveragePool':
        finish({ op: 'globalavgpool', name: alloc(n), inputs: [act(0)] });
        return;
      case 'Flatten': {
        const x = act(0);
        const rank = shapeOf(x).length + 1;
        const axis = int('axis', 1);
        if ((axis < 0 ? axis + rank : axis) !== 1) throw unsupported(`axis ${axis} is not supported (expected 1: keep the batch axis)`);
        finish({ op: 'flatten', name: alloc(n), inputs: [x] });
        return;
      }
      case 'Reshape': {
        const x = act(0);
        const xs = shapeOf(x);
        const target = constNumbers(need(1, 'shape'));
        if (target.length < 1) throw bad('target shape is empty');
        const b = target[0] as number;
        if (!(b === 0 || b === -1 || (fixedBatch !== undefined && b === fixedBatch) || b === 1)) {
          throw unsupported(`target shape [${target.join(',')}] changes the batch dimension`);
        }
        const allowZero = int('allowzero', 0) === 1;
        const per = target.slice(1).map((v, k) => {
          if (v !== 0) return v;
          if (allowZero) throw unsupported('allowzero=1 with a zero dimension is not supported');
          const d = xs[k];
          if (d === undefined) throw bad(`target shape [${target.join(',')}] copies dimension ${k + 1}, which the input lacks`);
          return d;
        });
        if (b === -1 && per.includes(-1)) throw bad(`target shape [${target.join(',')}] has two -1 entries`);
        // A reshape that only prepends size-1 axes before an Add/Mul is the IR's own (numpy) broadcasting.
        const lead = per.length - xs.length;
        const out0 = n.output?.[0] ?? '';
        const onlyBroadcast = (users.get(out0) ?? []).every((j) => j >= 0 && ['Add', 'Mul'].includes(nodes[j]?.opType ?? '') && !foldAct.has(j));
        if (lead > 0 && onlyBroadcast && per.slice(0, lead).every((v) => v === 1) && per.slice(lead).every((v, k) => v === xs[k])) {
          tensorIr.set(out0, x);
          return;
        }
        finish({ op: 'reshape', name: alloc(n), inputs: [x], shape: per });
        return;
      }
      case 'Softmax': {
        const x = act(0);
        const rank = shapeOf(x).length + 1;
        const axis = int('axis', opset < 13 ? 1 : -1);
        const ax = axis < 0 ? axis + rank : axis;
        if (ax <= 0 || ax >= rank) throw unsupported(`axis ${axis} is not supported for a rank-${rank} input (the batch axis is not allowed)`);
        if (opset < 13 && ax !== rank - 1) throw unsupported(`opset-${opset} softmax over flattened axes ${axis}..end is not supported`);
        finish({ op: 'softmax', name: alloc(n), inputs: [x], axis: axis < 0 ? axis : axis - 1 });
        return;
      }
      case 'Resize':
      case 'Upsample': {
        const x = act(0);
        const xs = shapeOf(x);
        if (xs.length !== 3) throw bad(`input shape [${xs.join(',')}] is not [C,H,W]`);
        const mode = str('mode', 'nearest');
        if (mode !== 'nearest') throw unsupported(`mode '${mode}' is not supported (expected nearest)`);
        let scales: number[] | undefined;
        const fromAttr = attrs.get('scales');
        if (op === 'Upsample' && Array.isArray(fromAttr)) scales = [...(fromAttr as number[])];
        else {
          const si = op === 'Upsample' || opset < 11 ? 1 : 2;
          const sc = cst(si, 'scales');
          if (sc && sc.data.length > 0) scales = constNumbers(sc);
          else if (op === 'Resize') {
            const sz = cst(3, 'sizes');
            if (!sz || sz.data.length === 0) throw bad('neither scales nor sizes is given');
            const full = [fixedBatch ?? 1, ...xs];
            const axes = ints('axes') ?? sz.dims.map((_, k) => k);
            scales = [1, 1, 1, 1];
            constNumbers(sz).forEach((v, k) => {
              const a = axes[k] as number;
              const ax = a < 0 ? a + 4 : a;
              scales![ax] = ax === 0 ? 1 : v / (full[ax] as number);
            });
          }
        }
        if (!scales) throw bad('scales are missing');
        const axes = ints('axes');
        if (axes && op === 'Resize') {
          const full = [1, 1, 1, 1];
          scales.forEach((v, k) => {
            const a = axes[k] as number;
            full[a < 0 ? a + 4 : a] = v;
          });
          scales = full;
        }
        if (scales.length !== 4) throw unsupported(`scales [${scales.join(',')}] are not 4-D`);
        const s = scales[2] as number;
        if (scales[0] !== 1 || scales[1] !== 1 || scales[3] !== s || !Number.isInteger(s) || s < 1) {
          throw unsupported(`scales [${scales.join(',')}] are not supported (expected [1,1,s,s] with an integer s >= 1)`);
        }
        if (op === 'Resize' && opset >= 11 && s > 1) {
          const ctm = str('coordinate_transformation_mode', 'half_pixel');
          const nm = str('nearest_mode', 'round_prefer_floor');
          const ok =
            ((ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') && nm.startsWith('round_prefer')) ||
            (ctm === 'asymmetric' && (nm === 'floor' || (nm === 'round_prefer_floor' && s === 2))) ||
            (ctm === 'tf_half_pixel_for_nn' && nm === 'floor');
          if (!ok) throw unsupported(`coordinate_transformation_mode '${ctm}' with nearest_mode '${nm}' is not plain nearest upsampling`);
        }
        finish({ op: 'upsample', name: alloc(n), inputs: [x], scale: s });
        return;
      }
      default:
        throw unsupported(`supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
  });

  const outputs = graphOutputs.map((o) => {
    const ir = tensorIr.get(o);
    if (!ir) throw new ModelFormatError(`${where}: graph output '${o}' is not produced by any operator (truncated or corrupt file?)`);
    return ir;
  });
  if (outputs.length === 0) throw new ModelFormatError(`${where}: the graph has no outputs (truncated or corrupt file?)`);
  const graph: Graph = { name: g.name || basename(where).replace(/\.onnx$/i, ''), nodes: irNodes, outputs: [...new Set(outputs)] };
  inferShapes(graph);
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ModelFormatError(`${where}: ${problems.slice(0, 5).join('; ')}`);
  return { graph, weights };
}

function constantNodeValue(n: O.INodeProto, where: string): ConstTensor {
  const attrs = readAttributes(n, where);
  const name = n.output?.[0] ?? '';
  const v: AttrValue | undefined = attrs.get('value');
  if (v && typeof v === 'object' && !Array.isArray(v)) return { ...(v as ConstTensor), name };
  const f = attrs.get('value_float') ?? attrs.get('value_int');
  if (typeof f === 'number') return { name, dims: [], dtype: 'float64', data: Float64Array.of(f) };
  const fs = attrs.get('value_floats') ?? attrs.get('value_ints');
  if (Array.isArray(fs)) return { name, dims: [fs.length], dtype: 'float64', data: Float64Array.from(fs as number[]) };
  throw new UnsupportedOpError('Constant', n.name || name, 'only value, value_float(s) and value_int(s) constants are supported');
}
