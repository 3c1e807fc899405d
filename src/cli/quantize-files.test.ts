/**
 * `hwnas quantize` as review 52 found it (#2, #6), run as a user does: two stores in one folder with a study of the same
 * name each keep their own trained float model; a study of the pre-uid layout whose model another study rewrote is
 * refused; the quantization-aware fine-tuning prints train's progress, and Ctrl-C during it says where it stopped and
 * what is kept, with --policy-out already written.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JsonValue } from '../search/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { flagList, testDir } from './testing/fixtures.js';
import { runHwnas, spawnHwnas, testTimeout } from './testing/run-cli.js';

const dir = testDir('hwnas-qfiles-');

/** `quantize` of mnist-cnn (one training epoch, no fine-tuning, ILP) on a 300 / 100 / 100-image slice of `data`, in `store`, study qx. */
function qx(data: string, store: string): string[] {
  return [
    'quantize',
    'zoo:mnist-cnn',
    ...flagList({
      dataset: `${data};limit=train:300,val:100,test:100`,
      target: 'bitfusion-edge',
      budget: 'latency=0.8x',
      'train-epochs': '1',
      'finetune-epochs': '0',
      store,
      study: 'qx',
    }),
    '--json',
  ];
}

/** The study's stored config and creation time. */
function storedStudy(store: string, name: string): { model: string; uid: string; createdAt: string; config: Record<string, JsonValue> } {
  const s = new SqliteStore(join(dir, store), { readonly: true });
  try {
    const st = s.getStudy(name);
    assert.ok(st, `study ${name} in ${store}`);
    const config = st.userAttrs.config as Record<string, JsonValue>;
    const model = ((config.evaluator as Record<string, JsonValue>).options as Record<string, JsonValue>).model as string;
    return { model, uid: st.userAttrs.uid as string, createdAt: st.createdAt, config };
  } finally {
    s.close();
  }
}

test('hwnas quantize: studies of one name in two stores of a folder keep their own float model; a pre-uid one rewritten by another is refused', {
  timeout: testTimeout(600_000),
}, async () => {
  const a1 = await runHwnas(dir, ...qx('mnist', 'a.sqlite'));
  assert.equal(a1.code, 0, a1.stderr);
  const b1 = await runHwnas(dir, ...qx('fashion-mnist', 'b.sqlite'));
  assert.equal(b1.code, 0, b1.stderr);
  const a = storedStudy('a.sqlite', 'qx');
  const b = storedStudy('b.sqlite', 'qx');
  assert.equal(a.model, join(dir, 'models', `qx-${a.uid}.json`), 'the model file is keyed by the study uid');
  assert.equal(b.model, join(dir, 'models', `qx-${b.uid}.json`));
  assert.notEqual(a.uid, b.uid);
  // A's command again continues A's study with A's weights (before: B's fashion-mnist weights, scored on MNIST)
  const a2 = await runHwnas(dir, ...qx('mnist', 'a.sqlite'));
  assert.equal(a2.code, 0, a2.stderr);
  const acc = (r: { stdout: string }): number => (JSON.parse(r.stdout) as { floatAccuracy: number }).floatAccuracy;
  assert.equal(acc(a2), acc(a1));

  // A as a study stored before the uid layout: its config points at models/qx.json, which holds A's weights (older than A)
  const legacy = join(dir, 'models', 'qx.json');
  const put = (from: string, at: Date): void => {
    for (const ext of ['.json', '.bin']) {
      copyFileSync(from.replace(/\.json$/, ext), legacy.replace(/\.json$/, ext));
      utimesSync(legacy.replace(/\.json$/, ext), at, at);
    }
  };
  put(a.model, new Date(Date.parse(a.createdAt) - 60_000));
  const s = new SqliteStore(join(dir, 'a.sqlite'));
  try {
    const ev = a.config.evaluator as Record<string, JsonValue>;
    s.setStudyUserAttr('qx', 'config', { ...a.config, evaluator: { ...ev, options: { ...(ev.options as Record<string, JsonValue>), model: legacy } } });
  } finally {
    s.close();
  }
  const a3 = await runHwnas(dir, ...qx('mnist', 'a.sqlite'));
  assert.equal(a3.code, 0, a3.stderr);
  assert.equal(acc(a3), acc(a1), 'the pre-uid study continues with its own file');
  // another store's study of the same name (old code) rewrote models/qx.json after A was created: refused, naming the file
  put(b.model, new Date());
  const a4 = await runHwnas(dir, ...qx('mnist', 'a.sqlite'));
  assert.equal(a4.code, 2, `exit ${a4.code}: ${a4.stderr}`);
  assert.match(a4.stderr, /study 'qx': its trained float model .*models\/qx\.(json|bin) was rewritten at .*after the study was created at/);
  assert.equal(a4.stdout, '', 'no result from the other study');
  // hwnas study resume is held to the same check
  const a5 = await runHwnas(dir, 'study', 'resume', 'qx', '--store', 'a.sqlite');
  assert.equal(a5.code, 2, `exit ${a5.code}: ${a5.stderr}`);
  assert.match(a5.stderr, /was rewritten at/);
});

test('hwnas quantize: the fine-tuning prints progress; Ctrl-C during it says where and what is kept, --policy-out already written; the same command finishes', {
  timeout: testTimeout(600_000),
}, async () => {
  const policyOut = join(dir, 'p.json');
  const out = join(dir, 'q.onnx');
  const args = [
    'quantize',
    'zoo:mnist-cnn',
    ...flagList({
      dataset: 'mnist;limit=train:1500,val:200,test:200',
      target: 'bitfusion-edge',
      budget: 'latency=0.7x',
      strategy: 'ilp',
      'train-epochs': '1',
      'finetune-epochs': '3',
      store: 'ft.sqlite',
      out,
      'policy-out': policyOut,
    }),
  ];
  const proc = spawnHwnas(dir, args);
  await proc.signalWhen('SIGINT', 'a progress line of the fine-tuning', () => /^fine-tune \d+\/36 epoch=\d\/3 loss=/m.test(proc.stderr()));
  const r = await proc.done;
  assert.equal(r.code, 130, `exit ${r.code}\n${r.stderr}`);
  const study = /study '([^']+)' \(new\)/.exec(r.stderr)?.[1];
  assert.ok(study, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `interrupted during quantization-aware fine-tuning \\(epoch [1-3]/3, batch \\d+/12\\); the search is complete and stored \\(study '${study}' in ft\\.sqlite, chosen policy: trial 0\\), the policy is written to ${policyOut.replace(/[.]/g, '\\.')}; run the same command to fine-tune and export without searching again`,
    ),
  );
  assert.ok(existsSync(policyOut), 'the policy is written before the fine-tuning');
  assert.ok(!existsSync(out), 'no model: the fine-tuning did not finish');
  const policy = readFileSync(policyOut, 'utf8');

  const again = await runHwnas(dir, ...args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /\(continued: 1 trial\(s\) stored\)/);
  for (const e of [1, 2, 3])
    assert.match(again.stderr, new RegExp(`^epoch ${e}: loss \\d+\\.\\d+, val accuracy \\d+\\.\\d+%`, 'm'), `epoch ${e}'s line:\n${again.stderr}`);
  assert.equal(readFileSync(policyOut, 'utf8'), policy, 'the same policy');
  assert.ok(existsSync(out));
});
