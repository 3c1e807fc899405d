import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/index.js';
import { defaultPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { quantizableLayers } from '../ir/workload.js';
import { predictResilience } from '../resilience/predictor.js';
import { protectionCost } from '../resilience/protection.js';
import { jointSpace } from '../search/spaces/joint.js';
import { mbv2Space } from '../search/spaces/mbv2.js';
import type { Objective } from '../search/types.js';
import type { EvaluationResult } from '../study/run-study.js';
import { archPolicy } from './cost.js';
import { ECC_SHARE_PARAM } from './objectives.js';
import { TINY_GREY, templateDataset } from './testing/templates.js';
import { eccHardenedLayers, trainingEvaluator } from './train-eval.js';

const OBJ: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
  { name: 'fault_drop', direction: 'minimize' },
  { name: 'fault_score', direction: 'minimize' },
];

/** The joint tiny space on the template data, costed on bitfusion-edge: the evaluator options and trial context both tests use. */
function setup() {
  const space = jointSpace(mbv2Space(TINY_GREY));
  const target = getTarget('bitfusion-edge');
  const ctx = { studyName: 's', trialNumber: 0, seed: 3, signal: new AbortController().signal, setUserAttr: () => {} };
  const options = { space, dataset: templateDataset(), target, objectives: OBJ, epochs: 1, batchSize: 32, scoring: 'ptq' as const };
  return { space, target, ctx, options };
}

before(async () => {
  await initEngine();
});

test('trainingEvaluator: fault_drop is measured by injection at the BER (none at 1e-9, a loss at 5e-2), fault_score by the predictor, and --max-fault-drop is a constraint', async () => {
  const { space, ctx, options } = setup();
  const arch = 'r8-w1:k3e3r|k3e3r';
  const params = space.toParams(
    space.parse(
      `${arch}@${space
        .slots()
        .map(() => 'w8a8')
        .join(',')}`,
    ),
  );
  const ev = (ber: number) => trainingEvaluator({ ...options, faults: { ber, runs: 2, images: 100, maxDrop: 0.02 } });
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

test('trainingEvaluator protect ecc: the trial ecc_share hardens the most vulnerable layers, costs ECC on the target and cuts the measured drop', async () => {
  const { space, target, ctx, options } = setup();
  const a = space.parse(
    `r8-w1:k3e3r|k3e3r@${space
      .slots()
      .map(() => 'w8a8')
      .join(',')}`,
  );
  const base = space.toParams(a);
  const ev = trainingEvaluator({ ...options, faults: { ber: 5e-3, runs: 6, images: 200 }, protect: 'ecc' });
  const at = (share: number) => ev({ ...base, [ECC_SHARE_PARAM]: share }, ctx);
  const none = await at(0);
  const half = await at(0.5);
  const all = await at(1);
  const graph = space.graph(a, { inputSize: 8, inChannels: 1, classes: 10 });
  const policy = archPolicy(space, a, graph, defaultPolicy(target));
  const layers = quantizableLayers(graph).map((l) => l.name);
  type P = { hardened: string[]; ecc_share: number; ecc_latency_ms?: number };
  const prot = (r: EvaluationResult): P => r.userAttrs?.protection as unknown as P;
  assert.deepEqual(prot(none).hardened, []);
  assert.deepEqual(prot(all).hardened.sort(), [...layers].sort(), 'share 1 hardens every conv/dense layer');
  const halfLayers = eccHardenedLayers(graph, policy, 5e-3, 0.5);
  assert.equal(halfLayers.length, Math.ceil(layers.length / 2));
  assert.deepEqual(prot(half).hardened, halfLayers);
  // the predictor's most vulnerable first: every hardened layer's damage >= every other's
  const dmg = new Map(predictResilience(graph, policy, 5e-3).layers.map((l) => [l.layer, l.damage] as const));
  const minIn = Math.min(...halfLayers.map((l) => dmg.get(l) as number));
  for (const l of layers) if (!halfLayers.includes(l)) assert.ok((dmg.get(l) as number) <= minIn);
  // cost: the target's ECC cost (protectionCost) added to the plain latency
  const c = protectionCost(target, graph, policy, { hardened: new Set(layers) });
  assert.ok(c.eccLatencyMs > 0);
  assert.ok(Math.abs((all.values[1] as number) - ((none.values[1] as number) + c.eccLatencyMs)) <= 1e-12 * c.latencyMs);
  assert.ok(Math.abs((prot(all).ecc_latency_ms as number) - c.eccLatencyMs) <= 1e-15);
  // same trained net (same seed), same BER 5e-3 (where SEC-DED still corrects most hits: 30% survive)
  const dropNone = none.values[2] as number;
  const dropAll = all.values[2] as number;
  assert.ok(dropNone > 0.02, `BER 5e-3 costs the unprotected net accuracy, drop ${dropNone}`);
  assert.ok(dropAll < dropNone / 2, `ECC on every layer: drop ${dropAll} vs ${dropNone}`);
  assert.ok((all.values[3] as number) < (none.values[3] as number), 'the predictor sees the protection');
});
