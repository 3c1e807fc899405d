import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { onnx as O } from 'onnx-proto';
import { HwnasError, ModelFormatError, ShapeError, UnsupportedOpError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { isIrHardSigmoid } from '../ir/ops/hardsigmoid.js';
import { ONNX_IMPORT_TYPES, opForOnnxType } from '../ir/ops/registry.js';
import type { OnnxImportContext } from '../ir/ops/types.js';
import type { LayerPrecision, Precision, PrecisionPolicy } from '../ir/precision.js';
import { inferNodeShape, inferShapes } from '../ir/shapes.js';
import type { Graph, Model, Node, Shape, Weights } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { type AttrValue, type ConstTensor, decodeTensor, onnx, readAttributes, toNum } from './proto.js';
import { POLICY_DEFAULT_KEY } from './qdq.js';
import { foldQdq, type QdqFold } from './qdq-import.js';

/** ONNX operator types the importer understands (default domain): those the ops of src/ir/ops import, and Constant. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [...ONNX_IMPORT_TYPES, 'Constant'];
const SUPPORTED = new Set(SUPPORTED_ONNX_OPS);

/** Lowest and highest default-domain opset the importer accepts. */
export const IMPORT_OPSET_RANGE: readonly [number, number] = [7, 22];

/** Options of {@link importOnnx}. */
export interface ImportOptions {
  /** Per-sample input shape to use when the file's input has symbolic spatial dimensions. */
  readonly inputShape?: Shape;
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An imported model and, for a QDQ file, the precision its QuantizeLinear/DequantizeLinear pairs encode. */
export interface ImportedOnnx {
  readonly model: Model;
  /**
   * Per conv/dense layer: weight bits from the int8 codes, activation bits from the grid of the layer's input
   * (32 where the file keeps a tensor float); named `qdq:<source>`. Undefined for a float file.
   */
  readonly precision?: PrecisionPolicy;
}

/**
 * Import an ONNX model (opsets 7-22, the ops in {@link SUPPORTED_ONNX_OPS}) as an IR model. The batch
 * dimension of the single graph input is dropped. A QDQ file as `hwnas quantize --out` writes it is read as
 * its float graph (dequantized weights; see src/onnx/qdq-import.ts) and its precision (see
 * {@link importOnnxWithPrecision}). Throws {@link UnsupportedOpError} naming the op type
 * and node for an operator hwnas cannot represent, and {@link ModelFormatError} naming `source` for a
 * truncated, corrupt or inconsistent file.
 * @example
 * const model = importOnnx(readFileSync('net.onnx'), 'net.onnx');
 */
export function importOnnx(bytes: Uint8Array, source = 'ONNX model', opts: ImportOptions = {}): Model {
  return importOnnxWithPrecision(bytes, source, opts).model;
}

/**
 * {@link importOnnx}, also returning the precision policy a QDQ file encodes.
 * @example const { model, precision } = importOnnxWithPrecision(readFileSync('q.onnx'), 'q.onnx');
 */
export function importOnnxWithPrecision(bytes: Uint8Array, source = 'ONNX model', opts: ImportOptions = {}): ImportedOnnx {
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
  return loadOnnxWithPrecision(path, opts).model;
}

/** Read and import an ONNX file with the precision of a QDQ file ({@link importOnnxWithPrecision}); errors name the path. */
export function loadOnnxWithPrecision(path: string, opts: ImportOptions = {}): ImportedOnnx {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelFormatError(`cannot read ONNX file '${path}': ${errMsg(e)}`);
  }
  return importOnnxWithPrecision(bytes, path, opts);
}

/** Appended to the unsupported-operator error of a graph that reads a tensor's shape at run time. */
const SHAPE_HINT =
  ". A Shape node usually comes from PyTorch's x.reshape(x.shape[0], -1) or x.view(x.size(0), -1): export with torch.flatten(x, 1) or nn.Flatten() instead, which becomes one Flatten node";

function convert(model: O.ModelProto, where: string, opts: ImportOptions): ImportedOnnx {
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opsetEntry) throw new ModelFormatError(`${where}: no opset_import for the default ONNX domain (truncated or corrupt file?)`);
  const opset = toNum(opsetEntry.version);
  if (opset < IMPORT_OPSET_RANGE[0] || opset > IMPORT_OPSET_RANGE[1]) {
    throw new ModelFormatError(`${where}: opset ${opset} is not supported (expected ${IMPORT_OPSET_RANGE[0]} to ${IMPORT_OPSET_RANGE[1]})`);
  }
  const g = model.graph;
  if (!g) throw new ModelFormatError(`${where}: the model has no graph (truncated or corrupt file?)`);
  const allNodes = g.node ?? [];
  if (allNodes.length === 0) throw new ModelFormatError(`${where}: the graph has no nodes (truncated or corrupt file?)`);

  // Constants: initializers and Constant nodes.
  const consts = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', decodeTensor(t, where));
  for (const n of allNodes) if (n.opType === 'Constant') consts.set(n.output?.[0] ?? '', constantNodeValue(n, where));
  // QDQ pairs folded into the float graph (their bits kept for the precision policy)
  const qdq = foldQdq(allNodes, consts, where);
  const nodes = qdq?.nodes ?? allNodes;
  const display = (n: O.INodeProto): string => n.name || `(unnamed ${n.opType ?? ''} node producing '${n.output?.[0] ?? ''}')`;

  // Unsupported operators first, all named in one error.
  const bad = nodes.filter((n) => (n.domain && n.domain !== 'ai.onnx') || !SUPPORTED.has(n.opType ?? ''));
  if (bad.length) {
    const first = bad[0] as O.INodeProto;
    const opName = (n: O.INodeProto): string => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType ?? ''}` : (n.opType ?? ''));
    const others = [...new Set(bad.slice(1).map(opName))].filter((t) => t !== opName(first));
    throw new UnsupportedOpError(
      opName(first),
      display(first),
      `${bad.length} unsupported node(s)${others.length ? `, also ${others.join(', ')}` : ''}; supported: ${SUPPORTED_ONNX_OPS.join(', ')}` +
        (bad.some((n) => n.opType === 'Shape') ? SHAPE_HINT : ''),
    );
  }

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
  // the file's batch as it is (fixed size or symbolic name), so that an export writes it back (Graph.batch)
  const fileBatch: number | string | undefined = fixedBatch ?? (dims[0]?.dimParam || undefined);
  if (opts.inputShape) perSample = [...opts.inputShape];
  else {
    perSample = dims.slice(1).map((d, i) => {
      const v = toNum(d.dimValue);
      if (!(v > 0)) {
        throw new ModelFormatError(
          `${where}: input '${inputName}' dimension ${i + 1} is ${d.dimParam ? `symbolic '${d.dimParam}'` : 'unknown'}; expected a fixed size: hwnas sizes every layer from the input, so re-export it with fixed ${dims.length === 4 ? 'channels, height and width' : 'per-sample dimensions'} (torch.onnx.export: dynamic_axes on the batch only, e.g. {'${inputName}': {0: 'batch'}}), or give inputShape to importOnnx in the API; no command has a flag for it`,
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
  const graphOutputs = (g.output ?? []).map((o) => qdq?.alias.get(o.name ?? '') ?? o.name ?? '');
  for (const o of graphOutputs) users.set(o, [...(users.get(o) ?? []), -1]);
  const useCount = (t: string): number => users.get(t)?.length ?? 0;

  // Patterns folded into one IR node.
  const skip = new Set<number>();
  const foldAct = new Map<number, { op: 'swish' | 'hardswish'; x: string }>();
  const foldBias = new Map<number, { add: number; bias: ConstTensor }>();
  const isHardSigmoid16 = (n: O.INodeProto): boolean => {
    const a = readAttributes(n, where);
    return isIrHardSigmoid(a.get('alpha'), a.get('beta'));
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
  const alloc = (n: O.INodeProto): string => (keepName(n) ? (n.name as string) : fresh(n.output?.[0] || (n.opType ?? 'node').toLowerCase()));
  const fresh = (base: string): string => {
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
    shapes.set(
      node.name,
      inferNodeShape(
        node,
        node.inputs.map((t) => shapes.get(t) as Shape),
      ),
    );
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
    const out0 = n.output?.[0] ?? '';
    const finish = (node: Node): void => {
      addIr(node);
      tensorIr.set(out0, node.name);
      (n.output ?? []).slice(1).forEach((o, k) => {
        if (o && useCount(o) > 0) throw unsupported(`output ${k + 1} ('${o}') is used; hwnas supports only the first output`);
      });
    };

    // Mul(x, Sigmoid(x)) and Mul(x, HardSigmoid(x)): one swish / hardswish node.
    const fold = foldAct.get(i);
    if (fold) {
      const ir = tensorIr.get(fold.x);
      if (!ir) throw bad(`reads tensor '${fold.x}', which no earlier node produces`);
      finish({ op: fold.op, name: alloc(n), inputs: [ir] });
      return;
    }
    const def = opForOnnxType(op);
    if (!def) throw unsupported(`supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    const fb = foldBias.get(i);
    const ctx: OnnxImportContext = {
      opType: op,
      opset,
      fixedBatch,
      inputs: ins,
      foldedBias: fb?.bias,
      attr: (k) => attrs.get(k),
      int: (k, d) => {
        const v = attrs.get(k);
        return typeof v === 'number' ? v : d;
      },
      ints: (k) => {
        const v = attrs.get(k);
        return Array.isArray(v) ? [...(v as number[])] : undefined;
      },
      float: (k, d) => {
        const v = attrs.get(k);
        return typeof v === 'number' ? v : d;
      },
      str: (k, d) => {
        const v = attrs.get(k);
        return typeof v === 'string' ? v : d;
      },
      act,
      isConst: (k) => consts.has(ins[k] ?? ''),
      cst,
      need: (k, what) => {
        const c = cst(k, what);
        if (!c) throw bad(`${what} (input ${k}) is missing`);
        return c;
      },
      shapeOf: (ir) => shapes.get(ir) as Shape,
      name: () => alloc(n),
      helperName: (role) => fresh(`${n.name || n.output?.[0] || (n.opType ?? 'node').toLowerCase()}/${role}`),
      consumers: () =>
        (users.get(out0) ?? []).map((j) => (j < 0 ? { opType: null, folded: false } : { opType: nodes[j]?.opType ?? '', folded: foldAct.has(j) })),
      unsupported,
      bad,
    };
    const r = def.fromOnnx(ctx);
    if ('constant' in r) {
      consts.set(out0, r.constant);
      return;
    }
    if ('alias' in r) {
      tensorIr.set(out0, r.alias);
      return;
    }
    for (const h of r.before ?? []) addIr(h);
    finish(r.node);
    for (const w of r.weights ?? []) weights.set(`${r.node.name}.${w.param}`, { shape: w.shape, data: w.data });
    if (fb) tensorIr.set(nodes[fb.add]?.output?.[0] ?? '', r.node.name);
  });

  const outputs = graphOutputs.map((o) => {
    const ir = tensorIr.get(o);
    if (!ir) throw new ModelFormatError(`${where}: graph output '${o}' is not produced by any operator (truncated or corrupt file?)`);
    return ir;
  });
  if (outputs.length === 0) throw new ModelFormatError(`${where}: the graph has no outputs (truncated or corrupt file?)`);
  const outputNames = fileOutputNames(graphOutputs, outputs, irNodes);
  const graph: Graph = {
    name: g.name || basename(where).replace(/\.onnx$/i, ''),
    nodes: irNodes,
    outputs: [...new Set(outputs)],
    ...(outputNames ? { outputNames } : {}),
    ...(fileBatch !== undefined ? { batch: fileBatch } : {}),
  };
  inferShapes(graph);
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ModelFormatError(`${where}: ${problems.slice(0, 5).join('; ')}`);
  return { model: { graph, weights }, ...(qdq ? { precision: qdqPolicy(graph, nodes, tensorIr, qdq, where, recordedDefault(model, where)) } : {}) };
}

/**
 * The precision policy of a folded QDQ file: each conv/dense layer's weight bits (channel groups when its
 * channels differ) and the bits of the activation it reads; 32 where the file keeps a tensor float.
 */
function qdqPolicy(
  graph: Graph,
  nodes: readonly O.INodeProto[],
  tensorIr: ReadonlyMap<string, string>,
  qdq: QdqFold,
  where: string,
  recorded: Precision | undefined,
): PrecisionPolicy {
  const wBits = new Map<string, readonly number[]>(); // IR layer -> channel bits
  for (const n of nodes) {
    const b = qdq.weightBits.get(n.input?.[1] ?? '');
    const ir = tensorIr.get(n.output?.[0] ?? '');
    if (b && ir) wBits.set(ir, b);
  }
  const aBits = new Map<string, readonly number[]>(); // IR tensor -> bits
  for (const [t, b] of qdq.actBits) {
    const ir = tensorIr.get(t);
    if (ir) aBits.set(ir, b);
  }
  const layers: Record<string, LayerPrecision> = {};
  for (const l of quantizableLayers(graph)) {
    const wb = wBits.get(l.name);
    const ab = aBits.get(l.inputs[0] as string);
    const actBits = ab ? Math.max(...ab) : 32;
    const inputGroups = ab && ab.length > 1 && new Set(ab).size > 1 ? countGroups(ab).map((g) => ({ channels: g.channels, actBits: g.bits })) : undefined;
    const runs = wb ? runGroups(wb) : [{ channels: 0, bits: 32 }];
    const weightBits = Math.max(...runs.map((r) => r.bits));
    layers[l.name] = {
      weightBits,
      actBits,
      ...(runs.length > 1 ? { groups: runs.map((r) => ({ channels: r.channels, weightBits: r.bits, actBits })) } : {}),
      ...(inputGroups ? { inputGroups } : {}),
    };
  }
  // the default: the one hwnas recorded when it wrote the file, else (another tool's file) the first layer's bits
  const first = Object.values(layers)[0];
  const dflt = recorded ?? (first ? { weightBits: first.weightBits, actBits: first.actBits } : { weightBits: 32, actBits: 32 });
  return { name: `qdq:${where}`, default: dflt, layers };
}

/** The policy default a hwnas QDQ export recorded in `metadata_props` ({@link POLICY_DEFAULT_KEY}); undefined when absent. */
function recordedDefault(model: O.ModelProto, where: string): Precision | undefined {
  const raw = (model.metadataProps ?? []).find((p) => p.key === POLICY_DEFAULT_KEY)?.value;
  if (raw == null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  const bits = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 32;
  const o = v as { weightBits?: unknown; actBits?: unknown } | undefined;
  if (!o || typeof o !== 'object' || !bits(o.weightBits) || !bits(o.actBits))
    throw new ModelFormatError(
      `${where}: metadata '${POLICY_DEFAULT_KEY}' = ${JSON.stringify(raw)}; expected JSON {"weightBits": n, "actBits": n} with integers 1..32`,
    );
  return { weightBits: o.weightBits, actBits: o.actBits };
}

/** Consecutive runs of equal bits. */
function runGroups(bits: readonly number[]): Array<{ channels: number; bits: number }> {
  const out: Array<{ channels: number; bits: number }> = [];
  for (const b of bits) {
    const last = out[out.length - 1];
    if (last && last.bits === b) last.channels++;
    else out.push({ channels: 1, bits: b });
  }
  return out;
}

/** Channel counts per bit-width, widest first. */
function countGroups(bits: readonly number[]): Array<{ channels: number; bits: number }> {
  const m = new Map<number, number>();
  for (const b of bits) m.set(b, (m.get(b) ?? 0) + 1);
  return [...m].sort((a, b) => b[0] - a[0]).map(([b, c]) => ({ channels: c, bits: b }));
}

/**
 * The file's output tensor names that differ from their IR node's name (`Graph.outputNames`), so an export keeps them;
 * undefined when there is none. A name another IR node already carries is left out (the export would write it twice).
 */
function fileOutputNames(fileNames: readonly string[], irNames: readonly string[], nodes: readonly Node[]): Record<string, string> | undefined {
  const taken = new Set(nodes.map((n) => n.name));
  const names: Record<string, string> = {};
  fileNames.forEach((f, i) => {
    const ir = irNames[i] as string;
    if (f !== ir && !taken.has(f) && names[ir] === undefined) names[ir] = f;
  });
  return Object.keys(names).length ? names : undefined;
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
