import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import type { Graph } from '../ir/types.js';
import { graphWorkloads, type Workload } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { exportKernelOnnx } from '../onnx/kernel.js';
import { ortOptimizedNodes } from '../onnx/ort.js';
import { onnx } from '../onnx/proto.js';
import { Rng } from '../util/rng.js';
import { graphKernels } from './host.js';
import { workloadKey } from './layer-key.js';
import { sliceWorkload } from './prepared.js';
import { sliceKernelGraph } from './slice-kernel.js';

const FP32 = { weightBits: 32, actBits: 32 };
const mb = zooGraph('zoo:mbnet32');
const v2 = zooGraph('zoo:mobilenet-v2?size=32&width=0.35');

/** The runtime kernel of `layer` in `g` (member names, the layer first) and the layer's workload. */
function kernel(g: Graph, layer: string): { readonly members: string[]; readonly w: Workload } {
  const k = graphKernels(g).find((x) => g.nodes[x.anchor]?.name === layer);
  assert.ok(k, `${layer} anchors a kernel`);
  return { members: k.members.map((i) => g.nodes[i]?.name as string), w: graphWorkloads(g)[k.anchor] as Workload };
}

const anchorOf = (sg: Graph, layer: string): Workload => graphWorkloads(sg).find((w) => w.node === layer) as Workload;

/** The weight shapes of the ONNX unit measureHost times for a kernel of `g`. */
function unitWeightShapes(g: Graph, members: readonly string[]): Map<string, number[]> {
  const m = onnx.ModelProto.decode(exportKernelOnnx(g, initWeights(g, new Rng(0)), members, { sink: true }));
  return new Map((m.graph?.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));
}

describe('sliceKernelGraph: a channel group as its own runtime kernel', () => {
  it('half the channels of a pointwise conv: its kernel cut to the slice, keyed by the slice, half the work', () => {
    const { members, w } = kernel(mb, 'b1_pw');
    const slice = sliceWorkload(w, 32, 32);
    const sg = sliceKernelGraph(mb, members, slice);
    assert.deepEqual(
      sg.nodes.map((n) => n.name),
      ['relu1', 'b1_pw', 'b1_pw_bn', 'relu2'],
    );
    const a = anchorOf(sg, 'b1_pw');
    assert.equal(workloadKey(a, FP32), workloadKey(slice, FP32));
    assert.equal(workloadKey(a, FP32), 'conv2d|in=32x16x16|out=32x16x16|k=1x1|s=1x1|g=1|w=32|a=32');
    assert.notEqual(workloadKey(a, FP32), workloadKey(w, FP32));
    // strictly less work than the layer: half its MACs, and the unit timed holds half its weights
    assert.equal(a.macs * 2, w.macs);
    assert.deepEqual(unitWeightShapes(sg, members).get('b1_pw.weight'), [32, 32, 1, 1]);
    assert.deepEqual(unitWeightShapes(mb, members).get('b1_pw.weight'), [64, 32, 1, 1]);
    assert.deepEqual(unitWeightShapes(sg, members).get('b1_pw_bn.scale'), [32]);
  });
  it('depthwise and dense slices read their own input channels', () => {
    const dw = kernel(mb, 'b1_dw');
    const s8 = sliceWorkload(dw.w, 0, 8);
    const a = anchorOf(sliceKernelGraph(mb, dw.members, s8), 'b1_dw');
    assert.equal(workloadKey(a, FP32), 'conv2d|in=8x16x16|out=8x16x16|k=3x3|s=1x1|g=8|w=32|a=32');
    assert.equal(a.macs * 4, dw.w.macs);
    const fc = kernel(mb, 'fc');
    const a4 = anchorOf(sliceKernelGraph(mb, fc.members, sliceWorkload(fc.w, 4, 4)), 'fc');
    assert.equal(workloadKey(a4, FP32), 'dense|in=128|out=4|k=1x1|s=1x1|g=1|w=32|a=32');
  });
  it('a residual kernel: the operand read from outside has the slice’s channels, and the unit runs the same operators as the layer’s (oracle: ORT optimized graph)', async () => {
    const { members, w } = kernel(v2, 'b2_project');
    assert.deepEqual(members, ['b2_project', 'b2_project_bn', 'b2_add']);
    const slice = sliceWorkload(w, 0, 8);
    const sg = sliceKernelGraph(v2, members, slice);
    const operand = sg.nodes.find((n) => n.name === 'b1_project_bn');
    assert.equal(operand?.op === 'conv2d' && operand.outChannels, 8);
    assert.equal(workloadKey(anchorOf(sg, 'b2_project'), FP32), workloadKey(slice, FP32));
    const ops = async (g: Graph): Promise<string[]> =>
      (await ortOptimizedNodes(exportKernelOnnx(g, initWeights(g, new Rng(1)), members, { sink: true }))).map((n) => n.op);
    assert.deepEqual(await ops(sg), await ops(v2));
  });
  it('a residual operand that is the layer’s own input gets a tensor of its own', () => {
    const b = new GraphBuilder('self-res', [16, 8, 8]);
    const c = b.conv(b.input, { out: 16, kernel: 3, name: 'c' });
    b.output(b.addOp(b.input, c, 'sum'));
    const g = b.build();
    const { members, w } = kernel(g, 'c');
    assert.deepEqual(members, ['c', 'sum']);
    const sg = sliceKernelGraph(g, members, sliceWorkload(w, 0, 4));
    const sum = sg.nodes.find((n) => n.name === 'sum');
    assert.deepEqual(sum?.inputs, [`${b.input}:operand`, 'c']);
    assert.equal(graphWorkloads(sg).find((x) => x.node === 'sum')?.outElems, 4 * 8 * 8);
  });
  it('refuses a workload that is not a slice, and a kernel of another layer', () => {
    const { members, w } = kernel(mb, 'b1_pw');
    assert.throws(
      () => sliceKernelGraph(mb, members, w),
      (e: unknown) => e instanceof ConfigError && /'b1_pw' is not a channel-group slice/.test(e.message),
    );
    assert.throws(
      () => sliceKernelGraph(mb, kernel(mb, 'b2_pw').members, sliceWorkload(w, 0, 8)),
      (e: unknown) => e instanceof ConfigError && /'b1_pw\[0:8\]': kernel \[b2_pw, b2_pw_bn, relu4\].*does not start at its layer 'b1_pw'/.test(e.message),
    );
  });
});
