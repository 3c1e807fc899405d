import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphWorkloads } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/index.js';
import { KIND, prepareNetwork, sliceWorkload } from './prepared.js';

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
