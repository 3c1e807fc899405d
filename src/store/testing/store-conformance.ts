/**
 * Conformance suite every {@link Store} implementation runs (see store.test.ts): studies, trial
 * numbering, round trips of every field, finished-trial immutability, error messages, artifacts,
 * copy semantics, and (when `reopen` is given) persistence across store objects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../errors.js';
import type { Store } from '../types.js';

/** A fresh, empty store per test; `reopen` (persistent backends) opens a second object on the same data. */
export interface StoreFixture {
  readonly store: Store;
  readonly reopen?: () => Store;
  readonly cleanup?: () => void;
}

const objectives = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
] as const;

/** Registers the store conformance tests for one backend. */
export function storeConformance(label: string, open: () => StoreFixture): void {
  const withStore = (name: string, fn: (f: StoreFixture) => void): void => {
    test(`${label}: ${name}`, () => {
      const f = open();
      try {
        fn(f);
      } finally {
        f.store.close();
        f.cleanup?.();
      }
    });
  };

  withStore('creates, lists, finds and deletes studies; duplicate and bad names are rejected', ({ store }) => {
    const s = store.createStudy({ name: 'mnist-mp', objectives, space: { x: { kind: 'float', low: 0, high: 1 } }, userAttrs: { seed: 3 } });
    assert.equal(s.name, 'mnist-mp');
    assert.deepEqual(s.objectives, objectives);
    assert.deepEqual(s.space, { x: { kind: 'float', low: 0, high: 1 } });
    store.createStudy({ name: 'b', objectives: [{ name: 'f', direction: 'minimize' }] });
    assert.deepEqual(
      store.listStudies().map((x) => x.name),
      ['mnist-mp', 'b'],
    );
    assert.throws(
      () => store.createStudy({ name: 'b', objectives }),
      (e: Error) => e instanceof UserError && /study 'b' already exists/.test(e.message),
    );
    assert.throws(() => store.createStudy({ name: 'bad name!', objectives }), /study name "bad name!"/);
    assert.throws(() => store.createStudy({ name: 'c', objectives: [] }), /expected at least one objective/);
    assert.throws(() => store.createStudy({ name: 'c', objectives: [{ name: 'f', direction: 'down' as 'minimize' }] }), /"direction":"down"/);
    store.setStudyUserAttr('b', 'strategy', { name: 'nsga2' });
    assert.deepEqual(store.getStudy('b')?.userAttrs, { strategy: { name: 'nsga2' } });
    assert.equal(store.getStudy('nope'), undefined);
    assert.throws(() => store.getTrials('nope'), /study 'nope' does not exist; known studies: mnist-mp, b/);
    store.deleteStudy('mnist-mp');
    assert.deepEqual(
      store.listStudies().map((x) => x.name),
      ['b'],
    );
  });

  withStore('numbers trials 0, 1, 2 and round-trips every field', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    const params = { lr: 0.001, act: 'relu', bias: true, none: null, bits: [2, 4, 8], policy: { conv1: { w: 4, a: 8 } } };
    const t0 = store.createTrial('s', { params, userAttrs: { note: 'first' }, worker: 'host:1:a' });
    assert.equal(t0.number, 0);
    assert.equal(t0.state, 'running');
    assert.deepEqual(t0.params, params);
    assert.equal(store.createTrial('s', { params: {} }).number, 1);
    assert.equal(store.createTrial('s', { params: {} }).number, 2);
    store.setTrialUserAttr('s', 0, 'epoch', 3);
    const done = store.finishTrial('s', 0, { state: 'complete', values: [0.987, 1.25], constraints: [-0.5, 0.25], userAttrs: { sizeBytes: 1234 } });
    assert.equal(done.state, 'complete');
    assert.deepEqual(done.values, [0.987, 1.25]);
    assert.deepEqual(done.constraints, [-0.5, 0.25]);
    assert.deepEqual(done.userAttrs, { note: 'first', epoch: 3, sizeBytes: 1234 });
    assert.ok(done.finishedAt !== null && Date.parse(done.finishedAt) >= Date.parse(done.startedAt));
    store.finishTrial('s', 1, { state: 'failed', userAttrs: { error: 'boom' } });
    assert.deepEqual(store.getTrial('s', 0), done);
    assert.equal(store.getTrial('s', 9), undefined);
    assert.deepEqual(
      store.getTrials('s').map((t) => t.state),
      ['complete', 'failed', 'running'],
    );
    assert.deepEqual(
      store.getTrials('s', ['running', 'failed']).map((t) => t.number),
      [1, 2],
    );
    assert.deepEqual(
      store.getRunningTrials('s').map((r) => [r.number, r.worker]),
      [[2, null]],
    );
    assert.equal(store.getTrial('s', 1)?.values, null);
    assert.equal(store.getTrial('s', 1)?.constraints, null);
  });

  withStore('finished trials are immutable', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    store.createTrial('s', { params: { a: 1 } });
    store.finishTrial('s', 0, { state: 'pruned' });
    const immutable = (e: Error) => e instanceof UserError && /trial 0 is already pruned; finished trials are immutable/.test(e.message);
    assert.throws(() => store.finishTrial('s', 0, { state: 'complete', values: [1, 2] }), immutable);
    assert.throws(() => store.setTrialUserAttr('s', 0, 'k', 1), immutable);
    assert.throws(() => store.heartbeat('s', 0), immutable);
    assert.equal(store.getTrial('s', 0)?.state, 'pruned');
    assert.deepEqual(store.getTrial('s', 0)?.userAttrs, {});
  });

  withStore('rejects malformed results, quoting them', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    store.createTrial('s', { params: {} });
    assert.throws(() => store.finishTrial('s', 0, { state: 'complete' }), /needs values/);
    assert.throws(() => store.finishTrial('s', 0, { state: 'complete', values: [1] }), /values \[1\] has 1 entries; expected 2 \(accuracy, latency_ms\)/);
    assert.throws(() => store.finishTrial('s', 0, { state: 'complete', values: [1, Number.NaN] }), /expected finite numbers/);
    assert.throws(() => store.finishTrial('s', 0, { state: 'running' as 'failed' }), /state "running"/);
    assert.throws(() => store.finishTrial('s', 7, { state: 'failed' }), /study 's' has no trial 7/);
    // Nothing was written by the failed calls.
    assert.equal(store.getTrial('s', 0)?.state, 'running');
    assert.equal(store.getTrial('s', 0)?.values, null);
  });

  withStore('getTrialsSince: newer trials plus watched ones that have finished, in number order', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    for (let i = 0; i < 5; i++) store.createTrial('s', { params: { i } });
    store.finishTrial('s', 1, { state: 'complete', values: [0.5, 2] });
    store.finishTrial('s', 4, { state: 'failed', userAttrs: { why: 'x' } });
    assert.deepEqual(
      store.getTrialsSince('s', 3).map((t) => [t.number, t.state]),
      [
        [3, 'running'],
        [4, 'failed'],
      ],
    );
    assert.deepEqual(store.getTrialsSince('s', 3), store.getTrials('s').slice(3));
    // 0 and 2 are still running, 1 has finished; 3 is watched and also >= since: returned once.
    const r = store.getTrialsSince('s', 3, [2, 1, 0, 3, 1]);
    assert.deepEqual(
      r.map((t) => t.number),
      [1, 3, 4],
    );
    assert.deepEqual(r[0], store.getTrial('s', 1));
    assert.deepEqual(store.getTrialsSince('s', 0), store.getTrials('s'));
    assert.deepEqual(store.getTrialsSince('s', 5), []);
    assert.deepEqual(
      store.getTrialsSince('s', 99, [0, 1, 4]).map((t) => t.number),
      [1, 4],
    );
    assert.throws(
      () => store.getTrialsSince('s', -1),
      (e: Error) => e instanceof UserError && /trials since -1: expected a trial number/.test(e.message),
    );
    assert.throws(() => store.getTrialsSince('s', 1.5), /trials since 1.5/);
    assert.throws(() => store.getTrialsSince('s', 0, [2, 0.5]), /watched trial 0.5: expected a trial number/);
    assert.throws(() => store.getTrialsSince('nope', 0), /study 'nope' does not exist/);
    const values = r[0]?.values as number[] | undefined;
    assert.ok(values);
    values.push(7);
    assert.deepEqual(store.getTrial('s', 1)?.values, [0.5, 2], 'returns copies');
  });

  withStore('deleteStudy removes the study with its trials and artifacts, and nothing of another study; a throwing check deletes nothing', ({ store }) => {
    for (const name of ['a', 'b']) {
      store.createStudy({ name, objectives });
      store.createTrial(name, { params: { x: name }, worker: 'host:1:a' });
      store.finishTrial(name, 0, { state: 'complete', values: [1, 2] });
      store.createTrial(name, { params: { x: 1 } });
      store.addArtifact(name, { trialNumber: 0, name: 'p.json', mediaType: 'application/json', data: '{}' });
    }
    const before = store.getTrials('b');
    const refused = new UserError('refused');
    let seen: number[] = [];
    assert.throws(
      () =>
        store.deleteStudy('a', (s, running) => {
          assert.equal(s.name, 'a');
          seen = running.map((r) => r.number);
          throw refused;
        }),
      (e: unknown) => e === refused,
    );
    assert.deepEqual(seen, [1], 'the check sees the running trials');
    assert.equal(store.getTrials('a').length, 2, 'a refused delete keeps every trial');
    assert.equal(store.listArtifacts('a').length, 1);
    store.deleteStudy('a');
    assert.equal(store.getStudy('a'), undefined);
    assert.throws(() => store.getTrials('a'), /study 'a' does not exist; known studies: b/);
    assert.deepEqual(store.getTrials('b'), before, "the other study's trials are untouched");
    assert.equal(store.listArtifacts('b').length, 1);
    assert.throws(
      () => store.deleteStudy('a'),
      (e: Error) => e instanceof UserError && /study 'a' does not exist; known studies: b/.test(e.message),
    );
    store.createStudy({ name: 'a', objectives });
    assert.deepEqual(store.getTrials('a'), [], 'a study of the deleted name starts empty');
    assert.equal(store.createTrial('a', { params: {} }).number, 0);
  });

  withStore('returns copies', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    const t = store.createTrial('s', { params: { bits: [2, 4] } });
    (t.params.bits as number[]).push(8);
    assert.deepEqual(store.getTrial('s', 0)?.params, { bits: [2, 4] });
  });

  withStore('stores artifacts inline or by path, per study or per trial', ({ store }) => {
    store.createStudy({ name: 's', objectives });
    store.createTrial('s', { params: {} });
    const a = store.addArtifact('s', { trialNumber: 0, name: 'policy.json', mediaType: 'application/json', data: '{"conv1":4}' });
    const b = store.addArtifact('s', { name: 'model', mediaType: 'application/onnx', path: '/tmp/model.onnx' });
    assert.equal(a.size, 11);
    assert.equal(new TextDecoder().decode(store.readArtifact(a.id)), '{"conv1":4}');
    assert.equal(store.readArtifact(b.id), undefined);
    assert.deepEqual(
      store.listArtifacts('s').map((x) => x.name),
      ['policy.json', 'model'],
    );
    assert.deepEqual(
      store.listArtifacts('s', 0).map((x) => x.name),
      ['policy.json'],
    );
    assert.deepEqual(
      store.listArtifacts('s', null).map((x) => [x.name, x.path]),
      [['model', '/tmp/model.onnx']],
    );
    assert.throws(() => store.addArtifact('s', { name: 'x', mediaType: 'text/plain' }), /exactly one of data or path/);
    assert.throws(() => store.addArtifact('s', { trialNumber: 5, name: 'x', mediaType: 'text/plain', data: 'x' }), /no trial 5/);
  });

  test(`${label}: read-your-writes across store objects`, (t) => {
    const f = open();
    if (!f.reopen) {
      t.skip('in-memory backend: nothing to reopen');
      f.store.close();
      return;
    }
    try {
      f.store.createStudy({ name: 's', objectives });
      f.store.createTrial('s', { params: { a: 1 } });
      f.store.finishTrial('s', 0, { state: 'complete', values: [1, 2] });
      const other = f.reopen();
      assert.deepEqual(other.getTrials('s'), f.store.getTrials('s'));
      other.createTrial('s', { params: { a: 2 } });
      assert.equal(f.store.createTrial('s', { params: {} }).number, 2, 'numbers stay unique across store objects');
      // An incremental reader sees the other object's new trials and its finishing of a watched one.
      assert.deepEqual(
        f.store.getTrialsSince('s', 1).map((t) => [t.number, t.state]),
        [
          [1, 'running'],
          [2, 'running'],
        ],
      );
      other.createTrial('s', { params: { a: 3 } });
      other.finishTrial('s', 1, { state: 'complete', values: [3, 4] });
      const seen = f.store.getTrialsSince('s', 3, [1, 2]);
      assert.deepEqual(
        seen.map((t) => [t.number, t.state, t.values]),
        [
          [1, 'complete', [3, 4]],
          [3, 'running', null],
        ],
      );
      assert.deepEqual(seen[1]?.params, { a: 3 });
      other.close();
    } finally {
      f.store.close();
      f.cleanup?.();
    }
  });
}
