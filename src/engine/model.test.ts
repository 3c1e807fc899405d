import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { GraphBuilder } from '../ir/builder.js';
import { initWeights } from '../ir/init.js';
import { referenceForward } from '../ir/reference.js';
import type { Graph, Model, Weights } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/index.js';
import { Rng } from '../util/rng.js';
import { initEngine } from './backend.js';
import { buildModel, loadEngineModel, saveEngineModel } from './model.js';
import { tf } from './tf.js';

function randomModel(graph: Graph, seed: number): Model {
  const rng = new Rng(seed);
  const weights: Weights = initWeights(graph, rng);
  for (const [k, t] of weights) {
    if (k.endsWith('.bias') || k.endsWith('.scale') || k.endsWith('.mean'))
      for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal(0, 0.5) + (k.endsWith('.scale') ? 1 : 0);
    if (k.endsWith('.var')) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(0.5, 2);
  }
  return { graph, weights };
}

function randomInput(graph: Graph, n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const shape = (graph.nodes[0] as unknown as { shape: number[] }).shape;
  const x = new Float32Array(n * shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

function assertClose(got: Float32Array, want: Float64Array, what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs((got[i] as number) - (want[i] as number)) / (1 + Math.abs(want[i] as number));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: max rel error ${worst} at ${at} (got ${got[at]}, want ${want[at]})`);
}

function check(graph: Graph, what: string, n = 3): void {
  const model = randomModel(graph, 7);
  const x = randomInput(graph, n, 11);
  const m = buildModel(model);
  try {
    assertClose(m.predict(x, n, { batchSize: 2 }), referenceForward(model, x, n), what);
  } finally {
    m.dispose();
  }
}

describe('buildModel matches the float64 reference on every IR op', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('conv: uneven explicit pads, stride 2, dilation 2, grouped, depthwise x1 and x2', () => {
    const b = new GraphBuilder('convs', [4, 9, 8]);
    let x = b.conv(b.input, { out: 6, kernel: 3, stride: 2, pad: [0, 1, 1, 0], name: 'c1' });
    x = b.conv(x, { out: 6, kernel: [3, 2], pad: 'same', groups: 2, name: 'grp' });
    x = b.conv(x, { out: 12, kernel: 3, stride: 2, pad: 'same', groups: 6, bias: false, name: 'dw2' });
    x = b.conv(x, { out: 12, kernel: 3, groups: 12, pad: [1, 2, 1, 0], name: 'dw1' });
    x = b.conv(x, { out: 5, kernel: 3, dilation: 2, pad: 2, name: 'dil' });
    x = b.conv(x, { out: 4, kernel: 3, groups: 1, dilation: [1, 2], pad: [1, 2, 1, 2], name: 'dil2' });
    b.output(x);
    check(b.build(), 'convs');
  });

  it('depthwise with dilation and stride', () => {
    const b = new GraphBuilder('dwdil', [3, 11, 11]);
    b.output(b.conv(b.input, { out: 3, kernel: 3, groups: 3, dilation: 2, stride: 2, pad: 1, name: 'd' }));
    check(b.build(), 'dwdil');
  });

  it('flatten keeps NCHW order: into dense, through relu into dense, and as an output', () => {
    const b = new GraphBuilder('flat', [3, 4, 5]);
    const c = b.conv(b.input, { out: 6, kernel: 3, name: 'c' });
    const f = b.flatten(c, 'f');
    const d1 = b.dense(b.relu(f), 7, { name: 'd1' });
    const d2 = b.dense(f, 7, { name: 'd2' });
    b.output(b.addOp(d1, d2));
    check(b.build(), 'flatten->dense');
    const b2 = new GraphBuilder('flat-out', [3, 4, 5]);
    b2.output(b2.flatten(b2.conv(b2.input, { out: 2, kernel: 1 })));
    check(b2.build(), 'flatten output');
    const b3 = new GraphBuilder('flat-mixed', [3, 4, 5]);
    const f3 = b3.flatten(b3.conv(b3.input, { out: 2, kernel: 1 }));
    b3.output(b3.addOp(b3.dense(f3, 40, { name: 'dd' }), f3));
    check(b3.build(), 'flatten to dense and add');
  });

  it('batchnorm (eval) on maps and vectors; all activations', () => {
    const b = new GraphBuilder('acts', [3, 5, 5]);
    let x = b.bn(b.conv(b.input, { out: 8, kernel: 3 }), { name: 'bn1' });
    x = b.act(x, 'relu6');
    x = b.act(b.clip(b.conv(x, { out: 8, kernel: 1 }), -0.5, 0.7), 'sigmoid');
    x = b.act(b.conv(x, { out: 8, kernel: 1 }), 'swish');
    x = b.act(b.conv(x, { out: 8, kernel: 1 }), 'hardswish');
    x = b.act(b.conv(x, { out: 8, kernel: 1 }), 'hardsigmoid');
    x = b.act(b.relu(x), 'identity');
    const v = b.bn(b.flatten(x), { name: 'bn2' });
    b.output(b.dense(v, 4));
    check(b.build(), 'acts');
  });

  it('add/mul with per-sample broadcasting, concat on channel, width and vector axes', () => {
    const b = new GraphBuilder('bin', [4, 6, 5]);
    const x = b.conv(b.input, { out: 4, kernel: 3 });
    const g = b.globalAvgPool(x); // [4,1,1]
    const s = b.mul(x, b.act(g, 'sigmoid')); // channel attention
    const rowv = b.reshape(b.dense(b.flatten(g), 5), [5]); // [5] broadcasts along W
    const t = b.addOp(s, rowv);
    const cc = b.concat([t, x], 0);
    const cw = b.concat([cc, cc], 2);
    const f = b.flatten(cw);
    const v = b.concat([f, f], 0);
    b.output(b.mul(v, v));
    check(b.build(), 'binary/concat');
  });

  it('max/avg pools with pads (both count modes), global pool, upsample, reshape, softmax', () => {
    const b = new GraphBuilder('pools', [3, 7, 6]);
    const c = b.conv(b.input, { out: 4, kernel: 3 });
    const p1 = b.maxPool(c, { kernel: 3, stride: 2, pad: [1, 0, 1, 1] });
    const p2 = b.avgPool(c, { kernel: 3, stride: 2, pad: [1, 0, 1, 1] });
    const p3 = b.avgPool(c, { kernel: 3, stride: 2, pad: [1, 0, 1, 1], countIncludePad: true });
    const p4 = b.avgPool(c, { kernel: 2, pad: [1, 0, 0, 0] });
    let x = b.addOp(b.addOp(p1, p2), p3); // [4,4,3]
    x = b.upsample(x, 2); // [4,8,6]
    x = b.addOp(x, b.upsample(p4, 2));
    const r2 = b.reshape(x, [8, -1]); // rank 2, std
    const sm = b.softmax(r2); // last axis
    const r3 = b.reshape(sm, [4, 6, 8]); // back to [C,H,W], different split
    const s0 = b.add({ op: 'softmax', name: 'sm0', inputs: [r3], axis: 0 });
    b.output(b.addOp(s0, b.globalAvgPool(r3)));
    check(b.build(), 'pools');
  });
});

describe('EngineModel', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('getWeights returns the IR weights unchanged (layout round trip)', () => {
    for (const spec of ['mnist-cnn', 'mbnet32']) {
      const model = randomModel(zooGraph(spec), 3);
      const m = buildModel(model);
      const back = m.getWeights();
      for (const [k, t] of model.weights) assert.deepEqual(back.get(k)?.data, t.data, `${spec} ${k}`);
      m.dispose();
    }
  });

  it('zoo nets match the reference; training-mode batch norm uses batch statistics', () => {
    check(zooGraph('mnist-cnn'), 'mnist-cnn', 2);
    check(zooGraph('mbnet32'), 'mbnet32', 2);
    const model = randomModel(zooGraph('mbnet32?width=0.25'), 5);
    const x = randomInput(model.graph, 4, 6);
    const m = buildModel(model);
    const stats: import('./model.js').BnBatchStats[] = [];
    const y = tf.tidy(() => m.forward(m.inputTensor(x, 4), { training: true, bnStats: stats }));
    assertClose(y.dataSync() as Float32Array, referenceForward(model, x, 4, { training: true }), 'train-mode bn');
    assert.equal(stats.length, 9);
    assert.equal(stats[0]?.count, 4 * 16 * 16);
    y.dispose();
    for (const s of stats) tf.dispose([s.mean, s.variance]);
    m.dispose();
  });

  it('fused training-mode batch norm matches the op-by-op formulation in value and gradients', () => {
    const model = randomModel(zooGraph('mbnet32?width=0.25'), 12);
    const m = buildModel(model);
    const x = m.inputTensor(randomInput(model.graph, 6, 3), 6);
    const vars = m.trainableKeys.map((k) => m.variables.get(k)!);
    const run = (secondOrder: boolean): Float32Array[] =>
      tf
        .tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => tf.sum(tf.mul(m.forward(x, { training: true, secondOrder }), tf.range(0, 10).reshape([1, 10]))) as tf.Scalar,
            vars,
          );
          return [value, ...vars.map((v) => grads[v.name]!)];
        })
        .map((t) => {
          const d = t.dataSync() as Float32Array;
          t.dispose();
          return d;
        });
    const fused = run(false);
    const plain = run(true);
    fused.forEach((f, i) => assertClose(f, Float64Array.from(plain[i]!), `tensor ${i} (${i === 0 ? 'loss' : m.trainableKeys[i - 1]})`, 2e-4));
    x.dispose();
    m.dispose();
  });

  it('weight and activation hooks run inside the forward pass', () => {
    const model = randomModel(zooGraph('mnist-cnn'), 1);
    const seen: string[] = [];
    const m = buildModel(model, {
      hooks: {
        weightTransform: (w, info) => {
          seen.push(`${info.layer}:${info.layout}:${info.outChannels}`);
          return tf.zerosLike(w);
        },
      },
    });
    const out = m.predict(randomInput(model.graph, 2, 1), 2);
    assert.deepEqual(seen, ['conv1:hwio:16', 'conv2:hwio:32', 'fc:dense-io:10']);
    const bias = model.weights.get('fc.bias')!.data;
    assert.deepEqual([...out.slice(0, 10)], [...bias]);
    m.hooks = { activationTransform: (a, info) => (info.node === 'fc' ? tf.onesLike(a) : a) };
    assert.deepEqual([...m.predict(randomInput(model.graph, 1, 1), 1)], new Array(10).fill(1));
    m.dispose();
  });

  it('saves and loads weights through the IR files', () => {
    const model = randomModel(zooGraph('mbnet32?width=0.5'), 8);
    const m = buildModel(model);
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-engine-'));
    try {
      saveEngineModel(m, join(dir, 'm.json'));
      const back = loadEngineModel(join(dir, 'm.json'));
      const x = randomInput(model.graph, 3, 2);
      assert.deepEqual(back.predict(x, 3), m.predict(x, 3));
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      m.dispose();
    }
  });

  it('does not leak tensors in predict', () => {
    const model = randomModel(zooGraph('mbnet32'), 1);
    const m = buildModel(model);
    const x = randomInput(model.graph, 5, 1);
    m.predict(x, 5);
    const before = tf.memory().numTensors;
    m.predict(x, 5, { batchSize: 2 });
    assert.equal(tf.memory().numTensors, before);
    m.dispose();
  });

  it('frees every tensor and byte it made on dispose (a model per trial must not grow memory)', () => {
    const model = randomModel(zooGraph('mbnet32'), 1);
    const before = tf.memory();
    const m = buildModel(model);
    m.predict(randomInput(model.graph, 2, 1), 2);
    m.dispose();
    const after = tf.memory();
    assert.deepEqual([after.numTensors, after.numBytes], [before.numTensors, before.numBytes]);
  });
});
