import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/types.js';
import { graphWorkloads } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { KIND, kernelPlan, kernelPostOps, prepareNetwork, sliceWorkload } from './prepared.js';

const anchorOf = (g: Graph, plan: Int32Array, n: string): string => {
  const i = g.nodes.findIndex((x) => x.name === n);
  const k = plan[i] as number;
  return k >= 0 ? (g.nodes[k]?.name ?? '?') : '-';
};

/** conv-bn-relu, then a ResNet basic block with a projection shortcut, then a residual add of two non-conv values. */
function resnetish(): Graph {
  const b = new GraphBuilder('resnetish', [8, 16, 16]);
  const cbr = (x: string, out: number, s: number, p: string, act: boolean): string => {
    const y = b.bn(b.conv(x, { out, kernel: 3, stride: s, bias: false, name: p }), { name: `${p}_bn` });
    return act ? b.relu(y, `${p}_relu`) : y;
  };
  const x = cbr(b.input, 16, 1, 'stem', true);
  const y = cbr(cbr(x, 32, 2, 'c1', true), 32, 1, 'c2', false);
  const sc = cbr(x, 32, 2, 'down', false);
  const r = b.relu(b.addOp(y, sc, 'add'), 'add_relu');
  const p = b.maxPool(r, { kernel: 2, stride: 2, name: 'pool' });
  const q = b.addOp(p, p, 'self_add');
  b.output(b.dense(b.flatten(b.globalAvgPool(q, 'gap'), 'flat'), 10, { name: 'fc' }));
  return b.build();
}

describe('prepared networks', () => {
  it('fuses conv+bn+act but not residual adds or shared producers', () => {
    const g = zooGraph('zoo:mobilenet-v2?size=64');
    const net = prepareNetwork(g);
    const name = (i: number): string => g.nodes[i]?.name ?? '';
    const fusedOf = (n: string): string => {
      const i = g.nodes.findIndex((x) => x.name === n);
      const f = net.fusedInto[i] as number;
      return f >= 0 ? name(f) : '-';
    };
    assert.equal(fusedOf('stem_bn'), 'stem');
    assert.equal(fusedOf('stem_relu6'), 'stem');
    assert.equal(fusedOf('b1_project_bn'), 'b1_project');
    assert.equal(fusedOf('b2_add'), '-');
    assert.equal(fusedOf('stem'), '-');
    assert.equal(net.layerNames.length, 53);
    assert.equal(prepareNetwork(g), net, 'cached per graph');
  });
  it('runtime kernels: residual add(+act) joins the conv of its first qualifying operand', () => {
    const g = resnetish();
    const plan = kernelPlan(g);
    assert.equal(anchorOf(g, plan, 'stem_relu'), 'stem');
    assert.equal(anchorOf(g, plan, 'add'), 'c2', 'first operand c2_bn is a conv+bn without activation');
    assert.equal(anchorOf(g, plan, 'add_relu'), 'c2');
    assert.equal(anchorOf(g, plan, 'down_bn'), 'down');
    assert.equal(anchorOf(g, plan, 'pool'), 'pool', 'pooling runs alone');
    assert.equal(anchorOf(g, plan, 'self_add'), 'self_add', 'no conv operand: runs alone');
    assert.equal(anchorOf(g, plan, 'flat'), '-', 'plumbing has no kernel');
    const net = prepareNetwork(g);
    assert.deepEqual([...net.kernelOf], [...plan]);
    const posts = kernelPostOps(net);
    const at = (n: string): readonly string[] | null => posts[g.nodes.findIndex((x) => x.name === n)] ?? null;
    assert.deepEqual(at('c2'), ['batchnorm', 'add', 'relu']);
    assert.deepEqual(at('stem'), ['batchnorm', 'relu']);
    assert.deepEqual(at('pool'), []);
    assert.equal(at('add'), null);
  });
  it('MobileNetV2: the project conv takes the residual add (its other operand has two consumers)', () => {
    const g = zooGraph('zoo:mobilenet-v2?size=64');
    const plan = kernelPlan(g);
    assert.equal(anchorOf(g, plan, 'b2_add'), 'b2_project');
  });
  it('classifies nodes and builds GEMM views', () => {
    const g = zooGraph('zoo:mbnet32');
    const net = prepareNetwork(g);
    const i = g.nodes.findIndex((n) => n.name === 'b1_dw');
    assert.equal(net.col.kind[i], KIND.depthwise);
    assert.equal(net.col.gemmG[i], 32);
    assert.equal(net.col.gemmK[i], 9);
    assert.equal(net.col.gemmN[i], 1);
    assert.equal(net.col.gemmM[i], 16 * 16);
  });
  it('slices a layer by output channels', () => {
    const w = graphWorkloads(zooGraph('zoo:mbnet32')).find((x) => x.node === 'b1_dw');
    assert.ok(w);
    const s = sliceWorkload(w, 0, 8);
    assert.equal(s.macs, w.macs / 4);
    assert.equal(s.conv?.groups, 8);
    assert.equal(s.inElems, w.inElems / 4);
  });
});
