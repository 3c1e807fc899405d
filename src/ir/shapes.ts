import { ShapeError } from '../errors.js';
import { nodeDef } from './ops/registry.js';
import type { Graph, Node, Shape } from './types.js';

export { broadcastShapes, numel, samePads, windowOut } from './geometry.js';

/** Infer one node's output shape from its input shapes (the op's own rule); throws ShapeError on inconsistency. */
export function inferNodeShape(node: Node, ins: readonly Shape[]): Shape {
  return nodeDef(node).inferShape(node, ins);
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
  if (n?.op !== 'input') throw new ShapeError(`graph '${graph.name}' has no input node`);
  return n;
}
