import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Dataset, Split } from '../data/types.js';
import { initEngine } from '../engine/index.js';
import { getTarget } from '../hardware/registry.js';
import { jointSpace } from '../search/spaces/joint.js';
import { type Mbv2SpaceOptions, mbv2Space } from '../search/spaces/mbv2.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import type { Objective } from '../search/types.js';
import { Rng } from '../util/rng.js';
import { trainingEvaluator } from './train-eval.js';

const TINY: Mbv2SpaceOptions = { ...MBV2_TINY, inChannels: 1 };

/** The label is the closest of 10 fixed random 8x8 templates. */
function dataset(): Dataset {
  const t = new Rng(99);
  const templates = Array.from({ length: 10 }, () => Float32Array.from({ length: 64 }, () => t.normal()));
  const split = (n: number, seed: number): Split => {
    const r = new Rng(seed);
    const x = new Float32Array(n * 64);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = r.int(0, 9);
      for (let j = 0; j < 64; j++) x[i * 64 + j] = ((templates[c] as Float32Array)[j] as number) + 0.8 * r.normal();
      y[i] = c;
    }
    return { x, y, n };
  };
  return { name: 'templates', shape: [1, 8, 8], numClasses: 10, train: split(384, 1), val: split(200, 2), test: split(50, 3) };
}

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
  { name: 'fault_drop', direction: 'minimize' },
  { name: 'fault_score', direction: 'minimize' },
];

before(async () => {
  await initEngine();
});

test('trainingEvaluator: fault_drop is measured by injection at the BER (none at 1e-9, a loss at 5e-2), fault_score by the predictor, and --max-fault-drop is a constraint', async () => {
  const space = jointSpace(mbv2Space(TINY));
  const target = getTarget('bitfusion-edge');
  const ds = dataset();
  const ctx = { studyName: 's', trialNumber: 0, seed: 3, signal: new AbortController().signal, setUserAttr: () => {} };
  const arch = 'r8-w1:k3e3r|k3e3r';
  const params = space.toParams(
    space.parse(
      `${arch}@${space
        .slots()
        .map(() => 'w8a8')
        .join(',')}`,
    ),
  );
  const ev = (ber: number) =>
    trainingEvaluator({
      space,
      dataset: ds,
      target,
      objectives: OBJ,
      epochs: 1,
      batchSize: 32,
      scoring: 'ptq',
      faults: { ber, runs: 2, images: 100, maxDrop: 0.02 },
    });
  const low = await ev(1e-9)(params, ctx);
  const high = await ev(5e-2)(params, ctx);
  const [, , dropLow, scoreLow] = low.values as number[];
  const [, , dropHigh, scoreHigh] = high.values as number[];
  assert.equal(dropLow, 0, 'no bit is hit at BER 1e-9 on a net of a few thousand weights');
  assert.ok((dropHigh as number) > 0.03, `BER 5e-2 should cost accuracy, drop ${dropHigh}`);
  assert.ok((scoreHigh as number) > (scoreLow as number) && (scoreLow as number) > 0, `predictor scores ${scoreLow} < ${scoreHigh}`);
  // the fault-free baseline of the injection is the deployed (QDQ, onnxruntime) net: close to the engine's accuracy
  assert.ok(Math.abs((low.userAttrs?.fault_baseline as number) - (low.values[0] as number)) < 0.1);
  assert.deepEqual(low.constraints, [(dropLow as number) - 0.02]);
  assert.ok((high.constraints?.[0] as number) > 0, 'a collapse violates the 2 pp line');
});
