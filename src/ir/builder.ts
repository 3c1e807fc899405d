import { ShapeError } from '../errors.js';
import { inferNodeShape, samePads } from './shapes.js';
import type { Graph, Node, Pads, Shape } from './types.js';

/** Padding spec for builders: TF-style 'same', 'valid', symmetric integer, or explicit pads. */
export type PadSpec = 'same' | 'valid' | number | Pads;

/** Options of {@link GraphBuilder.conv}. */
export interface ConvOptions {
  readonly out: number;
  readonly kernel: number | readonly [number, number];
  readonly stride?: number | readonly [number, number];
  readonly dilation?: number | readonly [number, number];
  /** Default: symmetric `dilation*(k-1)/2` (PyTorch convention for odd kernels). */
  readonly pad?: PadSpec;
  readonly groups?: number;
  readonly bias?: boolean;
  readonly name?: string;
}

/** Options of pooling layers. */
export interface PoolOptions {
  readonly kernel: number | readonly [number, number];
  readonly stride?: number | readonly [number, number];
  readonly pad?: PadSpec;
  readonly name?: string;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * Fluent, shape-checked construction of IR graphs. Each method returns the new node's name.
 * @example
 * const b = new GraphBuilder('tiny', [1, 28, 28]);
 * let x = b.conv(b.input, { out: 8, kernel: 3 }); x = b.relu(x);
 * b.output(b.dense(b.flatten(x), 10));
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly counters = new Map<string, number>();
  private readonly outs: string[] = [];
  /** Name of the input node. */
  readonly input: string;

  constructor(
    readonly name: string,
    inputShape: Shape,
    inputName = 'input',
  ) {
    this.input = this.add({ op: 'input', name: inputName, inputs: [], shape: [...inputShape] });
  }

  /** Shape of a node already added. */
  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new ShapeError(`builder '${this.name}': unknown node '${name}'`);
    return s;
  }

  /** Channels (first dim) of a node's output. */
  channels(name: string): number {
    return this.shape(name)[0] as number;
  }

  private fresh(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name: string;
    do {
      name = `${prefix}${n}`;
      n++;
    } while (this.shapes.has(name));
    this.counters.set(prefix, n);
    return name;
  }

  /** Add a raw node (name must be unique). */
  add(node: Node): string {
    if (this.shapes.has(node.name)) throw new ShapeError(`builder '${this.name}': duplicate node name '${node.name}'`);
    const ins = node.inputs.map((i) => this.shape(i));
    this.shapes.set(node.name, inferNodeShape(node, ins));
    this.nodes.push(node);
    return node.name;
  }

  private resolvePads(x: string, k: [number, number], s: [number, number], d: [number, number], pad: PadSpec | undefined): Pads {
    const shp = this.shape(x);
    if (pad === undefined) {
      const ph = Math.floor((d[0] * (k[0] - 1)) / 2);
      const pw = Math.floor((d[1] * (k[1] - 1)) / 2);
      return [ph, pw, ph, pw];
    }
    if (pad === 'same') return samePads(shp[1] as number, shp[2] as number, k, s, d);
    if (pad === 'valid') return [0, 0, 0, 0];
    if (typeof pad === 'number') return [pad, pad, pad, pad];
    return pad;
  }

  /** 2-D convolution (depthwise when `groups` equals the input channels). */
  conv(x: string, o: ConvOptions): string {
    const k = pair(o.kernel);
    const s = pair(o.stride ?? 1);
    const d = pair(o.dilation ?? 1);
    return this.add({
      op: 'conv2d',
      name: o.name ?? this.fresh('conv'),
      inputs: [x],
      inChannels: this.channels(x),
      outChannels: o.out,
      kernel: k,
      stride: s,
      dilation: d,
      pads: this.resolvePads(x, k, s, d, o.pad),
      groups: o.groups ?? 1,
      bias: o.bias ?? true,
    });
  }

  /** Fully connected layer. */
  dense(x: string, out: number, o: { bias?: boolean; name?: string } = {}): string {
    const s = this.shape(x);
    return this.add({
      op: 'dense',
      name: o.name ?? this.fresh('fc'),
      inputs: [x],
      inFeatures: s.length === 1 ? (s[0] as number) : -1,
      outFeatures: out,
      bias: o.bias ?? true,
    });
  }

  /** Batch normalisation. */
  bn(x: string, o: { eps?: number; momentum?: number; name?: string } = {}): string {
    return this.add({
      op: 'batchnorm',
      name: o.name ?? this.fresh('bn'),
      inputs: [x],
      channels: this.channels(x),
      eps: o.eps ?? 1e-5,
      momentum: o.momentum ?? 0.1,
    });
  }

  /** Element-wise activation by name. */
  act(x: string, op: 'relu' | 'relu6' | 'sigmoid' | 'swish' | 'hardswish' | 'hardsigmoid' | 'identity', name?: string): string {
    return this.add({ op, name: name ?? this.fresh(op), inputs: [x] });
  }

  /** ReLU. */
  relu(x: string, name?: string): string {
    return this.act(x, 'relu', name);
  }

  /** Clip to [min, max]. */
  clip(x: string, min: number, max: number, name?: string): string {
    return this.add({ op: 'clip', name: name ?? this.fresh('clip'), inputs: [x], min, max });
  }

  /** Leaky ReLU with negative slope `alpha`. */
  leakyRelu(x: string, alpha = 0.01, name?: string): string {
    return this.add({ op: 'leakyrelu', name: name ?? this.fresh('leakyrelu'), inputs: [x], alpha });
  }

  /** Element-wise add with broadcasting. */
  addOp(a: string, b: string, name?: string): string {
    return this.add({ op: 'add', name: name ?? this.fresh('add'), inputs: [a, b] });
  }

  /** Element-wise multiply with broadcasting. */
  mul(a: string, b: string, name?: string): string {
    return this.add({ op: 'mul', name: name ?? this.fresh('mul'), inputs: [a, b] });
  }

  /** Concatenate along channels (axis 0 of the per-sample shape) by default. */
  concat(xs: readonly string[], axis = 0, name?: string): string {
    return this.add({ op: 'concat', name: name ?? this.fresh('concat'), inputs: [...xs], axis });
  }

  /** Max pooling (default stride = kernel, no padding). */
  maxPool(x: string, o: PoolOptions): string {
    return this.pool('maxpool', x, o);
  }

  /** Average pooling (default stride = kernel, no padding). */
  avgPool(x: string, o: PoolOptions & { countIncludePad?: boolean }): string {
    return this.pool('avgpool', x, o, o.countIncludePad ?? false);
  }

  private pool(op: 'maxpool' | 'avgpool', x: string, o: PoolOptions, countIncludePad = false): string {
    const k = pair(o.kernel);
    const s = pair(o.stride ?? o.kernel);
    return this.add({
      op,
      name: o.name ?? this.fresh(op === 'maxpool' ? 'maxpool' : 'avgpool'),
      inputs: [x],
      kernel: k,
      stride: s,
      pads: o.pad === undefined ? [0, 0, 0, 0] : this.resolvePads(x, k, s, [1, 1], o.pad),
      countIncludePad,
    });
  }

  /** Global average pooling to [C,1,1]. */
  globalAvgPool(x: string, name?: string): string {
    return this.add({ op: 'globalavgpool', name: name ?? this.fresh('gap'), inputs: [x] });
  }

  /** Flatten to a vector (NCHW order). */
  flatten(x: string, name?: string): string {
    return this.add({ op: 'flatten', name: name ?? this.fresh('flatten'), inputs: [x] });
  }

  /** Reshape to a per-sample shape. */
  reshape(x: string, shape: Shape, name?: string): string {
    return this.add({ op: 'reshape', name: name ?? this.fresh('reshape'), inputs: [x], shape: [...shape] });
  }

  /** Softmax along the last axis. */
  softmax(x: string, name?: string): string {
    return this.add({ op: 'softmax', name: name ?? this.fresh('softmax'), inputs: [x], axis: -1 });
  }

  /** Nearest upsampling. */
  upsample(x: string, scale: number, name?: string): string {
    return this.add({ op: 'upsample', name: name ?? this.fresh('upsample'), inputs: [x], scale });
  }

  /** Mark a node as a graph output. */
  output(x: string): string {
    this.shape(x);
    this.outs.push(x);
    return x;
  }

  /** The finished graph (outputs default to the last node). */
  build(): Graph {
    const last = this.nodes[this.nodes.length - 1] as Node;
    return { name: this.name, nodes: [...this.nodes], outputs: this.outs.length ? [...this.outs] : [last.name] };
  }
}
