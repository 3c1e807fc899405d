/**
 * Graph surgery: replace units (chains of nodes, see units.ts) of a model by subgraphs with the same
 * input and output shapes. The replacement's nodes are renamed `<unit>__<node>` except its output
 * node, which takes the unit's output name so that every consumer stays connected; its weights are
 * renamed the same way. The result is shape-checked and weight-checked.
 */
import { ShapeError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { inferShapes } from '../ir/shapes.js';
import type { Graph, Model, Node, Weights } from '../ir/types.js';
import { ALT_INPUT } from './alternatives.js';
import type { Unit } from './units.js';

/** One replacement: a unit and the model (input node {@link ALT_INPUT}) that takes its place. */
export interface Replacement {
  readonly unit: Unit;
  readonly sub: Model;
}

/**
 * A new model with every unit replaced by its subgraph (units must not overlap). Throws ShapeError
 * when a replacement's output shape differs from the unit's or names collide.
 * @example const fast = replaceUnits(teacher, [{ unit, sub: { graph: alt.graph, weights } }]);
 */
export function replaceUnits(model: Model, replacements: readonly Replacement[]): Model {
  const byFirst = new Map<string, Replacement>();
  const removed = new Set<string>();
  for (const r of replacements) {
    for (const n of r.unit.nodes) {
      if (removed.has(n)) throw new ShapeError(`replaceUnits: node '${n}' belongs to two replaced units`);
      removed.add(n);
    }
    byFirst.set(r.unit.nodes[0] as string, r);
  }
  const names = new Set(model.graph.nodes.filter((n) => !removed.has(n.name)).map((n) => n.name));
  const nodes: Node[] = [];
  const weights: Weights = new Map();
  for (const [k, v] of model.weights) if (!removed.has(k.slice(0, k.lastIndexOf('.')))) weights.set(k, v);
  for (const n of model.graph.nodes) {
    const r = byFirst.get(n.name);
    if (r) {
      const { unit, sub } = r;
      const out = sub.graph.outputs[0] as string;
      const rename = (x: string): string => (x === ALT_INPUT ? unit.input : x === out ? unit.output : `${unit.name}__${x}`);
      for (const sn of sub.graph.nodes) {
        if (sn.op === 'input') continue;
        const name = rename(sn.name);
        if (names.has(name)) throw new ShapeError(`replaceUnits: node name '${name}' of the replacement for unit '${unit.name}' is already used`);
        names.add(name);
        nodes.push({ ...sn, name, inputs: sn.inputs.map(rename) } as Node);
      }
      if (sub.graph.outputs[0] === ALT_INPUT) throw new ShapeError(`replaceUnits: the replacement for unit '${unit.name}' has no node (use an identity node)`);
      for (const [k, v] of sub.weights) {
        const dot = k.lastIndexOf('.');
        weights.set(`${rename(k.slice(0, dot))}${k.slice(dot)}`, v);
      }
      continue;
    }
    if (!removed.has(n.name)) nodes.push(n);
  }
  // the output nodes keep their names (a replaced unit's output node takes the unit's), so the file's own output names
  // (an imported ONNX's, Graph.outputNames) still apply: an export writes them as the user's file had them
  const { outputNames, batch } = model.graph;
  const graph: Graph = {
    name: model.graph.name,
    nodes,
    outputs: [...model.graph.outputs],
    ...(outputNames ? { outputNames: { ...outputNames } } : {}),
    ...(batch !== undefined ? { batch } : {}),
  };
  const shapes = inferShapes(graph);
  for (const r of replacements) {
    const s = shapes.get(r.unit.output);
    if (!s || s.length !== r.unit.outShape.length || s.some((v, i) => v !== r.unit.outShape[i])) {
      throw new ShapeError(`replaceUnits: unit '${r.unit.name}' output becomes [${s?.join(',')}], expected [${r.unit.outShape.join(',')}]`);
    }
  }
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ShapeError(`replaceUnits: ${problems.slice(0, 5).join('; ')}`);
  return { graph, weights };
}
