/**
 * The runtime kernel of a channel-group slice as a graph of its own, so that a measured target (host-cpu) can time
 * the slice at its own shape with its layer's fused ops, as the costing looks it up.
 *
 * A channel group of a conv/dense layer is costed as {@link sliceWorkload}'s slice: a layer of its own shape keyed by
 * {@link workloadKey} (layer-target.ts). Its measured value must be that of the slice's whole runtime kernel, as for
 * the layer itself (host.ts: a kernel time includes the batchnorm, activation and residual add fused into the conv),
 * so the slice kernel is the layer's kernel with every member cut to the slice's channels: the anchor conv/dense
 * writes the slice's channels (reading the slice's input channels: all of them for a dense-channel conv, the matching
 * ones for depthwise/grouped), a fused batchnorm normalises those channels, activations and the residual add keep
 * their op, and a residual operand read from outside the kernel has the slice's channels.
 */
import { ConfigError } from '../errors.js';
import { inferShapes } from '../ir/shapes.js';
import type { Conv2dNode, Graph, Node, Shape } from '../ir/types.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { workloadKey } from './layer-key.js';

const FP32 = { weightBits: 32, actBits: 32 } as const;

/** The node of `members` cut to `channels` output channels (the anchor to the slice's geometry). */
function cutNode(n: Node, slice: Workload, channels: number): Node {
  if (n.op === 'conv2d' && slice.conv) return { ...n, inChannels: slice.conv.inChannels, outChannels: channels, groups: slice.conv.groups };
  if (n.op === 'dense') return { ...n, outFeatures: channels };
  if (n.op === 'batchnorm') return { ...n, channels };
  return n;
}

/**
 * The slice `slice` (from {@link sliceWorkload}, with `sliceOf`) of the runtime kernel `members` (node names in graph
 * order, the slice's layer first, as `graphKernels` lists them) of `graph`, as a graph whose last node is the kernel's
 * last member: one input node (the layer's input at the slice's shape), and for a tensor the kernel reads from outside
 * other than that input (a residual operand), a stand-in conv from the input that writes it at the slice's channels
 * (not a member: {@link exportKernelOnnx} of `members` makes it a model input). The anchor's workload key in the
 * returned graph is the slice's own key (checked).
 */
export function sliceKernelGraph(graph: Graph, members: readonly string[], slice: Workload): Graph {
  const layer = slice.sliceOf;
  if (!layer) throw new ConfigError(`'${slice.node}' is not a channel-group slice: expected a workload from sliceWorkload (with sliceOf)`);
  const byName = new Map(graph.nodes.map((n) => [n.name, n] as const));
  const anchor = byName.get(members[0] ?? '');
  if (!anchor || anchor.name !== layer.node || (anchor.op !== 'conv2d' && anchor.op !== 'dense'))
    throw new ConfigError(
      `channel group '${slice.node}': kernel [${members.join(', ')}] of graph '${graph.name}' does not start at its layer '${layer.node}' (expected the layer's runtime kernel)`,
    );
  const shapes = inferShapes(graph);
  const channels = slice.conv?.outChannels ?? slice.outElems;
  const layerChannels = layer.conv?.outChannels ?? layer.outElems;
  const x = anchor.inputs[0] as string;
  const inShape = slice.inShapes[0] as Shape;
  const inside = new Set(members);
  const rename = new Map<string, string>();
  const standIns: { readonly node: Conv2dNode; readonly src: string; readonly shape: Shape }[] = [];
  for (const name of members.slice(1)) {
    for (const src of byName.get(name)?.inputs ?? []) {
      if (inside.has(src) || rename.has(src)) continue;
      if (anchor.op !== 'conv2d')
        throw new ConfigError(`channel group '${slice.node}': its kernel reads '${src}' besides the layer's input; expected that only of a conv kernel`);
      const full = shapes.get(src) as Shape;
      const shape: Shape = full[0] === layerChannels ? [channels, ...full.slice(1)] : full;
      const id = src === x ? `${src}:operand` : src;
      rename.set(src, id);
      standIns.push({ node: { ...(cutNode(anchor, slice, shape[0] as number) as Conv2dNode), name: id, inputs: [x], groups: 1 }, src, shape });
    }
  }
  const cut = members.map((name) => {
    const n = cutNode(byName.get(name) as Node, slice, channels);
    return name === anchor.name ? n : { ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) };
  });
  const out: Graph = {
    name: `${graph.name}/${slice.node}`,
    nodes: [{ op: 'input', name: x, inputs: [], shape: inShape }, ...standIns.map((s) => s.node), ...cut],
    outputs: [members[members.length - 1] as string],
  };
  const got = inferShapes(out);
  for (const s of standIns)
    if ((got.get(s.node.name) as Shape).join('x') !== s.shape.join('x'))
      throw new ConfigError(
        `channel group '${slice.node}': its kernel reads '${s.src}' of shape [${(shapes.get(s.src) as Shape).join(', ')}], which a slice cannot be measured with (expected the layer's output shape)`,
      );
  const key = workloadKey(graphWorkloads(out).find((w) => w.node === anchor.name) as Workload, FP32);
  if (key !== workloadKey(slice, FP32)) throw new Error(`slice kernel of '${slice.node}' has key '${key}', expected '${workloadKey(slice, FP32)}'`);
  return out;
}
