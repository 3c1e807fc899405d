/**
 * Ctrl-C during a long search, as a user does it: the real CLI spawned, SIGINT sent while HAQ is walking
 * its episodes; the command must finish the current episode, keep the best policy found so far, say it
 * was interrupted, write its outputs and exit 0.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../store/sqlite-store.js';
import { spawnHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-int-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Complete trials of a study in a store file, read without writing (0 while the file or study does not exist). */
function completeTrials(path: string, study: string): number {
  if (!existsSync(path)) return 0;
  let s: SqliteStore | undefined;
  try {
    s = new SqliteStore(path, { readonly: true });
    return s.getStudy(study) ? s.getTrials(study, ['complete']).length : 0;
  } catch {
    return 0; // the database is being created
  } finally {
    s?.close();
  }
}

test('hwnas quantize --strategy haq: SIGINT keeps the best policy so far, writes it and exits 130 (interrupted)', async () => {
  const policyOut = join(dir, 'policy.json');
  const storePath = join(dir, 'int.sqlite');
  const args = [
    'quantize',
    'zoo:mnist-cnn',
    '--dataset',
    'mnist;limit=train:1500,val:300,test:300',
    '--target',
    'bitfusion-edge',
    '--strategy',
    'haq',
    '--budget',
    'latency=0.7x',
    '--episodes',
    '500',
    '--train-epochs',
    '1',
    '--finetune-epochs',
    '1', // skipped after an interrupt: the summary must say so (review55 #1), not claim an epoch of fine-tuning
    '--search-images',
    '100',
    '--policy-out',
    policyOut,
    '--store',
    storePath,
  ];
  const proc = spawnHwnas(dir, args, { env: { HWNAS_PROGRESS: 'lines' } });
  // interrupt once the search is under way: the HAQ stage has started and 3 episodes are stored
  await proc.signalWhen('SIGINT', '3 stored HAQ episodes', () => {
    const study = /study '([^']+)' \(new\)/.exec(proc.stderr())?.[1];
    return study !== undefined && /HAQ \(DDPG\)/.test(proc.stderr()) && completeTrials(storePath, study) >= 3;
  });
  const r = await proc.done;
  assert.equal(r.code, 130, `exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, /interrupted: finishing the current episode/);
  const m = /haq on bitfusion-edge \(latency=0\.7x \(<= [0-9.e-]+ ms\), interrupted\): latency ([0-9.e-]+) ms vs W8A8 ([0-9.e-]+) ms/.exec(r.stdout);
  assert.ok(m, `the summary says it was interrupted:\n${r.stdout}`);
  assert.ok(Number(m[1]) <= 0.7 * Number(m[2]) * 1.001, `the kept policy meets the budget: ${m[1]} vs ${m[2]}`);
  assert.ok(!/haq 500\/500/.test(r.stderr), 'stopped before the last episode');
  assert.ok(existsSync(policyOut), 'the policy file is written');
  const policy = JSON.parse(readFileSync(policyOut, 'utf8')) as { layers: Record<string, { weightBits: number; actBits: number }> };
  assert.deepEqual(Object.keys(policy.layers).sort(), ['conv1', 'conv2', 'fc']);
  assert.match(r.stdout, /^conv1\s+\d\s+\d/m, 'the per-layer table is printed');
  assert.match(r.stdout, /post-training \(steps: [^)]*\) \(no fine-tuning: the search was interrupted; run the same command to continue it and fine-tune\)/);
  assert.doesNotMatch(r.stdout, /of fine-tuning/);
});
