import { writeFileSync } from 'node:fs';
import { ShapeError, UserError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { inferShapes, inputNode } from '../ir/shapes.js';
import type { Graph, Model, Node, Shape, WeightTensor, Weights } from '../ir/types.js';
import { type Dim, OnnxGraphWriter } from './writer.js';

/** hardsigmoid/hardswish of the IR follow PyTorch: relu6(x + 3) / 6, i.e. ONNX HardSigmoid alpha=1/6, beta=0.5. */
export const HARD_SIGMOID_ALPHA = 1 / 6;
/** See {@link HARD_SIGMOID_ALPHA}. */
export const HARD_SIGMOID_BETA = 0.5;

/** What an export hook sees: the writer and the graph being written. */
export interface ExportContext {
  readonly writer: OnnxGraphWriter;
  readonly graph: Graph;
  readonly shapes: ReadonlyMap<string, Shape>;
  readonly opset: number;
}

/**
 * Extension points of the exporter (e.g. QuantizeLinear/DequantizeLinear insertion for QDQ export).
 * Every hook has a do-nothing default; a hook returns the tensor name the consuming node should read.
 */
export interface ExportHooks {
  /** A weight tensor of `node` (key `<node>.<param>`). Default: a float32 initializer named by the key. */
  readonly weight?: (ctx: ExportContext, key: string, tensor: WeightTensor, node: Node) => string;
  /** An activation tensor read by `consumer`. Default: the tensor itself. */
  readonly activation?: (ctx: ExportContext, tensor: string, consumer: Node) => string;
}

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** ONNX opset, 11..21 (default 13). HardSwish needs 14; below it is written as x * HardSigmoid(x). */
  readonly opset?: number;
  /** Batch dimension: a fixed size or `'dynamic'` (symbolic `N`, the default). */
  readonly batch?: number | 'dynamic';
  /** Producer name written into the model (default `hwnas`). */
  readonly producer?: string;
  /** Producer version (default the package version). */
  readonly producerVersion?: string;
  /** Hooks for extended exports (quantized QDQ); see {@link ExportHooks}. */
  readonly hooks?: ExportHooks;
}

function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < 11 || opset > 21) {
    throw new UserError(`ONNX export: opset ${opset} is not supported (expected an integer from 11 to 21)`);
  }
  return opset;
}

function batchDim(o: ExportOptions): Dim {
  const b = o.batch ?? 'dynamic';
  if (b === 'dynamic') return 'N';
  if (!Number.isInteger(b) || b < 1) throw new UserError(`ONNX export: batch ${String(b)} is invalid (expected a positive integer or 'dynamic')`);
  return b;
}

/** Emit the ONNX node(s) of one IR node, reading `inputs` and writing tensor `node.name`. */
function emitNode(ctx: ExportContext, node: Node, inputs: readonly string[], weights: Weights, hooks: ExportHooks): void {
  const w = ctx.writer;
  const out = node.name;
  const x = inputs[0] as string;
  const weight = (param: string): string => {
    const key = `${node.name}.${param}`;
    const t = weights.get(key);
    if (!t) throw new UserError(`ONNX export: missing weight '${key}' of node '${node.name}'`);
    return hooks.weight ? hooks.weight(ctx, key, t, node) : w.addFloat(key, t.shape, t.data);
  };
  const clip = (min: number, max: number): void => {
    w.addNode('Clip', [x, w.addFloat(`${out}.min`, [], [min]), w.addFloat(`${out}.max`, [], [max])], [out]);
  };
  const hardSigmoid = { alpha: { f: HARD_SIGMOID_ALPHA }, beta: { f: HARD_SIGMOID_BETA } } as const;
  const shape = (n: string): Shape => ctx.shapes.get(n) as Shape;
  switch (node.op) {
    case 'input':
      throw new UserError(`ONNX export: input node '${node.name}' cannot be emitted as an operator`);
    case 'conv2d': {
      const ins = [x, weight('weight')];
      if (node.bias) ins.push(weight('bias'));
      w.addNode('Conv', ins, [out], {
        kernel_shape: { ints: node.kernel },
        strides: { ints: node.stride },
        dilations: { ints: node.dilation },
        pads: { ints: node.pads },
        group: { i: node.groups },
      });
      return;
    }
    case 'dense': {
      const ins = [x, weight('weight')];
      if (node.bias) ins.push(weight('bias'));
      w.addNode('Gemm', ins, [out], { transB: { i: 1 } });
      return;
    }
    case 'batchnorm':
      w.addNode('BatchNormalization', [x, weight('scale'), weight('bias'), weight('mean'), weight('var')], [out], {
        epsilon: { f: node.eps },
        momentum: { f: 1 - node.momentum },
      });
      return;
    case 'relu':
      w.addNode('Relu', [x], [out]);
      return;
    case 'relu6':
      clip(0, 6);
      return;
    case 'clip':
      clip(node.min, node.max);
      return;
    case 'sigmoid':
      w.addNode('Sigmoid', [x], [out]);
      return;
    case 'swish': {
      const s = w.uniqueName(`${out}/sigmoid`);
      w.addNode('Sigmoid', [x], [s]);
      w.addNode('Mul', [x, s], [out]);
      return;
    }
    case 'hardsigmoid':
      w.addNode('HardSigmoid', [x], [out], hardSigmoid);
      return;
    case 'hardswish':
      if (ctx.opset >= 14) w.addNode('HardSwish', [x], [out]);
      else {
        const s = w.uniqueName(`${out}/hardsigmoid`);
        w.addNode('HardSigmoid', [x], [s], hardSigmoid);
        w.addNode('Mul', [x, s], [out]);
      }
      return;
    case 'identity':
      w.addNode('Identity', [x], [out]);
      return;
    case 'add':
    case 'mul': {
      // Per-sample shapes broadcast from the right; with the batch axis in front, a lower-rank operand
      // must get explicit size-1 axes after its batch axis.
      const ranks = node.inputs.map((n) => shape(n).length);
      const r = Math.max(...ranks);
      const ins = inputs.map((t, i) => {
        const s = shape(node.inputs[i] as string);
        if (s.length === r) return t;
        const target = [0, ...new Array<number>(r - s.length).fill(1), ...s];
        const y = w.uniqueName(`${out}/expand${i}`);
        w.addNode('Reshape', [t, w.addInt64(`${y}.shape`, target)], [y]);
        return y;
      });
      w.addNode(node.op === 'add' ? 'Add' : 'Mul', ins, [out]);
      return;
    }
    case 'concat':
      w.addNode('Concat', inputs, [out], { axis: { i: node.axis < 0 ? node.axis : node.axis + 1 } });
      return;
    case 'maxpool':
      w.addNode('MaxPool', [x], [out], { kernel_shape: { ints: node.kernel }, strides: { ints: node.stride }, pads: { ints: node.pads } });
      return;
    case 'avgpool':
      w.addNode('AveragePool', [x], [out], {
        kernel_shape: { ints: node.kernel },
        strides: { ints: node.stride },
        pads: { ints: node.pads },
        count_include_pad: { i: node.countIncludePad ? 1 : 0 },
      });
      return;
    case 'globalavgpool':
      w.addNode('GlobalAveragePool', [x], [out]);
      return;
    case 'flatten':
      w.addNode('Flatten', [x], [out], { axis: { i: 1 } });
      return;
    case 'reshape':
      // 0 copies the batch dimension, so the per-sample target may itself contain one -1.
      w.addNode('Reshape', [x, w.addInt64(`${out}.shape`, [0, ...node.shape])], [out]);
      return;
    case 'softmax':
      w.addNode('Softmax', [x], [out], { axis: { i: node.axis < 0 ? node.axis : node.axis + 1 } });
      if (ctx.opset < 13) {
        const rank = shape(node.inputs[0] as string).length;
        const ax = node.axis < 0 ? node.axis + rank : node.axis;
        if (ax !== rank - 1) {
          throw new UserError(`ONNX export: softmax '${node.name}' over axis ${node.axis} of a rank-${rank} tensor needs opset >= 13 (got opset ${ctx.opset})`);
        }
      }
      return;
    case 'upsample': {
      const scales = w.addFloat(`${out}.scales`, [4], [1, 1, node.scale, node.scale]);
      const roi = ctx.opset >= 13 ? '' : w.addFloat(`${out}.roi`, [0], []);
      w.addNode('Resize', [x, roi, scales], [out], {
        mode: { s: 'nearest' },
        coordinate_transformation_mode: { s: 'asymmetric' },
        nearest_mode: { s: 'floor' },
      });
      return;
    }
  }
}

function prepare(graph: Graph, weights: Weights, opts: ExportOptions): { ctx: ExportContext; hooks: ExportHooks } {
  const shapes = inferShapes(graph);
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ShapeError(`ONNX export of '${graph.name}': ${problems.slice(0, 5).join('; ')}`);
  const opset = checkOpset(opts.opset ?? 13);
  const writer = new OnnxGraphWriter(graph.name, opset);
  return { ctx: { writer, graph, shapes, opset }, hooks: opts.hooks ?? {} };
}

function readInputs(ctx: ExportContext, node: Node, hooks: ExportHooks): string[] {
  return node.inputs.map((t) => (hooks.activation ? hooks.activation(ctx, t, node) : t));
}

/**
 * Export an IR model with its weights to ONNX bytes. The input is named after the IR input node with
 * shape `[N, ...]` (dynamic batch `N` by default); every node keeps its IR name as node and tensor name;
 * weights become float32 initializers named `<node>.<param>`.
 * @example
 * const bytes = exportOnnx({ graph, weights }, { opset: 13 });
 */
export function exportOnnx(model: Model, opts: ExportOptions = {}): Uint8Array {
  const { graph, weights } = model;
  const { ctx, hooks } = prepare(graph, weights, opts);
  const b = batchDim(opts);
  const inp = inputNode(graph);
  ctx.writer.addInput(inp.name, [b, ...inp.shape]);
  for (const node of graph.nodes) {
    if (node.op === 'input') continue;
    emitNode(ctx, node, readInputs(ctx, node, hooks), weights, hooks);
  }
  for (const o of graph.outputs) {
    if (o === inp.name) throw new UserError(`ONNX export: graph output '${o}' is the input itself (add an identity node)`);
    ctx.writer.addOutput(o, [b, ...(ctx.shapes.get(o) as Shape)]);
  }
  return ctx.writer.encode(opts);
}

/** Export a model and write it to `path`. */
export function saveOnnx(model: Model, path: string, opts: ExportOptions = {}): void {
  writeFileSync(path, exportOnnx(model, opts));
}

/**
 * A one-node ONNX model for IR node `nodeName` of `graph` (for per-layer latency measurement): one graph
 * input per distinct producer, named after it, with that producer's shape; output named after the node.
 */
export function exportNodeOnnx(graph: Graph, nodeName: string, weights: Weights, opts: ExportOptions = {}): Uint8Array {
  const node = graph.nodes.find((n) => n.name === nodeName);
  if (!node) throw new UserError(`ONNX export: graph '${graph.name}' has no node '${nodeName}'`);
  if (node.op === 'input') throw new UserError(`ONNX export: '${nodeName}' is the input node; pick an operator node`);
  const shapes = inferShapes(graph);
  const opset = checkOpset(opts.opset ?? 13);
  const writer = new OnnxGraphWriter(`${graph.name}/${nodeName}`, opset);
  const ctx: ExportContext = { writer, graph, shapes, opset };
  const hooks = opts.hooks ?? {};
  const b = batchDim(opts);
  for (const i of new Set(node.inputs)) writer.addInput(i, [b, ...(shapes.get(i) as Shape)]);
  emitNode(ctx, node, readInputs(ctx, node, hooks), weights, hooks);
  writer.addOutput(node.name, [b, ...(shapes.get(node.name) as Shape)]);
  return writer.encode(opts);
}
