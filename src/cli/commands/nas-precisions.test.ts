/**
 * `hwnas nas --precisions` on a joint (+bits) space: the labels each slot chooses among. Real CLI, real MNIST
 * images, real SQLite. The space itself (`<base>+bits[labels]`: its parameters' choices) is tested in
 * src/search/spaces/spaces.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../store/sqlite-store.js';
import { assertUserErrors, NAS_MNIST, testDir } from '../testing/fixtures.js';
import { spawnHwnas } from '../testing/run-cli.js';

const dir = testDir('hwnas-nasprec-');
const run = (...args: string[]) => spawnHwnas(dir, args, { timeoutMs: 900_000 }).done;
const store = join(dir, 'p.sqlite');
const common = [...NAS_MNIST, '--seed', '4', '--store', store];

test('nas --precisions: bad labels are user errors naming the label and the allowed ones (exit 2, no stack trace)', async () => {
  const cases: [string[], RegExp][] = [
    [['--space', 'mbv2-micro+bits', '--precisions', 'w8a8,w3a3'], /'w3a3' is not a precision label.*expected some of w8a8, w4a8, w4a4, w2a8, w2a2/],
    [['--space', 'mbv2-micro+bits', '--precisions', 'w8a8,,w4a8'], /'' is not a precision label/],
    [['--space', 'mbv2-micro+bits', '--precisions', 'w4a8,w4a8'], /'w4a8' is given twice/],
    [['--space', 'mbv2-micro', '--precisions', 'w8a8,w4a8'], /per-slot precision labels of a joint space; use --space mbv2-micro\+bits/],
    [['--space', 'mbv2-micro+bits[w8a8]', '--precisions', 'w8a8,w4a8'], /both set the per-slot labels/],
    [['--space', 'mbv2-micro+bits[w8a8,w9a9]'], /'w9a9' is not a precision label/],
    [['--space', 'mbv2-micro+bits', '--precisions', 'w8a8,w4a8', '--target', 'edge-tpu'], /--precisions w4a8.*edge-tpu/],
  ];
  await assertUserErrors(cases, (extra) => run(...common, '--strategy', 'random', '--budget', '2', ...extra));
});

test('nas --space mbv2-micro+bits --precisions w8a8,w2a8: every trial uses only those labels, other labels on the same study are refused', {
  timeout: 1_200_000,
}, async () => {
  const args = [...common, '--space', 'mbv2-micro+bits', '--strategy', 'random', '--study', 'prec', '--json'];
  const first = await run(...args, '--budget', '3', '--precisions', 'w8a8,w2a8');
  assert.equal(first.code, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { space: string }).space, 'mbv2-micro+bits[w8a8,w2a8]');
  // the same command continues the stored study (same labels): nothing new to run, the same trials
  const more = await run(...args, '--budget', '3', '--precisions', 'w8a8,w2a8');
  assert.equal(more.code, 0, more.stderr);
  assert.match(more.stderr, /continued/);
  const j = JSON.parse(more.stdout) as { trials: { arch: string }[] };
  assert.equal(j.trials.length, 3);
  const seen = new Set<string>();
  for (const t of j.trials) {
    const labels = (t.arch.split('@')[1] as string).split(',');
    assert.ok(labels.length > 1, t.arch);
    for (const l of labels) seen.add(l);
  }
  assert.deepEqual(
    [...seen].filter((l) => l !== 'w8a8' && l !== 'w2a8'),
    [],
    `labels used: ${[...seen].join(', ')}`,
  );
  const s = new SqliteStore(store, { readonly: true });
  try {
    assert.equal(s.getStudy('prec')?.userAttrs.archSpace, 'mbv2-micro+bits[w8a8,w2a8]');
  } finally {
    s.close();
  }
  // the same study with other labels, or without --precisions: an error, nothing run
  for (const other of [['--precisions', 'w8a8,w4a8'], []]) {
    const r = await run(...args, '--budget', '3', ...other);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /study 'prec' exists with other settings/);
  }
});
