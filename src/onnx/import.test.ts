import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isUserError, ModelFormatError, UnsupportedOpError } from '../errors.js';
import { referenceForward } from '../ir/reference.js';
import { numel } from '../ir/shapes.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { Rng } from '../util/rng.js';
import { exportOnnx } from './export.js';
import { importOnnx, loadOnnx } from './import.js';
import { createSession, runOnnx } from './ort.js';
import { onnx } from './proto.js';
import { randomModel } from './testing/fixtures.js';
import { OnnxGraphWriter } from './writer.js';

const rng = new Rng(42);
const rand = (n: number, scale = 0.3): Float32Array => Float32Array.from({ length: n }, () => rng.normal(0, scale));
const pos = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(0.5, 1.5));

/** A file in the style of a PyTorch/TF export, using many of the supported ops (opset 14). */
function handBuilt(): Uint8Array {
  const w = new OnnxGraphWriter('hand', 14);
  w.addInput('x', ['batch', 3, 9, 9]);
  w.addFloat('W1', [4, 3, 3, 3], rand(108));
  w.addFloat('B1', [4], rand(4));
  w.addNode('Conv', ['x', 'W1', 'B1'], ['t1'], { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } }, 'conv_su'); // 4x5x5
  w.addFloat('g', [4], pos(4));
  w.addFloat('b', [4], rand(4));
  w.addFloat('m', [4], rand(4));
  w.addFloat('v', [4], pos(4));
  w.addNode('BatchNormalization', ['t1', 'g', 'b', 'm', 'v'], ['t2'], { epsilon: { f: 1e-3 }, momentum: { f: 0.9 } }, 'bn');
  w.addFloat('zero', [], [0]);
  w.addFloat('six', [], [6]);
  w.addNode('Clip', ['t2', 'zero', 'six'], ['t3'], {}, 'clip6');
  w.addFloat('W2', [4, 2, 2, 2], rand(32));
  w.addNode('Conv', ['t3', 'W2'], ['t4'], { auto_pad: { s: 'SAME_LOWER' }, group: { i: 2 } }, 'conv_sl'); // 4x5x5
  w.addNode('Sigmoid', ['t4'], ['t5'], {}, '');
  w.addNode('Mul', ['t4', 't5'], ['t6'], {}, '');
  w.addNode('Constant', [], ['lo'], {}, 'const_lo');
  w.addNode('Clip', ['t6', 'lo'], ['t7'], {}, 'clipc');
  w.addNode('MaxPool', ['t7'], ['t8', 't8_idx'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, 'mp'); // 4x3x3
  w.addNode('AveragePool', ['t8'], ['t9'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }, 'ap');
  w.addFloat('scales', [4], [1, 1, 2, 2]);
  w.addNode('Resize', ['t9', '', 'scales'], ['t10'], { mode: { s: 'nearest' } }, 'up'); // 4x6x6
  w.addNode('HardSwish', ['t10'], ['t11'], {}, 'hsw');
  w.addNode('Concat', ['t10', 't11'], ['t12'], { axis: { i: -3 } }, 'cat'); // 8x6x6
  w.addNode('Dropout', ['t12'], ['t13', 'mask'], {}, 'drop');
  w.addInt64('shape', [-1, 288]);
  w.addNode('Reshape', ['t13', 'shape'], ['t14'], {}, 'flat');
  w.addFloat('Wg', [288, 10], rand(2880, 0.1));
  w.addFloat('Cg', [1, 10], rand(10));
  w.addNode('Gemm', ['t14', 'Wg', 'Cg'], ['t15'], { transB: { i: 0 }, alpha: { f: 0.5 }, beta: { f: 2 } }, 'gemm');
  w.addNode('Relu', ['t15'], ['t16'], {}, 'relu');
  w.addFloat('Wm', [10, 5], rand(50));
  w.addFloat('Bm', [5], rand(5));
  w.addNode('MatMul', ['t16', 'Wm'], ['t17'], {}, 'mm');
  w.addNode('Add', ['t17', 'Bm'], ['t18'], {}, 'mm_bias');
  w.addNode('Identity', ['t18'], ['t19'], {}, 'id');
  w.addNode('Softmax', ['t19'], ['probs'], {}, 'sm');
  w.addOutput('probs', ['batch', 5]);
  const model = w.toModel();
  // The Constant node's value, and the first conv weight as float_data instead of raw_data.
  const cnode = model.graph!.node!.find((n) => n.name === 'const_lo');
  cnode!.attribute = [onnx.AttributeProto.create({ name: 'value', type: 4, t: { dims: [], dataType: 1, floatData: [-0.25] } })];
  const w1 = model.graph!.initializer!.find((t) => t.name === 'W1')!;
  w1.floatData = Array.from(new Float32Array(w1.rawData!.slice().buffer));
  delete (w1 as { rawData?: Uint8Array }).rawData;
  return onnx.ModelProto.encode(model).finish();
}

test('imports a hand-built file (Gemm transB=0 + alpha/beta, Clip via inputs, auto_pad, constant Reshape, folds)', () => {
  const m = importOnnx(handBuilt(), 'hand.onnx');
  const ops = m.graph.nodes.map((n) => `${n.name}:${n.op}`);
  assert.deepEqual(ops, [
    'x:input',
    'conv_su:conv2d',
    'bn:batchnorm',
    'clip6:relu6',
    'conv_sl:conv2d',
    't6:swish',
    'clipc:clip',
    'mp:maxpool',
    'ap:avgpool',
    'up:upsample',
    'hsw:hardswish',
    'cat:concat',
    'drop:identity',
    'flat:reshape',
    'gemm:dense',
    'relu:relu',
    'mm:dense',
    'id:identity',
    'sm:softmax',
  ]);
  const node = (name: string) => m.graph.nodes.find((n) => n.name === name)!;
  assert.deepEqual(node('conv_su'), {
    op: 'conv2d',
    name: 'conv_su',
    inputs: ['x'],
    inChannels: 3,
    outChannels: 4,
    kernel: [3, 3],
    stride: [2, 2],
    dilation: [1, 1],
    pads: [1, 1, 1, 1],
    groups: 1,
    bias: true,
  });
  assert.deepEqual((node('conv_sl') as { pads: unknown }).pads, [1, 1, 0, 0]);
  assert.deepEqual(node('bn'), { op: 'batchnorm', name: 'bn', inputs: ['conv_su'], channels: 4, eps: 0.001, momentum: 0.1 });
  assert.deepEqual(node('clipc'), { op: 'clip', name: 'clipc', inputs: ['t6'], min: -0.25, max: 3.4028235e38 });
  assert.deepEqual((node('mp') as { pads: unknown }).pads, [0, 0, 1, 1]);
  assert.deepEqual(node('flat'), { op: 'reshape', name: 'flat', inputs: ['drop'], shape: [288] });
  assert.deepEqual(node('cat'), { op: 'concat', name: 'cat', inputs: ['up', 'hsw'], axis: -3 });
  assert.deepEqual(m.graph.outputs, ['sm']);
  assert.deepEqual(node('mm'), { op: 'dense', name: 'mm', inputs: ['relu'], inFeatures: 10, outFeatures: 5, bias: true });
  assert.deepEqual([...m.weights.get('gemm.weight')!.shape], [10, 288]);
});

test('hand-built file: onnxruntime and the reference forward pass of the imported IR agree', async () => {
  const bytes = handBuilt();
  const m = importOnnx(bytes, 'hand.onnx');
  const s = await createSession(bytes);
  const batch = 3;
  const x = rand(batch * 243, 1);
  const got = await runOnnx(s, x, batch);
  const want = referenceForward(m, x, batch);
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= 1e-5, `output ${i}: ${got[i]} vs ${want[i]}`);
  await s.session.release();
});

test('opset 10 file: Clip min/max as attributes, Resize-10, Gemm transB=1, fixed batch 1', async () => {
  const w = new OnnxGraphWriter('old', 10);
  w.addInput('img', [1, 2, 4, 4]);
  w.addFloat('W', [3, 2, 3, 3], rand(54));
  w.addNode('Conv', ['img', 'W'], ['c'], { pads: { ints: [1, 0, 1, 0] }, kernel_shape: { ints: [3, 3] } }, 'conv'); // 3x4x2
  w.addNode('Clip', ['c'], ['k'], { min: { f: -0.5 }, max: { f: 0.5 } }, 'clip');
  w.addFloat('sc', [4], [1, 1, 2, 2]);
  w.addNode('Resize', ['k', 'sc'], ['r'], { mode: { s: 'nearest' } }, 'resize'); // 3x8x4
  w.addNode('Flatten', ['r'], ['f'], { axis: { i: 1 } }, 'flatten');
  w.addFloat('Wg', [4, 96], rand(384, 0.1));
  w.addFloat('Cg', [4], rand(4));
  w.addNode('Gemm', ['f', 'Wg', 'Cg'], ['out'], { transB: { i: 1 } }, 'fc');
  w.addOutput('out', [1, 4]);
  const bytes = w.encode();
  const m = importOnnx(bytes, 'old.onnx');
  assert.deepEqual(
    m.graph.nodes.map((n) => n.op),
    ['input', 'conv2d', 'clip', 'upsample', 'flatten', 'dense'],
  );
  const s = await createSession(bytes);
  const x = rand(32, 1);
  const got = await runOnnx(s, x, 1);
  const want = referenceForward(m, x, 1);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= 1e-5);
  await s.session.release();
});

function f2h(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}

test('float16, float64, float_data and Constant-node initializers are decoded', () => {
  const w = new OnnxGraphWriter('dtypes', 13);
  w.addInput('x', ['N', 2]);
  w.addNode('Gemm', ['x', 'W', 'C'], ['y'], { transB: { i: 1 } }, 'fc');
  w.addOutput('y', ['N', 3]);
  const model = w.toModel();
  const wv = [0.5, -1.25, 2, 0.125, -0.375, 3];
  model.graph!.initializer!.push(
    onnx.TensorProto.create({ name: 'W', dims: [3, 2], dataType: 10, rawData: new Uint8Array(Uint16Array.from(wv, f2h).buffer) }),
    onnx.TensorProto.create({ name: 'C', dims: [3], dataType: 11, doubleData: [0.1, 0.2, 0.3] }),
  );
  const m = importOnnx(onnx.ModelProto.encode(model).finish());
  assert.deepEqual([...m.weights.get('fc.weight')!.data], wv);
  assert.deepEqual([...m.weights.get('fc.bias')!.data], [0.1, 0.2, 0.3].map(Math.fround));
});

test('an unsupported operator names its type and node', () => {
  const w = new OnnxGraphWriter('u', 13);
  w.addInput('x', ['N', 4]);
  w.addNode('Relu', ['x'], ['a'], {}, 'r');
  w.addNode('Elu', ['a'], ['b'], {}, 'act_elu');
  w.addNode('Erf', ['b'], ['c'], {}, 'erf');
  w.addOutput('c', ['N', 4]);
  assert.throws(
    () => importOnnx(w.encode()),
    (e: unknown) => e instanceof UnsupportedOpError && e.opType === 'Elu' && e.nodeName === 'act_elu' && /also Erf/.test(e.message),
  );
  const w2 = new OnnxGraphWriter('u2', 13);
  w2.addInput('x', ['N', 4]);
  w2.addFloat('two', [], [2]);
  w2.addNode('Mul', ['x', 'two'], ['y'], {}, 'scale');
  w2.addOutput('y', ['N', 4]);
  assert.throws(
    () => importOnnx(w2.encode()),
    (e: unknown) => e instanceof UnsupportedOpError && e.nodeName === 'scale' && /constant/.test(e.message),
  );
  const w3 = new OnnxGraphWriter('u3', 13);
  w3.addInput('x', ['N', 4]);
  w3.addNode('HardSigmoid', ['x'], ['y'], { alpha: { f: 0.2 } }, 'keras_hs');
  w3.addOutput('y', ['N', 4]);
  assert.throws(() => importOnnx(w3.encode()), /unsupported operator 'HardSigmoid' at node 'keras_hs': alpha=0.2/);
  // PyTorch's x.reshape(x.shape[0], -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape, with a hint
  const w4 = new OnnxGraphWriter('u4', 13);
  w4.addInput('x', ['N', 2, 2]);
  w4.addNode('Shape', ['x'], ['s'], {}, '/Shape');
  w4.addNode('Reshape', ['x', 's'], ['y'], {}, '/Reshape');
  w4.addOutput('y', ['N', 4]);
  assert.throws(() => importOnnx(w4.encode()), /unsupported operator 'Shape' at node '\/Shape'.*export with torch\.flatten\(x, 1\)/);
});

test('ReduceMean, Squeeze and Unsqueeze outside what maps onto the IR are refused naming the node, the axes and what is supported', () => {
  const one = (op: string, ins: string[], attrs: Parameters<OnnxGraphWriter['addNode']>[3], outDims: (string | number)[], opset = 13): Uint8Array => {
    const w = new OnnxGraphWriter('r', opset);
    w.addInput('x', ['N', 2, 1, 1]);
    if (ins.length > 1) w.addInt64('axes', [-1]);
    w.addNode(op, ins, ['y'], attrs, `/${op}`);
    w.addOutput('y', outDims);
    return w.encode();
  };
  assert.throws(
    () => importOnnx(one('ReduceMean', ['x'], {}, [1, 1, 1, 1])),
    /'ReduceMean' at node '\/ReduceMean': no axes .*keepdims 1 on an \[N,2,1,1\] input.*axes \[2,3\]/,
  );
  assert.throws(() => importOnnx(one('ReduceMean', ['x'], { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } }, ['N'])), /axes \[1,2,3\] with keepdims 0/);
  assert.throws(() => importOnnx(one('Squeeze', ['x'], {}, ['N', 2])), /'Squeeze' at node '\/Squeeze': Squeeze without axes .*x\.squeeze\(-1\)/);
  assert.throws(() => importOnnx(one('Squeeze', ['x'], { axes: { ints: [0] } }, [2, 1, 1], 11)), /axes \[0\] .* batch axis/);
  assert.throws(() => importOnnx(one('Squeeze', ['x'], { axes: { ints: [1] } }, ['N', 1, 1], 11)), /axis 1 has size 2, expected 1/);
  // opset 13: axes as an input; [N,2,1,1] -> Unsqueeze(-1) -> [N,2,1,1,1], a reshape
  const m = importOnnx(one('Unsqueeze', ['x', 'axes'], {}, ['N', 2, 1, 1, 1]));
  assert.deepEqual(
    m.graph.nodes.map((n) => [n.op, n.op === 'reshape' ? n.shape : []]),
    [
      ['input', []],
      ['reshape', [2, 1, 1, 1]],
    ],
  );
});

test('missing initializer, wrong initializer size, missing graph, empty or garbage bytes: ModelFormatError', () => {
  const build = (mut: (m: ReturnType<OnnxGraphWriter['toModel']>) => void): Uint8Array => {
    const w = new OnnxGraphWriter('e', 13);
    w.addInput('x', ['N', 1, 4, 4]);
    w.addFloat('W', [2, 1, 3, 3], rand(18));
    w.addNode('Conv', ['x', 'W'], ['y'], {}, 'conv');
    w.addOutput('y', ['N', 2, 2, 2]);
    const m = w.toModel();
    mut(m);
    return onnx.ModelProto.encode(m).finish();
  };
  assert.throws(
    () =>
      importOnnx(
        build((m) => (m.graph!.initializer = [])),
        'a.onnx',
      ),
    (e: unknown) => e instanceof ModelFormatError && /a\.onnx/.test(e.message) && /'W'/.test(e.message),
  );
  assert.throws(
    () =>
      importOnnx(
        build((m) => (m.graph!.initializer![0]!.rawData = m.graph!.initializer![0]!.rawData!.slice(0, 40))),
        'b.onnx',
      ),
    /b\.onnx: tensor 'W' has 10 values, expected 18/,
  );
  assert.throws(
    () =>
      importOnnx(
        build((m) => (m.graph = null as never)),
        'c.onnx',
      ),
    /c\.onnx: the model has no graph/,
  );
  assert.throws(
    () =>
      importOnnx(
        build((m) => (m.opsetImport = [])),
        'd.onnx',
      ),
    /d\.onnx: no opset_import/,
  );
  assert.throws(() => importOnnx(new Uint8Array(), 'e.onnx'), /e\.onnx: the file is empty/);
  assert.throws(() => importOnnx(new TextEncoder().encode('hello, this is not ONNX'), 'f.onnx'), ModelFormatError);
});

test('every truncation of a real exported file is a ModelFormatError naming the file', () => {
  const bytes = exportOnnx(randomModel(zooGraph('mbnet32'), 1));
  const r = new Rng(3);
  const cuts = [0, 1, 2, 10, 100, bytes.length - 1, bytes.length - 2, ...Array.from({ length: 120 }, () => r.int(1, bytes.length - 1))];
  for (const cut of cuts) {
    assert.throws(
      () => importOnnx(bytes.subarray(0, cut), 'cut.onnx'),
      (e: unknown) => e instanceof ModelFormatError && e.message.startsWith('cut.onnx'),
      `cut at ${cut}`,
    );
  }
});

test('random byte corruption never crashes: either a model or a user error', () => {
  const bytes = exportOnnx(randomModel(zooGraph('mnist-cnn'), 1));
  const r = new Rng(5);
  let errors = 0;
  for (let k = 0; k < 300; k++) {
    const c = bytes.slice();
    const flips = r.int(1, 9);
    // Corrupt the structure (first 2 KB: graph, nodes, attributes, shapes) more often than the weights.
    for (let f = 0; f < flips; f++) c[r.next() < 0.8 ? r.int(0, 2048) : r.int(0, c.length)] = r.int(0, 256);
    try {
      const m = importOnnx(c, 'corrupt.onnx');
      assert.ok(numel(m.graph.nodes[0]!.op === 'input' ? m.graph.nodes[0]!.shape : []) > 0);
    } catch (e) {
      assert.ok(isUserError(e), `corruption ${k}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 50, `only ${errors} corruptions were detected`);
});

test('loadOnnx names the path for a missing or truncated file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-onnx-'));
  const p = join(dir, 'half.onnx');
  const bytes = exportOnnx(randomModel(zooGraph('mnist-cnn'), 1));
  writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
  assert.throws(
    () => loadOnnx(p),
    (e: unknown) => e instanceof ModelFormatError && e.message.includes(p),
  );
  assert.throws(() => loadOnnx(join(dir, 'nope.onnx')), /cannot read ONNX file '.*nope\.onnx'/);
  writeFileSync(p, bytes);
  assert.equal(loadOnnx(p).graph.nodes.length, 9);
});

test('duplicate and empty node names are replaced by unique generated names', () => {
  const w = new OnnxGraphWriter('names', 13);
  w.addInput('x', ['N', 4]);
  w.addNode('Relu', ['x'], ['a'], {}, 'same');
  w.addNode('Sigmoid', ['a'], ['b'], {}, 'same');
  w.addNode('Relu', ['b'], ['x_1'], {}, '');
  w.addNode('Identity', ['x_1'], ['out'], {}, 'x');
  w.addOutput('out', ['N', 4]);
  const m = importOnnx(w.encode());
  assert.deepEqual(
    m.graph.nodes.map((n) => n.name),
    ['x', 'a', 'b', 'x_1', 'out'],
  );
  assert.deepEqual(m.graph.outputs, ['out']);
});
