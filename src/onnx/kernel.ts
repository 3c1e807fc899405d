import { ConfigError } from '../errors.js';
import type { Graph, Weights } from '../ir/types.js';
import { exportNodeOnnx } from './export.js';
import { makeAttribute, onnx } from './proto.js';

/** Name of the node {@link exportKernelOnnx} appends after a unit with `sink`. */
export const SINK = 'hwnas_sink';

/**
 * A one-unit ONNX model of nodes `members` of `graph` (in graph order): one graph input per tensor read from
 * outside the unit, the last member's tensor as output. Built by merging the single-node exports
 * (`exportNodeOnnx`), so every op exports exactly as in the whole network. With `sink`, a 1x1 max-pool named
 * {@link SINK} consumes the unit's output (see {@link measureHost}; profiles leave it out).
 */
export function exportKernelOnnx(graph: Graph, weights: Weights, members: readonly string[], opts: { readonly sink?: boolean } = {}): Uint8Array {
  if (members.length === 0) throw new ConfigError('exportKernelOnnx: a kernel needs at least one node');
  const inside = new Set(members);
  const parts = members.map((n) => onnx.ModelProto.decode(exportNodeOnnx(graph, n, weights, { batch: 1 })));
  const first = parts[0] as ReturnType<typeof onnx.ModelProto.decode>;
  const nodes: unknown[] = [];
  const inits = new Map<string, unknown>();
  const inputs = new Map<string, unknown>();
  for (const m of parts) {
    const g = m.graph;
    if (!g) continue;
    for (const n of g.node ?? []) nodes.push(n);
    for (const t of g.initializer ?? []) if (t.name && !inits.has(t.name)) inits.set(t.name, t);
    for (const v of g.input ?? []) if (v.name && !inside.has(v.name) && !inputs.has(v.name)) inputs.set(v.name, v);
  }
  let last = parts[parts.length - 1]?.graph?.output ?? [];
  const out = last[0];
  const rank = out?.type?.tensorType?.shape?.dim?.length ?? 0;
  if (opts.sink && out?.name && rank === 4) {
    // a 1x1 max-pool after the unit: its consumer is then an NCHWc-capable op, as inside a network, so
    // onnxruntime applies the same fusions (e.g. HardSigmoid*x -> HardSwish into the conv); its time is not counted
    const sinkOut = `${SINK}_out`;
    nodes.push(
      onnx.NodeProto.create({
        opType: 'MaxPool',
        input: [out.name],
        output: [sinkOut],
        name: SINK,
        attribute: [makeAttribute('kernel_shape', 'ints', [1, 1]), makeAttribute('strides', 'ints', [1, 1])],
      }),
    );
    last = [onnx.ValueInfoProto.create({ ...out, name: sinkOut })];
  }
  const model = onnx.ModelProto.create({
    irVersion: first.irVersion,
    producerName: first.producerName,
    opsetImport: first.opsetImport,
    graph: { name: `${graph.name}/${members.join('+')}`, node: nodes, initializer: [...inits.values()], input: [...inputs.values()], output: last } as never,
  });
  return onnx.ModelProto.encode(model).finish();
}
