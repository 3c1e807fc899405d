import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniformPolicy } from '../hardware/precision.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { loadModelSpec } from '../onnx/model-source.js';
import { predictResilience } from '../resilience/predictor.js';
import './builtin.js';
import { getEvaluation } from './registry.js';

test("quant-policy with maxFaultScore: a second constraint, the predictor's score of the candidate policy minus the line", async () => {
  const layers = quantizableLayers(zooGraph('mnist-cnn')).map((l) => l.name);
  const at = (w: number) => Object.fromEntries(layers.flatMap((l) => [[`${l}.w`, w] as const, [`${l}.a`, 8] as const]));
  const model = loadModelSpec('zoo:mnist-cnn', 0);
  const s8 = predictResilience(model.graph, uniformPolicy(8, 8), 1e-4, model.weights).score;
  const s2 = predictResilience(model.graph, uniformPolicy(2, 8), 1e-4, model.weights).score;
  assert.notEqual(s8, s2);
  const line = (s8 + s2) / 2;
  const ev = getEvaluation('quant-policy').create({
    model: 'zoo:mnist-cnn',
    dataset: 'mnist;limit=300',
    target: 'bitfusion-edge',
    budget: { kind: 'latency', value: 1e9 },
    searchImages: 50,
    maxFaultScore: line,
    faultBer: 1e-4,
  });
  const ctx = { studyName: 's', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => {} };
  const r8 = await ev(at(8), ctx);
  const r2 = await ev(at(2), ctx);
  assert.equal(r8.constraints?.length, 2);
  assert.ok(Math.abs((r8.constraints?.[1] as number) - (s8 - line)) <= 1e-12 * Math.abs(line));
  assert.ok(Math.abs((r2.constraints?.[1] as number) - (s2 - line)) <= 1e-12 * Math.abs(line));
  // one side of the line is feasible, the other not
  assert.ok((r8.constraints?.[1] as number) * (r2.constraints?.[1] as number) < 0);
  assert.equal(r8.userAttrs?.fault_score, s8);
  // bad options are refused naming the field: a negative fault-score line, and a seed past 2^32 - 1 (which would run
  // as its low 32 bits, another seed)
  const base = { model: 'zoo:mnist-cnn', dataset: 'mnist', target: 'bitfusion-edge', budget: { kind: 'latency', value: 1 } };
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ maxFaultScore: -1 }, /maxFaultScore/],
    [{ seed: 2 ** 32 }, /seed.*4294967296/s],
    [{ faultDrop: { ber: 1e-4, runs: 1, images: 10, seed: 2 ** 32 } }, /seed.*4294967296/s],
  ];
  for (const [options, pattern] of bad) assert.throws(() => getEvaluation('quant-policy').create({ ...base, ...options }), pattern);
});
