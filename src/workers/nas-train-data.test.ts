/**
 * `hwnas nas --dataset` loads its data set once per process (issue 18, session 54): the load the command makes
 * before creating its study ({@link loadNasData}) is the one the training evaluators' trials, cheap objectives and
 * `--out` get ({@link trainCommon}'s `loadData`); another spec or limit is loaded anew.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeNpy } from '../data/npy.js';
import { loadNasData } from '../nas/data.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { trainCommon } from './nas-evaluations.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-train-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the command's load of the search data set is the evaluators' load (one load per process); other limits load anew", async () => {
  const n = 24;
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [n, 3, 32, 32], data: new Float32Array(n * 3 * 32 * 32).map((_, i) => (i % 5) / 5) });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 3) });
  const spec = `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
  const first = await loadNasData(spec, 10, getArchSpace('nb201'));
  const again = await trainCommon({ space: 'nb201', dataset: spec, limit: 10 }).loadData();
  assert.equal(again, first, 'the evaluator gets the data set the command loaded');
  const other = await trainCommon({ space: 'nb201', dataset: spec, limit: 12 }).loadData();
  assert.notEqual(other, first, 'another limit is another load');
  assert.equal(other.train.n, 12);
  assert.equal(first.train.n, 10);
});
