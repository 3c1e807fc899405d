/**
 * A study config with the `command` evaluator and `model` (a quantization study run by the user's program) takes the
 * per-layer bits space `hwnas quantize --evaluator command` searches; what is missing is named (review54 #6).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withStrategyDefaults } from '../cli/commands/study-config.js';
import { ConfigError } from '../errors.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import './builtin.js';
import { getEvaluation } from './registry.js';

const ev = getEvaluation('command');

test("command + model + target: the default space is each layer's weight and activation bits; no repeat filter", () => {
  const space = ev.defaultSpace?.({ cmd: 'true', model: 'zoo:mnist-cnn', target: 'bitfusion-edge' });
  assert.ok(space);
  const layers = quantizableLayers(zooGraph('zoo:mnist-cnn')).map((l) => l.name);
  assert.deepEqual(
    [...space.names],
    layers.flatMap((l) => [`${l}.w`, `${l}.a`]),
  );
  assert.deepEqual(space.toJSON()[`${layers[0]}.w`], { kind: 'categorical', choices: [2, 3, 4, 5, 6, 7, 8] });
  assert.equal(ev.archSpace?.({ cmd: 'true', model: 'zoo:mnist-cnn', target: 'bitfusion-edge' }), undefined);
  const cfg = withStrategyDefaults({
    name: 'q',
    nTrials: 3,
    strategy: 'random',
    evaluator: { name: 'command', options: { cmd: 'true', model: 'zoo:mnist-cnn', target: 'bitfusion-edge' } },
  } as Parameters<typeof withStrategyDefaults>[0]);
  assert.equal((cfg.strategy as { name: string }).name, 'random');
});

test('command without space or model, or model without target: the error says what to add', () => {
  assert.throws(
    () => ev.defaultSpace?.({ cmd: 'true' }),
    (e: unknown) => e instanceof ConfigError && /needs options\.space .* or options\.model with options\.target .* or a top-level "space"/.test(e.message),
  );
  assert.throws(
    () => ev.defaultSpace?.({ cmd: 'true', model: 'zoo:mnist-cnn' }),
    (e: unknown) => e instanceof ConfigError && /model "zoo:mnist-cnn" without target: .* add "target"/.test(e.message),
  );
});
