/**
 * The op registry without the engine or protobuf: ONNX export as plain data through a recording context,
 * ownership of ONNX types, kinds, and the shape/cost rules of a few ops by hand. The full conformance suite
 * (engine vs reference vs onnxruntime) is src/engine/ops/conformance.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError } from '../../errors.js';
import type { Node, Shape } from '../types.js';
import { nodeDef, ONNX_IMPORT_TYPES, OP_TYPES, opDef, opForOnnxType, opKind } from './registry.js';
import type { OnnxExportContext, OnnxNodeData } from './types.js';

/** Exports one node through a context that records constants and weight requests as plain data. */
function exportPlain(
  node: Node,
  inShapes: readonly Shape[],
  opset = 13,
): { nodes: readonly OnnxNodeData[]; constants: Map<string, readonly number[]>; weights: string[] } {
  const constants = new Map<string, readonly number[]>();
  const weights: string[] = [];
  const used = new Set<string>();
  const ctx: OnnxExportContext = {
    opset,
    inputs: node.inputs,
    inShape: (i) => inShapes[i] as Shape,
    weight: (p) => {
      weights.push(p);
      return `${node.name}.${p}`;
    },
    constant: (name, _dtype, _dims, values) => {
      constants.set(name, values);
      return name;
    },
    uniqueName: (base) => {
      let n = base;
      for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
      used.add(n);
      return n;
    },
  };
  return { nodes: nodeDef(node).toOnnx(node, ctx), constants, weights };
}

test('every op is registered under its own name, every ONNX type has exactly one owner', () => {
  for (const op of OP_TYPES) assert.equal(opDef(op).op, op);
  assert.equal(new Set(ONNX_IMPORT_TYPES).size, ONNX_IMPORT_TYPES.length);
  for (const t of ONNX_IMPORT_TYPES) assert.ok(opForOnnxType(t)?.onnxTypes.includes(t));
  assert.equal(ONNX_IMPORT_TYPES[0], 'Conv');
  assert.equal(opForOnnxType('Elu'), undefined);
  assert.equal(opForOnnxType('LeakyRelu')?.op, 'leakyrelu');
  assert.throws(() => opDef('gelu' as never), /not an IR op/);
});

test('kinds: plumbing is free, activations fuse, pools are pools', () => {
  assert.deepEqual(
    OP_TYPES.filter((o) => opKind(o) === 'free'),
    ['input', 'flatten', 'reshape', 'identity'],
  );
  assert.deepEqual(
    OP_TYPES.filter((o) => opKind(o) === 'activation'),
    ['relu', 'relu6', 'clip', 'leakyrelu', 'sigmoid', 'swish', 'hardswish', 'hardsigmoid'],
  );
  assert.deepEqual(
    OP_TYPES.filter((o) => opKind(o) === 'pool'),
    ['maxpool', 'avgpool', 'globalavgpool'],
  );
  assert.equal(opKind('conv2d'), 'conv');
  assert.equal(opKind('no-such-op'), undefined);
});

test('ONNX export is plain data: relu6 is Clip(0, 6), hardswish depends on the opset, a rank-1 operand gets a Reshape', () => {
  const r6 = exportPlain({ op: 'relu6', name: 'a', inputs: ['x'] }, [[4]]);
  assert.deepEqual(r6.nodes, [{ opType: 'Clip', inputs: ['x', 'a.min', 'a.max'], outputs: ['a'] }]);
  assert.deepEqual([...r6.constants.values()], [[0], [6]]);

  const hs13 = exportPlain({ op: 'hardswish', name: 'h', inputs: ['x'] }, [[4]], 13);
  assert.deepEqual(
    hs13.nodes.map((n) => n.opType),
    ['HardSigmoid', 'Mul'],
  );
  assert.deepEqual(hs13.nodes[0]?.attributes, { alpha: { f: 1 / 6 }, beta: { f: 0.5 } });
  assert.deepEqual(hs13.nodes[1]?.inputs, ['x', 'h/hardsigmoid']);
  const hs14 = exportPlain({ op: 'hardswish', name: 'h', inputs: ['x'] }, [[4]], 14);
  assert.deepEqual(hs14.nodes, [{ opType: 'HardSwish', inputs: ['x'], outputs: ['h'] }]);

  const add = exportPlain({ op: 'add', name: 's', inputs: ['m', 'v'] }, [[2, 3, 5], [5]]);
  assert.deepEqual(add.nodes, [
    { opType: 'Reshape', inputs: ['v', 's/expand1.shape'], outputs: ['s/expand1'] },
    { opType: 'Add', inputs: ['m', 's/expand1'], outputs: ['s'] },
  ]);
  assert.deepEqual(add.constants.get('s/expand1.shape'), [0, 1, 1, 5]);

  const conv = exportPlain(
    {
      op: 'conv2d',
      name: 'c',
      inputs: ['x'],
      inChannels: 4,
      outChannels: 8,
      kernel: [3, 1],
      stride: [2, 1],
      dilation: [1, 1],
      pads: [1, 0, 1, 0],
      groups: 2,
      bias: false,
    },
    [[4, 9, 9]],
  );
  assert.deepEqual(conv.weights, ['weight']);
  assert.deepEqual(conv.nodes[0]?.attributes, {
    kernel_shape: { ints: [3, 1] },
    strides: { ints: [2, 1] },
    dilations: { ints: [1, 1] },
    pads: { ints: [1, 0, 1, 0] },
    group: { i: 2 },
  });
});

test('softmax over a non-last axis refuses opsets below 13, naming the node', () => {
  const n: Node = { op: 'softmax', name: 'sm', inputs: ['x'], axis: 0 };
  assert.throws(() => exportPlain(n, [[3, 4]], 11), /softmax 'sm' over axis 0 of a rank-2 tensor needs opset >= 13/);
  assert.deepEqual(exportPlain(n, [[3, 4]], 13).nodes[0]?.attributes, { axis: { i: 1 } });
});

test('shape and cost rules by hand: grouped conv, pooling, broadcasting, concat', () => {
  const conv: Node = {
    op: 'conv2d',
    name: 'c',
    inputs: ['x'],
    inChannels: 4,
    outChannels: 8,
    kernel: [3, 3],
    stride: [2, 2],
    dilation: [1, 1],
    pads: [1, 1, 1, 1],
    groups: 2,
    bias: true,
  };
  const out = nodeDef(conv).inferShape(conv, [[4, 9, 9]]);
  assert.deepEqual(out, [8, 5, 5]);
  const c = nodeDef(conv).cost(conv, [[4, 9, 9]], out);
  assert.equal(c.macs, 8 * 5 * 5 * 2 * 9);
  assert.equal(c.weightElems, 8 * 2 * 9);
  assert.equal(c.params, 8 * 2 * 9 + 8);
  assert.deepEqual(nodeDef(conv).weightShapes(conv), [
    ['weight', [8, 2, 3, 3]],
    ['bias', [8]],
  ]);
  assert.throws(() => nodeDef(conv).inferShape(conv, [[3, 9, 9]]), ShapeError);

  const mp: Node = { op: 'maxpool', name: 'p', inputs: ['x'], kernel: [3, 3], stride: [2, 2], pads: [1, 1, 0, 0], countIncludePad: false };
  assert.deepEqual(nodeDef(mp).inferShape(mp, [[2, 7, 6]]), [2, 3, 3]);
  assert.equal(nodeDef(mp).cost(mp, [[2, 7, 6]], [2, 3, 3]).elementOps, 2 * 3 * 3 * 9);

  const mul: Node = { op: 'mul', name: 'm', inputs: ['a', 'b'] };
  assert.deepEqual(
    nodeDef(mul).inferShape(mul, [
      [4, 1, 5],
      [3, 1],
    ]),
    [4, 3, 5],
  );
  assert.throws(
    () =>
      nodeDef(mul).inferShape(mul, [
        [4, 2, 5],
        [3, 5],
      ]),
    /cannot be broadcast/,
  );

  const cat: Node = { op: 'concat', name: 'k', inputs: ['a', 'b'], axis: -1 };
  assert.deepEqual(
    nodeDef(cat).inferShape(cat, [
      [2, 3, 4],
      [2, 3, 1],
    ]),
    [2, 3, 5],
  );
});

test('an axis that is not an integer is a ShapeError naming the node, on every op along an axis', () => {
  for (const op of ['concat', 'softmax', 'l2norm'] as const) {
    for (const axis of [0.5, Number.NaN]) {
      const n: Node = { op, name: `n_${op}`, inputs: ['x'], axis };
      assert.throws(
        () => nodeDef(n).inferShape(n, [[4, 3, 2]]),
        (e: unknown) => e instanceof ShapeError && e.message === `${op} 'n_${op}': axis ${axis} out of range for [4,3,2]`,
      );
    }
  }
});

test('reference forward of batch norm in training mode uses the batch statistics per channel', () => {
  const bn: Node = { op: 'batchnorm', name: 'b', inputs: ['x'], channels: 2, eps: 0, momentum: 0.1 };
  // two samples of [2]: channel 0 sees 1, 3 (mean 2, var 1); channel 1 sees 10, 14 (mean 12, var 4)
  const w: Record<string, Float32Array> = {
    scale: Float32Array.of(2, 1),
    bias: Float32Array.of(0.5, -1),
    mean: Float32Array.of(0, 0),
    var: Float32Array.of(1, 1),
  };
  const y = nodeDef(bn).forward({
    node: bn,
    inputs: [Float64Array.of(1, 10, 3, 14)],
    inShapes: [[2]],
    outShape: [2],
    batch: 2,
    weight: (p) => w[p] as Float32Array,
    training: true,
  });
  assert.deepEqual([...y], [-1.5, -2, 2.5, 0]);
  const e = nodeDef(bn).forward({
    node: bn,
    inputs: [Float64Array.of(1, 10, 3, 14)],
    inShapes: [[2]],
    outShape: [2],
    batch: 2,
    weight: (p) => w[p] as Float32Array,
    training: false,
  });
  assert.deepEqual([...e], [2.5, 9, 6.5, 13]);
});
