import { ShapeError } from '../errors.js';
import type { Graph, Node, Pads, Shape } from './types.js';

/** Output size of a windowed op along one axis. */
export function windowOut(size: number, k: number, s: number, d: number, padBefore: number, padAfter: number): number {
  return Math.floor((size + padBefore + padAfter - d * (k - 1) - 1) / s) + 1;
}

/** TensorFlow-style 'same' pads `[top, left, bottom, right]` (extra padding at the end). */
export function samePads(
  inH: number,
  inW: number,
  k: readonly [number, number],
  s: readonly [number, number],
  d: readonly [number, number] = [1, 1],
): Pads {
  const one = (size: number, kk: number, ss: number, dd: number): [number, number] => {
    const out = Math.ceil(size / ss);
    const total = Math.max((out - 1) * ss + (kk - 1) * dd + 1 - size, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  };
  const [t, b] = one(inH, k[0], s[0], d[0]);
  const [l, r] = one(inW, k[1], s[1], d[1]);
  return [t, l, b, r];
}

function prod(s: Shape): number {
  let p = 1;
  for (const v of s) p *= v;
  return p;
}

function fmt(s: Shape | undefined): string {
  return s ? `[${s.join(',')}]` : 'undefined';
}

/** Broadcast two per-sample shapes numpy-style, or throw naming the node. */
export function broadcastShapes(a: Shape, b: Shape, node: string): Shape {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`node '${node}': shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Infer one node's output shape from its input shapes; throws ShapeError on inconsistency. */
export function inferNodeShape(node: Node, ins: readonly Shape[]): Shape {
  const need = (n: number): void => {
    if (ins.length !== n) throw new ShapeError(`node '${node.name}' (${node.op}) expects ${n} input(s), got ${ins.length}`);
  };
  const x = ins[0] as Shape;
  const need3 = (): [number, number, number] => {
    if (x.length !== 3) throw new ShapeError(`node '${node.name}' (${node.op}) expects a [C,H,W] input, got ${fmt(x)}`);
    return [x[0] as number, x[1] as number, x[2] as number];
  };
  switch (node.op) {
    case 'input':
      need(0);
      if (node.shape.length === 0 || node.shape.some((v) => !Number.isInteger(v) || v <= 0)) {
        throw new ShapeError(`input '${node.name}' has invalid shape ${fmt(node.shape)}: expected positive integers`);
      }
      return node.shape;
    case 'conv2d': {
      need(1);
      const [c, h, w] = need3();
      if (c !== node.inChannels) {
        throw new ShapeError(`conv '${node.name}' expects ${node.inChannels} input channels, its input has ${c} (shape ${fmt(x)})`);
      }
      if (node.groups < 1 || c % node.groups !== 0 || node.outChannels % node.groups !== 0) {
        throw new ShapeError(
          `conv '${node.name}': groups=${node.groups} must divide in channels ${c} and out channels ${node.outChannels}`,
        );
      }
      const oh = windowOut(h, node.kernel[0], node.stride[0], node.dilation[0], node.pads[0], node.pads[2]);
      const ow = windowOut(w, node.kernel[1], node.stride[1], node.dilation[1], node.pads[1], node.pads[3]);
      if (oh < 1 || ow < 1) throw new ShapeError(`conv '${node.name}': kernel larger than padded input ${fmt(x)}`);
      return [node.outChannels, oh, ow];
    }
    case 'dense': {
      need(1);
      const f = x.length === 1 ? (x[0] as number) : -1;
      if (f !== node.inFeatures) {
        throw new ShapeError(`dense '${node.name}' expects a [${node.inFeatures}] input, got ${fmt(x)}`);
      }
      return [node.outFeatures];
    }
    case 'batchnorm':
      need(1);
      if (x[0] !== node.channels) {
        throw new ShapeError(`batchnorm '${node.name}' expects ${node.channels} channels, input is ${fmt(x)}`);
      }
      return x;
    case 'relu':
    case 'relu6':
    case 'clip':
    case 'sigmoid':
    case 'swish':
    case 'hardswish':
    case 'hardsigmoid':
    case 'identity':
      need(1);
      return x;
    case 'add':
    case 'mul':
      need(2);
      return broadcastShapes(x, ins[1] as Shape, node.name);
    case 'concat': {
      if (ins.length < 1) throw new ShapeError(`concat '${node.name}' has no inputs`);
      const rank = x.length;
      const ax = node.axis < 0 ? node.axis + rank : node.axis;
      if (ax < 0 || ax >= rank) throw new ShapeError(`concat '${node.name}': axis ${node.axis} out of range for ${fmt(x)}`);
      const out = [...x];
      out[ax] = 0;
      for (const s of ins) {
        if (s.length !== rank || s.some((v, i) => i !== ax && v !== x[i])) {
          throw new ShapeError(`concat '${node.name}': input shapes ${ins.map(fmt).join(' ')} differ off axis ${ax}`);
        }
        out[ax] = (out[ax] as number) + (s[ax] as number);
      }
      return out;
    }
    case 'maxpool':
    case 'avgpool': {
      need(1);
      const [c, h, w] = need3();
      const oh = windowOut(h, node.kernel[0], node.stride[0], 1, node.pads[0], node.pads[2]);
      const ow = windowOut(w, node.kernel[1], node.stride[1], 1, node.pads[1], node.pads[3]);
      if (oh < 1 || ow < 1) throw new ShapeError(`pool '${node.name}': window larger than input ${fmt(x)}`);
      return [c, oh, ow];
    }
    case 'globalavgpool': {
      need(1);
      const [c] = need3();
      return [c, 1, 1];
    }
    case 'flatten':
      need(1);
      return [prod(x)];
    case 'reshape': {
      need(1);
      const total = prod(x);
      const neg = node.shape.filter((v) => v === -1).length;
      if (neg > 1 || node.shape.some((v) => v === 0 || v < -1)) {
        throw new ShapeError(`reshape '${node.name}': invalid target ${fmt(node.shape)}`);
      }
      const known = node.shape.reduce((p, v) => (v === -1 ? p : p * v), 1);
      const out = node.shape.map((v) => (v === -1 ? total / known : v));
      if (prod(out) !== total || out.some((v) => !Number.isInteger(v))) {
        throw new ShapeError(`reshape '${node.name}': cannot reshape ${fmt(x)} (${total} elements) to ${fmt(node.shape)}`);
      }
      return out;
    }
    case 'softmax': {
      need(1);
      const ax = node.axis < 0 ? node.axis + x.length : node.axis;
      if (ax < 0 || ax >= x.length) throw new ShapeError(`softmax '${node.name}': axis ${node.axis} out of range for ${fmt(x)}`);
      return x;
    }
    case 'upsample': {
      need(1);
      const [c, h, w] = need3();
      if (!Number.isInteger(node.scale) || node.scale < 1) throw new ShapeError(`upsample '${node.name}': scale must be a positive integer, got ${node.scale}`);
      return [c, h * node.scale, w * node.scale];
    }
  }
}

/**
 * Infer every node's output shape. Checks names are unique, inputs refer to earlier nodes, exactly one
 * input node exists, outputs exist, and shapes are consistent. Throws {@link ShapeError} naming the node.
 */
export function inferShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  let inputs = 0;
  for (const node of graph.nodes) {
    if (!node.name) throw new ShapeError(`graph '${graph.name}': a ${node.op} node has an empty name`);
    if (shapes.has(node.name)) throw new ShapeError(`graph '${graph.name}': duplicate node name '${node.name}'`);
    if (node.op === 'input') inputs++;
    const ins = node.inputs.map((n) => {
      const s = shapes.get(n);
      if (!s) throw new ShapeError(`node '${node.name}' reads '${n}', which is not defined before it`);
      return s;
    });
    shapes.set(node.name, inferNodeShape(node, ins));
  }
  if (inputs !== 1) throw new ShapeError(`graph '${graph.name}' must have exactly one input node, has ${inputs}`);
  if (graph.outputs.length === 0) throw new ShapeError(`graph '${graph.name}' has no outputs`);
  for (const o of graph.outputs) {
    if (!shapes.has(o)) throw new ShapeError(`graph '${graph.name}': output '${o}' is not a node`);
  }
  return shapes;
}

/** The graph's input node. */
export function inputNode(graph: Graph): Extract<Node, { op: 'input' }> {
  const n = graph.nodes.find((x) => x.op === 'input');
  if (!n || n.op !== 'input') throw new ShapeError(`graph '${graph.name}' has no input node`);
  return n;
}

/** Product of a shape's dimensions. */
export function numel(s: Shape): number {
  return prod(s);
}
