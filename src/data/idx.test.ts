import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetError } from '../errors.js';
import { encodeIdx, type IdxArray, parseIdx, readIdx, writeIdx } from './idx.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('IDX bytes of a hand-built MNIST-style label file decode as specified', () => {
  // magic 0x00000801 (uint8, 1 dim), count 3 (big-endian), then 3 labels.
  const bytes = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]);
  const a = parseIdx(bytes);
  assert.equal(a.dtype, 'uint8');
  assert.deepEqual(a.shape, [3]);
  assert.deepEqual([...a.data], [7, 2, 9]);
  // int32 big-endian: 0x00000c01, one value 0x01020304
  const b = parseIdx(Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]));
  assert.deepEqual([...b.data], [0x01020304]);
});

test('IDX round trip for every dtype, through a file and through gzip', () => {
  const cases: IdxArray[] = [
    { dtype: 'uint8', shape: [2, 3, 2], data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) },
    { dtype: 'int8', shape: [4], data: Int8Array.from([-128, -1, 0, 127]) },
    { dtype: 'int16', shape: [2, 2], data: Int16Array.from([-32768, -2, 513, 32767]) },
    { dtype: 'int32', shape: [3], data: Int32Array.from([-2147483648, 65537, 2147483647]) },
    { dtype: 'float32', shape: [1, 3], data: Float32Array.from([0.5, -1e-20, 3.25]) },
    { dtype: 'float64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
  ];
  for (const a of cases) {
    const p = join(dir, `${a.dtype}.idx`);
    writeIdx(p, a);
    const b = readIdx(p);
    assert.equal(b.dtype, a.dtype);
    assert.deepEqual(b.shape, a.shape);
    assert.deepEqual([...b.data], [...a.data]);
    assert.equal(b.data.constructor, a.data.constructor);
    const gz = join(dir, `${a.dtype}.idx.gz`);
    writeFileSync(gz, gzipSync(encodeIdx(a)));
    assert.deepEqual([...readIdx(gz).data], [...a.data]);
  }
});

test('IDX errors name the file and what was expected', () => {
  const good = encodeIdx({ dtype: 'uint8', shape: [2, 2, 2], data: new Uint8Array(8) });
  const p = join(dir, 'bad-magic');
  const wrong = good.slice();
  wrong[0] = 0x12;
  writeFileSync(p, wrong);
  assert.throws(
    () => readIdx(p),
    (e: Error) => e instanceof DatasetError && e.message.includes(p) && e.message.includes('magic number 0x12000803'),
  );
  const t = join(dir, 'truncated');
  writeFileSync(t, good.subarray(0, good.length - 3));
  assert.throws(
    () => readIdx(t),
    (e: Error) => e instanceof DatasetError && e.message.includes(t) && /truncated.*2x2x2 uint8 = 24 bytes.*found 21/.test(e.message),
  );
  writeFileSync(t, good.subarray(0, 9));
  assert.throws(() => readIdx(t), /truncated: magic 0x00000803 announces 3 dimensions/);
  writeFileSync(t, Uint8Array.from([...good, 0]));
  assert.throws(() => readIdx(t), /longer than its header says/);
  writeFileSync(t, Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]));
  assert.throws(() => readIdx(t), /not an IDX file: magic number 0x00000701/);
  const missing = join(dir, 'nope', 'train-images-idx3-ubyte');
  assert.throws(
    () => readIdx(missing, 'IDX images file'),
    (e: Error) => e instanceof DatasetError && e.message === `cannot read IDX images file '${missing}': no such file`,
  );
  assert.throws(() => readIdx(dir), /it is a directory/);
  writeFileSync(t, Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
  assert.throws(() => readIdx(t), /gzip-compressed but cannot be decompressed/);
});

test('encodeIdx rejects data that does not match its dtype or shape', () => {
  assert.throws(() => encodeIdx({ dtype: 'int32', shape: [2], data: new Uint8Array(2) }), /does not match data of type Uint8Array/);
  assert.throws(() => encodeIdx({ dtype: 'uint8', shape: [3], data: new Uint8Array(2) }), /does not fit 2 values/);
});
