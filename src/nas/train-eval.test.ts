import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Dataset, Split } from '../data/types.js';
import { buildModel, initEngine, train } from '../engine/index.js';
import { uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import { jointSpace } from '../search/spaces/joint.js';
import { type Mbv2SpaceOptions, mbv2Space } from '../search/spaces/mbv2.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import type { Objective } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { scoreUnderPolicy, trainingEvaluator } from './train-eval.js';

const TINY: Mbv2SpaceOptions = { ...MBV2_TINY, inChannels: 1 };

/** A learnable synthetic task: the label is the template (of 10 fixed random 8x8 ones) closest to the image. */
function dataset(): Dataset {
  const t = new Rng(99);
  const templates = Array.from({ length: 10 }, () => Float32Array.from({ length: 64 }, () => t.normal()));
  const split = (n: number, seed: number): Split => {
    const r = new Rng(seed);
    const x = new Float32Array(n * 64);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = r.int(0, 9);
      const tpl = templates[c] as Float32Array;
      for (let j = 0; j < 64; j++) x[i * 64 + j] = (tpl[j] as number) + 0.8 * r.normal();
      y[i] = c;
    }
    return { x, y, n };
  };
  return { name: 'templates', shape: [1, 8, 8], numClasses: 10, train: split(384, 1), val: split(200, 2), test: split(50, 3) };
}

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

before(async () => {
  await initEngine();
});

test('scoreUnderPolicy quantizes activations: 2-bit activations change the loss, float activations leave the float model', async () => {
  const space = mbv2Space(TINY);
  const graph = space.graph(space.parse('r8-w1:k3e3r|k3e3r'));
  const ds = dataset();
  const em = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
  try {
    await train(em, ds.train, { epochs: 2, batchSize: 32, seed: 1, workers: 1 });
    const float = em.evaluate(ds.val.x, ds.val.y, ds.val.n);
    const state = em.toModel();
    const score = async (w: number, a: number) => {
      const m = buildModel(state);
      try {
        return await scoreUnderPolicy(m, uniformPolicy(w, a), ds.train, ds.val, { seed: 1, scoring: 'ptq' });
      } finally {
        m.dispose();
      }
    };
    const a32 = await score(32, 32);
    assert.equal(a32.activationQuantizers, 0);
    assert.equal(a32.weightQuantizers, 0);
    assert.ok(Math.abs(a32.loss - float.loss) < 1e-5, `float policy: loss ${a32.loss} vs float ${float.loss}`);
    const a8 = await score(8, 8);
    const a2 = await score(8, 2);
    // every conv/dense input is quantized: stem, 2 blocks x (expand, dw, project), head, fc
    assert.equal(a8.activationQuantizers, 9);
    assert.equal(a2.weightQuantizers, 9);
    assert.equal(a8.floatAccuracy, float.accuracy);
    assert.notEqual(a2.loss, a8.loss, 'activation bits must reach the evaluated loss');
    assert.ok(a2.loss > a8.loss, `2-bit activations (${a2.loss}) should cost more loss than 8-bit (${a8.loss})`);
  } finally {
    em.dispose();
  }
});

test('trainingEvaluator on a joint space: a policy differing only in activation bits gets another accuracy; QAFT starts from the float-trained net', async () => {
  const space = jointSpace(mbv2Space(TINY));
  const target = getTarget('bitfusion-edge');
  const ds = dataset();
  const ctx = { studyName: 's', trialNumber: 0, seed: 3, signal: new AbortController().signal, setUserAttr: () => {} };
  const arch = 'r8-w1:k3e3r|k3e3r';
  const slots = space.slots();
  const at = (label: string) => space.toParams(space.parse(`${arch}@${slots.map(() => label).join(',')}`));
  const ev = (scoring: 'qaft' | 'ptq') => trainingEvaluator({ space, dataset: ds, target, objectives: OBJ, epochs: 1, batchSize: 32, scoring });
  const a8 = await ev('ptq')(at('w4a8'), ctx);
  const a4 = await ev('ptq')(at('w4a4'), ctx);
  assert.ok((a8.userAttrs?.act_quantizers as number) > 0);
  // same float training (same seed, same architecture): only the activation grids differ
  assert.equal(a8.userAttrs?.float_accuracy, a4.userAttrs?.float_accuracy);
  assert.notEqual(a8.userAttrs?.loss, a4.userAttrs?.loss, 'w4a4 and w4a8 must not evaluate alike');
  assert.ok((a4.values[1] as number) < (a8.values[1] as number), 'lower activation bits are cheaper on bitfusion-edge');
  const q4 = await ev('qaft')(at('w4a4'), ctx);
  assert.equal(q4.userAttrs?.float_accuracy, a4.userAttrs?.float_accuracy, 'QAFT fine-tunes the float-trained weights');
  assert.notEqual(q4.userAttrs?.loss, a4.userAttrs?.loss, 'QAFT changed the weights');
});
