import type { onnx as O } from 'onnx-proto';
import { UserError } from '../errors.js';
import type { OnnxAttr } from '../ir/ops/types.js';
import { encodeTensor, makeAttribute, onnx, type TensorDType } from './proto.js';

/** One node attribute for {@link OnnxGraphWriter.addNode}: the key says its ONNX type. */
export type AttrSpec = OnnxAttr;

/** A dimension of a graph input/output: a fixed size or a symbolic name such as `'N'`. */
export type Dim = number | string;

/** Options of {@link OnnxGraphWriter.encode}. */
export interface WriterModelOptions {
  readonly producer?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** `metadata_props` of the model (key -> value), e.g. what a QDQ export records about its policy. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The lowest IR version that may carry a given opset (ONNX versioning table). */
function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 13) return 7;
  return 8;
}

/**
 * A small append-only builder of one ONNX graph: nodes, initializers, inputs and outputs, then
 * `encode()` to bytes. The IR exporter, the single-node exporter and (later) the QDQ exporter all
 * write through it, so new node kinds (QuantizeLinear/DequantizeLinear) need no other change.
 */
export class OnnxGraphWriter {
  private readonly nodes: O.NodeProto[] = [];
  private readonly inits: O.TensorProto[] = [];
  private readonly ins: O.ValueInfoProto[] = [];
  private readonly outs: O.ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly produced = new Set<string>();
  private readonly renamed = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly opset: number,
  ) {
    if (!Number.isInteger(opset) || opset < 7 || opset > 21) {
      throw new UserError(`ONNX writer: opset ${opset} is not supported (expected an integer from 7 to 21)`);
    }
  }

  /** True when `name` is already a tensor or node name of this graph. */
  has(name: string): boolean {
    return this.used.has(name);
  }

  /** `base` if unused, otherwise `base_1`, `base_2`, ...; the name is reserved for the caller's next node output. */
  uniqueName(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /**
   * Write tensor `from` under the name `to` wherever a node reads or writes it and as a graph output (a graph's own
   * output names); its node keeps the name `from`. Call before adding any node; `to` is reserved.
   */
  renameTensor(from: string, to: string): void {
    if (this.used.has(to)) throw new UserError(`ONNX writer: cannot name tensor '${from}' '${to}': the name is taken`);
    this.used.add(to);
    this.renamed.set(from, to);
  }

  private tensor(name: string): string {
    return this.renamed.get(name) ?? name;
  }

  /** Add a constant tensor; returns its (unique) name. */
  addInitializer(
    name: string,
    dims: readonly number[],
    dtype: TensorDType,
    data: Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array,
  ): string {
    const n = this.uniqueName(name);
    this.produced.add(n);
    this.inits.push(encodeTensor(n, dims, dtype, data));
    return n;
  }

  /** Add a float32 constant. */
  addFloat(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.addInitializer(name, dims, 'float32', data instanceof Float32Array ? data : Float32Array.from(data));
  }

  /** Add a 1-D int64 constant (shapes, axes). */
  addInt64(name: string, values: readonly number[]): string {
    return this.addInitializer(
      name,
      [values.length],
      'int64',
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  /**
   * Append a node (nodes must be added in topological order). Output names are reserved as given
   * (they must be unique); the node name defaults to the first output's name.
   */
  addNode(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, AttrSpec>> = {}, name?: string): void {
    const nodeName = name ?? outputs[0] ?? opType;
    inputs = inputs.map((t) => this.tensor(t));
    outputs = outputs.map((t) => this.tensor(t));
    for (const o of outputs) {
      if (this.produced.has(o)) throw new UserError(`ONNX writer: tensor '${o}' is produced twice`);
      this.produced.add(o);
      this.used.add(o);
    }
    const attribute = Object.entries(attrs).map(([k, v]) => {
      if ('i' in v) return makeAttribute(k, 'int', v.i);
      if ('f' in v) return makeAttribute(k, 'float', v.f);
      if ('ints' in v) return makeAttribute(k, 'ints', v.ints);
      if ('floats' in v) return makeAttribute(k, 'floats', v.floats);
      return makeAttribute(k, 'string', v.s);
    });
    this.nodes.push(onnx.NodeProto.create({ opType, input: [...inputs], output: [...outputs], name: nodeName, attribute }));
  }

  private valueInfo(name: string, dims: readonly Dim[]): O.ValueInfoProto {
    const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
    return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim } } } });
  }

  /** Declare a float graph input. */
  addInput(name: string, dims: readonly Dim[]): void {
    if (this.produced.has(name)) throw new UserError(`ONNX writer: input name '${name}' is used twice`);
    this.used.add(name);
    this.produced.add(name);
    this.ins.push(this.valueInfo(name, dims));
  }

  /** Declare a float graph output (a tensor some node produces). */
  addOutput(name: string, dims: readonly Dim[]): void {
    this.outs.push(this.valueInfo(this.tensor(name), dims));
  }

  /** The ModelProto of everything added so far. */
  toModel(o: WriterModelOptions = {}): O.ModelProto {
    return onnx.ModelProto.create({
      irVersion: irVersionFor(this.opset),
      producerName: o.producer ?? 'hwnas',
      producerVersion: o.producerVersion ?? '0.1.0',
      docString: o.docString ?? '',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.ins, output: this.outs },
    });
  }

  /** Serialised ONNX model bytes. */
  encode(o: WriterModelOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(this.toModel(o)).finish();
  }
}
