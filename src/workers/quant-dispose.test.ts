/** Evaluations dropped by a long-lived worker free their tensors (quant-policy holds an engine model). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf } from '../engine/tf.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import './builtin.js';
import { disposeEvaluators, evaluatorFor, KEPT_EVALUATORS } from './registry.js';

test(`tensors do not grow past ${KEPT_EVALUATORS} kept quant-policy evaluations, and are freed at shutdown`, async () => {
  const layers = quantizableLayers(zooGraph('mnist-cnn')).map((l) => l.name);
  const params = Object.fromEntries(layers.flatMap((l) => [[`${l}.w`, 8] as const, [`${l}.a`, 8] as const]));
  const ctx = { studyName: 's', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => undefined };
  await disposeEvaluators();
  const spec = (seed: number) => ({
    name: 'quant-policy',
    options: { model: 'zoo:mnist-cnn', dataset: 'mnist;limit=100', target: 'bitfusion-edge', budget: { kind: 'latency', value: 1e9 }, searchImages: 10, seed },
  });
  const tensors: number[] = [];
  // the first call loads the engine (its own tensors, if any, are counted in the first figure)
  for (let seed = 0; seed <= KEPT_EVALUATORS; seed++) {
    await evaluatorFor(spec(seed))(params, ctx);
    tensors.push(tf.memory().numTensors);
  }
  const at = (n: number): number => tensors[n - 1] as number; // tensors with n evaluations built
  const perModel = (at(KEPT_EVALUATORS) - at(1)) / (KEPT_EVALUATORS - 1);
  const seen = tensors.join(', ');
  assert.ok(perModel > 0, `each kept evaluation holds tensors: ${seen}`);
  assert.equal(at(KEPT_EVALUATORS + 1), at(KEPT_EVALUATORS), `a 5th evaluation's tensors replace the dropped one's: ${seen}`);
  await disposeEvaluators();
  assert.equal(tf.memory().numTensors, at(1) - perModel, `all freed at shutdown: ${seen}`);
});
