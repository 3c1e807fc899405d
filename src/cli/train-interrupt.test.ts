/**
 * Ctrl-C during `hwnas train`, as a user does it: the real CLI spawned, SIGINT sent once training batches are
 * under way; the command must say where it stood and that nothing was written, and exit 130.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-train-int-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas train: SIGINT mid-epoch says where training stood and that nothing was written, exit 130', async () => {
  const out = join(dir, 'trained.onnx');
  const args = ['train', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=train:5000,val:100,test:100', '--epochs', '3', '--workers', '1', '--out', out];
  const proc = spawnHwnas(dir, args, { env: { HWNAS_PROGRESS: 'lines' } });
  await proc.signalWhen('SIGINT', 'a training progress line', () => /train \d+\/\d+/.test(proc.stderr()));
  const r = await proc.done;
  assert.equal(r.code, 130, `exit ${r.code} (signal ${r.signal})\n${r.stderr}`);
  assert.match(r.stderr, /interrupted at epoch [1-3]\/3 \(batch \d+\/79\); nothing written\n$/);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(out), 'no model file');
});
