/**
 * `hwnas nas --task retrieval --align-weight λ`: the alignment weight of each trial's compatible training reaches
 * the trials (same seed and architecture, another λ gives another cross-model mAP; no flag = λ 1), is stored with
 * the study (another λ is another study), and bad values exit 2 naming the value. Real CLI, real Fashion-MNIST
 * images, real SQLite.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../store/sqlite-store.js';
import { trainRetrievalModel } from '../testing/retrieval-model.js';
import { runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-nas-retrieval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('nas --task retrieval --align-weight: reaches the trials, stored with the study, bad values exit 2', { timeout: 900_000 }, async () => {
  const g = join(dir, 'g.onnx');
  const rg = await trainRetrievalModel(dir, g, 'fashion-mnist;limit=300', 3);
  assert.equal(rg.code, 0, rg.stderr);
  const store = join(dir, 'nas.db');
  const args = ['nas', '--task', 'retrieval', '--gallery-model', g, '--space', 'mbv2', '--dataset', 'fashion-mnist', '--limit', '200'];
  // one random trial of the study `name` in the store, seed 4
  const studyArgs = (name: string, ...extra: string[]) => [
    ...args,
    '--strategy',
    'random',
    '--budget',
    '1',
    '--seed',
    '4',
    '--store',
    store,
    '--study',
    name,
    ...extra,
  ];
  const study = async (name: string, ...extra: string[]) => {
    const r = await runHwnas(dir, ...studyArgs(name, ...extra), '--json');
    assert.equal(r.code, 0, r.stderr);
    const t = (JSON.parse(r.stdout) as { trials: { arch: string; values: Record<string, number> }[] }).trials[0];
    assert.ok(t);
    return t;
  };
  const dflt = await study('dflt');
  const one = await study('one', '--align-weight', '1');
  const hundred = await study('hundred', '--align-weight', '100');
  // same seed: the same architecture and initial weights; only λ differs
  assert.equal(one.arch, dflt.arch);
  assert.equal(hundred.arch, dflt.arch);
  assert.equal(one.values.map, dflt.values.map, 'no flag = λ 1');
  assert.notEqual(hundred.values.map, one.values.map, 'λ 100 trains another query model');
  assert.equal(hundred.values.latency_ms, one.values.latency_ms);
  const s = new SqliteStore(store, { readonly: true });
  try {
    const options = (name: string) => {
      const st = s.getStudy(name);
      assert.ok(st, `study '${name}' stored`);
      return (st.userAttrs.command as { evaluator: { options: Record<string, unknown> } }).evaluator.options;
    };
    assert.equal(options('hundred').alignWeight, 100);
    assert.equal(options('one').alignWeight, 1);
    assert.equal(options('dflt').alignWeight, undefined, 'left out without the flag (studies stored before it are found again)');
  } finally {
    s.close();
  }
  // the same study with another λ: refused, nothing run
  const again = await runHwnas(dir, ...studyArgs('hundred', '--align-weight', '30'));
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /study 'hundred' exists with other settings/);

  // floatOption's message (src/cli/io.ts), the same as `hwnas train --align-weight`'s but for the default
  const badWeight = (v: string) => new RegExp(`--align-weight must be a number >= 0 \\(the weight λ of the alignment term; default 1\\), got '${v}'`);
  const bad = [
    [[...args, '--strategy', 'random', '--budget', '1', '--align-weight', '-1'], badWeight('-1')],
    [[...args, '--strategy', 'random', '--budget', '1', '--align-weight', 'lots'], badWeight('lots')],
    [[...args, '--strategy', 'random', '--budget', '1', '--align-weight', ''], badWeight('')],
    [
      ['nas', '--space', 'mbv2', '--dataset', 'mnist', '--strategy', 'random', '--budget', '1', '--align-weight', '100'],
      /--align-weight 100 applies to --task retrieval only/,
    ],
  ] as const;
  for (const [a, re] of bad) {
    const r = await runHwnas(dir, ...a, '--store', store);
    assert.equal(r.code, 2, `${a.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
