/**
 * Replaceable units of a network for operator substitution: a conv or dense node together with the
 * batch-norm and activation nodes that follow it in a chain (each with a single consumer), optionally
 * a depthwise conv unit merged with the pointwise conv unit after it (a depthwise-separable block).
 * A unit is replaced as a whole by a subgraph reading the same input and producing an output of the
 * same shape (see rewrite.ts).
 */
import { ConfigError } from '../errors.js';
import { inferShapes } from '../ir/shapes.js';
import type { Graph, Node, OpType, Shape } from '../ir/types.js';

/** A replaceable chain of nodes. */
export interface Unit {
  /** Name of the unit (its first node's name). */
  readonly name: string;
  /** The node whose output the unit reads. */
  readonly input: string;
  /** The unit's nodes in graph order; the last one is the unit's output. */
  readonly nodes: readonly string[];
  /** The unit's output node (last of `nodes`). */
  readonly output: string;
  readonly inShape: Shape;
  readonly outShape: Shape;
  /** Activation applied last in the unit (null when it ends in a conv/dense/batchnorm). */
  readonly finalAct: ActName | null;
  /** Kind of the unit's main op(s). */
  readonly kind: 'conv' | 'dw-separable' | 'dense';
}

/** Activations a unit may end with. */
export type ActName = 'relu' | 'relu6' | 'swish' | 'hardswish';

/** Options of {@link findUnits}. */
export interface FindUnitsOptions {
  /** Merge a depthwise conv unit with the 1x1 conv unit that follows it (default true). */
  readonly mergeDepthwise?: boolean;
  /** Only these unit names (first-node names); default every unit. */
  readonly only?: readonly string[];
}

const FOLLOWERS: ReadonlySet<OpType> = new Set<OpType>(['batchnorm', 'relu', 'relu6', 'swish', 'hardswish']);

/** The replaceable units of a graph, in graph order. */
export function findUnits(graph: Graph, opts: FindUnitsOptions = {}): Unit[] {
  const shapes = inferShapes(graph);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const single = (name: string): Node | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && !graph.outputs.includes(name) ? c[0] : undefined;
  };
  const chainFrom = (start: Node): string[] => {
    const nodes = [start.name];
    let cur = start.name;
    for (;;) {
      const next = single(cur);
      if (!next || !FOLLOWERS.has(next.op) || next.inputs.length !== 1) break;
      // at most one batchnorm, and nothing after the activation
      const last = byName.get(cur) as Node;
      if (last.op !== 'conv2d' && last.op !== 'dense' && last.op !== 'batchnorm') break;
      if (next.op === 'batchnorm' && last.op === 'batchnorm') break;
      nodes.push(next.name);
      cur = next.name;
    }
    return nodes;
  };
  const units: Unit[] = [];
  const used = new Set<string>();
  for (const n of graph.nodes) {
    if (used.has(n.name) || (n.op !== 'conv2d' && n.op !== 'dense')) continue;
    if (n.op === 'conv2d' && (n.dilation[0] > 1 || n.dilation[1] > 1)) continue;
    let nodes = chainFrom(n);
    let kind: Unit['kind'] = n.op === 'dense' ? 'dense' : 'conv';
    if (n.op === 'conv2d' && n.groups > 1 && n.groups === n.inChannels && opts.mergeDepthwise !== false) {
      const next = single(nodes[nodes.length - 1] as string);
      if (next && next.op === 'conv2d' && next.groups === 1 && next.kernel[0] === 1 && next.kernel[1] === 1 && next.stride[0] === 1 && next.stride[1] === 1) {
        nodes = [...nodes, ...chainFrom(next)];
        kind = 'dw-separable';
      }
    }
    for (const x of nodes) used.add(x);
    const output = nodes[nodes.length - 1] as string;
    const lastOp = (byName.get(output) as Node).op;
    const input = n.inputs[0] as string;
    if (n.op === 'dense' && (shapes.get(input) as Shape).length !== 1) continue;
    units.push({
      name: n.name,
      input,
      nodes,
      output,
      inShape: shapes.get(input) as Shape,
      outShape: shapes.get(output) as Shape,
      finalAct: lastOp === 'relu' || lastOp === 'relu6' || lastOp === 'swish' || lastOp === 'hardswish' ? lastOp : null,
      kind,
    });
  }
  if (opts.only) {
    const names = new Set(units.map((u) => u.name));
    for (const o of opts.only) {
      if (!names.has(o)) throw new ConfigError(`unit '${o}' is not a replaceable unit of '${graph.name}': expected one of ${[...names].join(', ')}`);
    }
    return units.filter((u) => opts.only?.includes(u.name));
  }
  return units;
}
