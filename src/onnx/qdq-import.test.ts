import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { onnx as O } from 'onnx-proto';
import { UnsupportedOpError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { Rng } from '../util/rng.js';
import { exportOnnx } from './export.js';
import { importOnnx, importOnnxWithPrecision } from './import.js';
import { onnx } from './proto.js';

function floatFile(): O.ModelProto {
  const b = new GraphBuilder('net', [1, 6, 6]);
  b.output(b.dense(b.flatten(b.relu(b.conv(b.input, { out: 2, kernel: 3, name: 'c1' }))), 3, { name: 'fc' }));
  const graph = b.build();
  return onnx.ModelProto.decode(exportOnnx({ graph, weights: initWeights(graph, new Rng(1)) }, { opset: 13 }));
}

describe('QDQ import: patterns other than the exporter’s', () => {
  it('a float file has no precision', () => {
    assert.equal(importOnnxWithPrecision(onnx.ModelProto.encode(floatFile()).finish(), 'f.onnx').precision, undefined);
  });

  it('a QuantizeLinear no DequantizeLinear reads is refused naming the node and the supported pattern', () => {
    const m = floatFile();
    const g = m.graph as O.GraphProto;
    const x = (g.node[0] as O.NodeProto).input[0] as string;
    g.initializer.push(onnx.TensorProto.create({ name: 's', dims: [], dataType: 1, floatData: [0.1] }));
    g.node.unshift(onnx.NodeProto.create({ opType: 'QuantizeLinear', name: 'lonely_q', input: [x, 's'], output: ['q_out'] }));
    g.output.push(onnx.ValueInfoProto.create({ name: 'q_out' }));
    assert.throws(
      () => importOnnx(onnx.ModelProto.encode(m).finish(), 'bad.onnx'),
      (e: unknown) =>
        e instanceof UnsupportedOpError &&
        /operator 'QuantizeLinear' at node 'lonely_q'.*not read by exactly one DequantizeLinear.*quantize --out/.test(e.message),
    );
  });

  it('a weight DequantizeLinear of uint8 codes is refused naming the weight', () => {
    const m = floatFile();
    const g = m.graph as O.GraphProto;
    const conv = g.node.find((n) => n.opType === 'Conv') as O.NodeProto;
    const w = conv.input[1] as string;
    const init = g.initializer.find((t) => t.name === w) as O.TensorProto;
    const n = init.dims.reduce((a, d) => a * Number(d), 1);
    g.initializer.push(onnx.TensorProto.create({ name: 'wq', dims: init.dims, dataType: 2, rawData: new Uint8Array(n).fill(3) }));
    g.initializer.push(onnx.TensorProto.create({ name: 'ws', dims: [], dataType: 1, floatData: [0.1] }));
    g.node.unshift(onnx.NodeProto.create({ opType: 'DequantizeLinear', name: 'w_dq', input: ['wq', 'ws'], output: ['w_deq'] }));
    conv.input[1] = 'w_deq';
    assert.throws(
      () => importOnnx(onnx.ModelProto.encode(m).finish(), 'bad.onnx'),
      /operator 'DequantizeLinear' at node 'w_dq': weight 'wq' holds uint8 codes, expected int8/,
    );
  });
});
