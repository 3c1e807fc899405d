/** Property tests: dataset spec strings (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nearValid, userErrorOrResult } from '../util/testing/user-input.js';
import { parseDatasetSpec } from './spec.js';

test('dataset specs: a spec with sane options, or a UserError', () => {
  const seeds = [
    'mnist',
    'fashion-mnist;limit=1000',
    'mnist;size=32;channels=3;resize=bilinear',
    'mnist;limit=train:100,val:50,test:20',
    'idx:train-x.idx,train-y.idx;test=t-x.idx,t-y.idx',
    'npy:x.npy,y.npy;layout=nhwc;standardize=false;classes=10',
  ];
  fc.assert(
    fc.property(nearValid(seeds), (spec) => {
      const d = userErrorOrResult(spec, () => parseDatasetSpec(spec));
      if (!d) return;
      const o = d.options as Record<string, unknown>;
      for (const k of ['size', 'channels', 'classes'])
        if (o[k] !== undefined) assert.ok(Number.isInteger(o[k]) && (o[k] as number) >= 1, `${spec}: ${k} = ${String(o[k])}`);
      const lim = o.limit;
      if (typeof lim === 'number') assert.ok(Number.isInteger(lim) && lim >= 1, `${spec}: limit ${lim}`);
      else if (lim !== undefined)
        for (const v of Object.values(lim as Record<string, number>)) assert.ok(Number.isInteger(v) && v >= 1, `${spec}: limit ${JSON.stringify(lim)}`);
    }),
    { numRuns: 400, seed: 21 },
  );
});
