/**
 * `hwnas nas --protect ecc` (issue 14): protection as a search choice of each trial of a joint (+bits) space, through
 * the one study loop (the `nas-train` evaluation's space gains `ecc_share`; the trial's ECC is costed on the target and
 * seen by the fault runs). Real CLI, real MNIST images, real SQLite. The evaluator's own arithmetic (which layers, the
 * cost, the lower drop) is tested in src/nas/train-eval-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ECC_SHARE_PARAM, ECC_SHARES } from '../../nas/objectives.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { assertUserErrors, NAS_MNIST, testDir } from '../testing/fixtures.js';
import { spawnHwnas } from '../testing/run-cli.js';

const dir = testDir('hwnas-nasprotect-');
const run = (...args: string[]) => spawnHwnas(dir, args, { timeoutMs: 900_000 }).done;
const store = join(dir, 'n.sqlite');
const common = [...NAS_MNIST, '--budget', '5', '--seed', '2', '--store', store, '--json'];

test('nas --protect: bad values are user errors (exit 2, no stack trace) before any training', async () => {
  const cases: [string[], RegExp][] = [
    [['--space', 'mbv2-micro+bits', '--strategy', 'random', '--protect', 'tmr'], /--protect 'tmr': expected ecc/],
    [['--space', 'mbv2-micro', '--strategy', 'random', '--protect', 'ecc'], /--protect ecc needs a joint space/],
    [['--space', 'mbv2-micro+bits', '--strategy', 'two-stage', '--protect', 'ecc'], /--protect ecc works with --strategy nsga2/],
  ];
  await assertUserErrors(cases, (extra) => run(...common, ...extra));
});

test('nas --space mbv2-micro+bits --protect ecc: every trial chooses its ECC share, stored with its cost and the hardened layers', {
  timeout: 1_200_000,
}, async () => {
  const r = await run(
    ...common,
    '--space',
    'mbv2-micro+bits',
    '--strategy',
    'random',
    '--objectives',
    'accuracy:max,latency_ms:min,fault_drop:min',
    '--fault-ber',
    '1e-3',
    '--fault-runs',
    '1',
    '--fault-images',
    '100',
    '--protect',
    'ecc',
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { study: string };
  const s = new SqliteStore(store, { readonly: true });
  try {
    const trials = s.getTrials(out.study).filter((t) => t.state === 'complete');
    assert.equal(trials.length, 5);
    const shares = new Set<number>();
    for (const t of trials) {
      const share = t.params[ECC_SHARE_PARAM] as number;
      assert.ok(ECC_SHARES.includes(share), `ecc_share ${share}`);
      shares.add(share);
      const p = t.userAttrs.protection as { ecc_share: number; hardened: string[]; ecc_latency_ms?: number };
      assert.equal(p.ecc_share, share);
      assert.equal(p.hardened.length > 0, share > 0, 'a share > 0 hardens some layer, 0 none');
      if (share > 0) assert.ok((p.ecc_latency_ms as number) > 0, 'ECC costs latency on bitfusion-edge');
      assert.ok(Number.isFinite(t.userAttrs.fault_drop as number), 'the drop is measured');
      assert.equal(t.values?.[1], t.userAttrs.latency_ms, 'latency_ms (with the ECC cost) is the objective');
    }
    assert.ok(shares.size >= 2, `the search tries several shares (${[...shares].join(', ')})`);
  } finally {
    s.close();
  }
});
