import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { buildModel, initEngine, train } from '../engine/index.js';
import { uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import { jointSpace } from '../search/spaces/joint.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import type { Objective } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { TINY_GREY, templateDataset } from './testing/templates.js';
import { scoreUnderPolicy, trainingEvaluator } from './train-eval.js';

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

before(async () => {
  await initEngine();
});

test('scoreUnderPolicy quantizes activations: 2-bit activations change the loss, float activations leave the float model', async () => {
  const space = mbv2Space(TINY_GREY);
  const graph = space.graph(space.parse('r8-w1:k3e3r|k3e3r'));
  const ds = templateDataset();
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
  const space = jointSpace(mbv2Space(TINY_GREY));
  const target = getTarget('bitfusion-edge');
  const ds = templateDataset();
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
