import { writeFileSync } from 'node:fs';
import { ShapeError, UserError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { nodeDef } from '../ir/ops/registry.js';
import type { OnnxExportContext } from '../ir/ops/types.js';
import { inferShapes, inputNode } from '../ir/shapes.js';
import type { Graph, Model, Node, Shape, Weights, WeightTensor } from '../ir/types.js';
import { type Dim, OnnxGraphWriter } from './writer.js';

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
  /**
   * Batch dimension: a fixed size or `'dynamic'` (symbolic `N`). Default: the graph's own (`Graph.batch`, an imported
   * file's batch as the file had it: fixed stays fixed, a symbolic name stays that name), else `'dynamic'`.
   */
  readonly batch?: number | 'dynamic';
  /** Producer name written into the model (default `hwnas`). */
  readonly producer?: string;
  /** Producer version (default the package version). */
  readonly producerVersion?: string;
  /** Hooks for extended exports (quantized QDQ); see {@link ExportHooks}. */
  readonly hooks?: ExportHooks;
  /** Model `metadata_props` (key -> value). */
  readonly metadata?: Readonly<Record<string, string>>;
}

function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < 11 || opset > 21) {
    throw new UserError(`ONNX export: opset ${opset} is not supported (expected an integer from 11 to 21)`);
  }
  return opset;
}

function batchDim(o: ExportOptions, graph?: Graph): Dim {
  if (o.batch === undefined && graph?.batch !== undefined) {
    const gb = graph.batch;
    if (typeof gb === 'string') return gb;
    if (Number.isInteger(gb) && gb >= 1) return gb;
  }
  const b = o.batch ?? 'dynamic';
  if (b === 'dynamic') return 'N';
  if (!Number.isInteger(b) || b < 1) throw new UserError(`ONNX export: batch ${String(b)} is invalid (expected a positive integer or 'dynamic')`);
  return b;
}

/** Emit the ONNX node(s) of one IR node (the op's own `toOnnx`), reading `inputs` and writing tensor `node.name`. */
function emitNode(ctx: ExportContext, node: Node, inputs: readonly string[], weights: Weights, hooks: ExportHooks): void {
  const w = ctx.writer;
  const opCtx: OnnxExportContext = {
    opset: ctx.opset,
    inputs,
    inShape: (i) => ctx.shapes.get(node.inputs[i] as string) as Shape,
    weight(param) {
      const key = `${node.name}.${param}`;
      const t = weights.get(key);
      if (!t) throw new UserError(`ONNX export: missing weight '${key}' of node '${node.name}'`);
      return hooks.weight ? hooks.weight(ctx, key, t, node) : w.addFloat(key, t.shape, t.data);
    },
    constant: (name, dtype, dims, values) => (dtype === 'int64' ? w.addInt64(name, values) : w.addFloat(name, dims, values)),
    uniqueName: (base) => w.uniqueName(base),
  };
  for (const n of nodeDef(node).toOnnx(node, opCtx)) w.addNode(n.opType, n.inputs, n.outputs, n.attributes ?? {});
}

function prepare(graph: Graph, weights: Weights, opts: ExportOptions): { ctx: ExportContext; hooks: ExportHooks } {
  const shapes = inferShapes(graph);
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ShapeError(`ONNX export of '${graph.name}': ${problems.slice(0, 5).join('; ')}`);
  const opset = checkOpset(opts.opset ?? 13);
  const writer = new OnnxGraphWriter(graph.name, opset);
  const nodeNames = new Set(graph.nodes.map((n) => n.name));
  for (const o of graph.outputs) {
    const name = graph.outputNames?.[o];
    // a name some node carries would be written twice: that output keeps its node's name
    if (name !== undefined && name !== o && !nodeNames.has(name)) writer.renameTensor(o, name);
  }
  return { ctx: { writer, graph, shapes, opset }, hooks: opts.hooks ?? {} };
}

function readInputs(ctx: ExportContext, node: Node, hooks: ExportHooks): string[] {
  return node.inputs.map((t) => (hooks.activation ? hooks.activation(ctx, t, node) : t));
}

/**
 * Export an IR model with its weights to ONNX bytes. The input is named after the IR input node with
 * shape `[N, ...]` (dynamic batch `N` by default; an imported file's batch, `Graph.batch`, as the file had it); every node keeps its IR name as node and tensor name, except
 * that an output tensor takes its name from `graph.outputNames` (an imported file's own output names);
 * weights become float32 initializers named `<node>.<param>`.
 * @example
 * const bytes = exportOnnx({ graph, weights }, { opset: 13 });
 */
export function exportOnnx(model: Model, opts: ExportOptions = {}): Uint8Array {
  const { graph, weights } = model;
  const { ctx, hooks } = prepare(graph, weights, opts);
  const b = batchDim(opts, graph);
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
