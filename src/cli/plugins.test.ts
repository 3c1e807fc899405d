import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strategyNames } from '../search/registry.js';
import './plugins.js';

test('one registry: every optimiser is registered by name, listed per domain (generic ones everywhere)', () => {
  const all = strategyNames();
  for (const n of [
    'random',
    'nsga2',
    'bo',
    'regularized-evolution',
    'two-stage',
    'capacity',
    'blockwise',
    'haq',
    'ilp',
    'cw-hawq',
    'uniform',
    'quant-random',
    'hant-ilp',
  ])
    assert.ok(all.includes(n), `${n} registered`);
  const nas = strategyNames('nas');
  const quant = strategyNames('quant');
  for (const g of ['random', 'nsga2', 'bo', 'regularized-evolution']) assert.ok(nas.includes(g) && quant.includes(g), g);
  for (const n of ['two-stage', 'capacity', 'blockwise']) assert.ok(nas.includes(n) && !quant.includes(n), n);
  for (const n of ['haq', 'ilp', 'cw-hawq', 'uniform', 'hant-ilp']) assert.ok(!nas.includes(n), `${n} is not offered to hwnas nas`);
  assert.ok(strategyNames('transform').includes('hant-ilp'));
});
