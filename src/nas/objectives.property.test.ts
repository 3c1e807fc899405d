/** Property tests: objective lists and NAS tables (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { getArchSpace } from '../search/spaces/registry.js';
import { nearValid, userErrorOrResult } from '../util/testing/user-input.js';
import { parseObjectives } from './objectives.js';
import { parseNasTable } from './tabular.js';

test('objectives: distinct named objectives with a direction, or a UserError', () => {
  fc.assert(
    fc.property(nearValid(['accuracy:max,latency_ms:min', 'latency_ms:min', 'accuracy:max, energy_mj:min ,size:min']), (spec) => {
      const o = userErrorOrResult(spec, () => parseObjectives(spec));
      if (!o) return;
      assert.ok(o.length > 0);
      assert.equal(new Set(o.map((x) => x.name)).size, o.length, `${spec}: an objective twice`);
      for (const x of o) assert.ok(x.name.trim() !== '' && (x.direction === 'minimize' || x.direction === 'maximize'), `${spec}: ${JSON.stringify(x)}`);
    }),
    { numRuns: 300, seed: 8 },
  );
});

test('NAS tables (CSV and JSON, mutated): finite values per architecture, or a UserError', () => {
  const space = getArchSpace('nb201');
  const a = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
  const b = '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|';
  const csv = `arch,accuracy,latency_ms\n${a},0.2,1\n${b},0.9,3\n`;
  const json = JSON.stringify({
    format: 'hwnas-nas-table',
    space: 'nb201',
    metrics: ['accuracy', 'latency_ms'],
    rows: [{ arch: a, accuracy: 0.2, latency_ms: 1 }],
  });
  for (const [seed, path] of [
    [csv, 't.csv'],
    [json, 't.json'],
  ] as const) {
    fc.assert(
      fc.property(nearValid([seed]), (text) => {
        const t = userErrorOrResult(text, () => parseNasTable(text, path, space));
        if (!t) return;
        assert.ok(t.size > 0, `${JSON.stringify(text)}: a table without rows was accepted`);
        for (const arch of t.archs()) for (const v of t.values(arch, t.metrics)) assert.ok(Number.isFinite(v));
      }),
      { numRuns: 300, seed: 9 },
    );
  }
});
