import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from './load.js';

/** Writes records in the CIFAR binary format: label byte(s), then 1,024 R, G, B bytes. Pixel (c, i) of record r = (r * 7 + c * 50 + i) % 256. */
function records(n: number, labelBytes: number, label: (r: number) => number, offset = 0): Uint8Array {
  const rec = labelBytes + 3072;
  const b = new Uint8Array(n * rec);
  for (let r = 0; r < n; r++) {
    if (labelBytes === 2) b[r * rec] = label(r) % 20; // coarse
    b[r * rec + labelBytes - 1] = label(r);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 1024; i++) b[r * rec + labelBytes + c * 1024 + i] = ((r + offset) * 7 + c * 50 + i) % 256;
  }
  return b;
}

test('cifar10:<dir> reads data_batch_1..5 and test_batch: labels, CHW pixels scaled by 1/255, class names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cifar-'));
  const sub = join(dir, 'cifar-10-batches-bin');
  mkdirSync(sub);
  for (let i = 1; i <= 5; i++)
    writeFileSync(
      join(sub, `data_batch_${i}.bin`),
      records(4, 1, (r) => (r + i) % 10, i * 4),
    );
  writeFileSync(
    join(sub, 'test_batch.bin'),
    records(3, 1, (r) => r, 100),
  );
  writeFileSync(join(sub, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  const ds = await loadDataset(`cifar10:${dir}`, { noCache: true });
  assert.deepEqual(ds.shape, [3, 32, 32]);
  assert.equal(ds.numClasses, 10);
  assert.equal(ds.classNames?.[9], 'truck');
  assert.equal(ds.train.n + ds.val.n, 20);
  assert.equal(ds.test.n, 3);
  // test order is a seeded shuffle: find each test sample by its first pixel and check the rest
  for (let k = 0; k < ds.test.n; k++) {
    const x = ds.test.x.subarray(k * 3072, (k + 1) * 3072);
    const first = Math.round((x[0] as number) * 255);
    const r = [0, 1, 2].find((q) => ((q + 100) * 7) % 256 === first) as number;
    assert.ok(r !== undefined);
    assert.equal(ds.test.y[k], r);
    assert.ok(Math.abs((x[1024 + 5] as number) - (((r + 100) * 7 + 50 + 5) % 256) / 255) < 1e-6, 'green plane follows red');
  }
});

test('cifar100:<dir> uses the fine label; bad files are clear errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-cifar100-'));
  writeFileSync(
    join(dir, 'train.bin'),
    records(10, 2, (r) => 90 + r),
  );
  writeFileSync(
    join(dir, 'test.bin'),
    records(2, 2, (r) => 50 + r),
  );
  const ds = await loadDataset(`cifar100:${dir}`, { noCache: true });
  assert.equal(ds.numClasses, 100);
  assert.deepEqual([...ds.test.y].sort(), [50, 51]);
  assert.ok([...ds.train.y, ...ds.val.y].every((y) => y >= 90));
  writeFileSync(join(dir, 'test.bin'), records(2, 2, (r) => r).subarray(0, 5000));
  await assert.rejects(loadDataset(`cifar100:${dir}`), /test.bin' has 5000 bytes, not a whole number of cifar100 records of 3074 bytes/);
  await assert.rejects(loadDataset(`cifar10:${dir}`), /cifar10 folder .*: missing data_batch_1.bin/);
  await assert.rejects(loadDataset('cifar10'), /'cifar10' needs a path/);
});
