import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SearchSpace } from '../search/space.js';
import { bitVectorCodec } from '../search/testing/bit-vector-codec.js';
import { exportCsv, exportJson, exportOptunaJournal, type StudyExport } from './export.js';
import { MemoryStore } from './memory-store.js';

function fixture(): MemoryStore {
  const store = new MemoryStore();
  const space = new SearchSpace({
    lr: { kind: 'float', low: 1e-4, high: 1, log: true },
    n: { kind: 'int', low: 0, high: 20, step: 5 },
    act: { kind: 'categorical', choices: ['relu', 'gelu'] },
    bits: { kind: 'structured', codec: bitVectorCodec(2, [4, 8]) },
  });
  store.createStudy({
    name: 'exp',
    objectives: [
      { name: 'acc', direction: 'maximize' },
      { name: 'lat', direction: 'minimize' },
    ],
    space: space.toJSON(),
  });
  store.createTrial('exp', { params: { lr: 0.01, n: 5, act: 'gelu', bits: [4, 8] } });
  store.finishTrial('exp', 0, { state: 'complete', values: [0.9, 1.5], constraints: [-1], userAttrs: { note: 'a "quoted", text' } });
  store.createTrial('exp', { params: { lr: 0.1, n: 10, act: 'relu', bits: [8, 8] } });
  store.finishTrial('exp', 1, { state: 'failed' });
  store.createTrial('exp', { params: { lr: 0.2, n: 0, act: 'relu', bits: [4, 4] } });
  return store;
}

test('CSV has one row per trial, quoted where needed', () => {
  const lines = exportCsv(fixture(), 'exp').trimEnd().split('\n');
  assert.equal(lines[0], 'number,state,started_at,finished_at,values_acc,values_lat,constraint_0,params_lr,params_n,params_act,params_bits,user_attrs_note');
  assert.equal(lines.length, 4);
  assert.match(lines[1] ?? '', /^0,complete,[^,]+,[^,]+,0\.9,1\.5,-1,0\.01,5,gelu,"\[4,8\]","a ""quoted"", text"$/);
  assert.match(lines[3] ?? '', /^2,running,[^,]+,,,,,0\.2,0,relu,"\[4,4\]",$/);
});

test('JSON round-trips the study and its trials', () => {
  const store = fixture();
  const out = JSON.parse(exportJson(store, 'exp')) as StudyExport;
  assert.equal(out.format, 'hwnas-study');
  assert.deepEqual(out.study, store.getStudy('exp'));
  assert.deepEqual(out.trials, store.getTrials('exp'));
  assert.throws(() => exportJson(store, 'nope'), /study 'nope' does not exist; known studies: exp/);
});

test("Optuna journal: one op per line in JournalStorage's format", () => {
  const ops = exportOptunaJournal(fixture(), 'exp')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    ops.map((o) => o.op_code),
    [0, 2, 4, 4, 4],
  );
  assert.ok(ops.every((o) => typeof o.worker_id === 'string'));
  assert.deepEqual(ops[0], { op_code: 0, worker_id: 'hwnas-export-0', study_name: 'exp', directions: [2, 1] });
  const t0 = ops[2] as {
    study_id: unknown;
    state: unknown;
    value: unknown;
    values: unknown;
    params: unknown;
    distributions: { lr: string; n: string; act: string };
    user_attrs: Record<string, unknown>;
    system_attrs: unknown;
    datetime_start: string;
    datetime_complete: string;
  };
  assert.equal(t0.study_id, 0);
  assert.equal(t0.state, 1);
  assert.equal(t0.value, null);
  assert.deepEqual(t0.values, [0.9, 1.5]);
  assert.deepEqual(t0.params, { lr: 0.01, n: 5, act: 1 });
  assert.deepEqual(JSON.parse(t0.distributions.lr), { name: 'FloatDistribution', attributes: { step: null, low: 1e-4, high: 1, log: true } });
  assert.deepEqual(JSON.parse(t0.distributions.n), { name: 'IntDistribution', attributes: { log: false, step: 5, low: 0, high: 20 } });
  assert.deepEqual(JSON.parse(t0.distributions.act), { name: 'CategoricalDistribution', attributes: { choices: ['relu', 'gelu'] } });
  assert.equal(t0.user_attrs['param:bits'], '[4,8]');
  assert.deepEqual(t0.system_attrs, { constraints: [-1] });
  // Python's datetime.fromisoformat (3.7+) reads 'YYYY-MM-DDTHH:MM:SS.ffffff'.
  assert.match(t0.datetime_start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(t0.datetime_complete, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal((ops[3] as Record<string, unknown>).state, 3);
  const running = ops[4] as Record<string, unknown>;
  assert.equal(running.state, 0);
  assert.equal('datetime_complete' in running, false, 'a running trial has no completion time');
});
