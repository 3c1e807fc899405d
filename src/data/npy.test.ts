import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DatasetError } from '../errors.js';
import { encodeNpy, type NpyArray, parseNpy, readNpy, writeNpy } from './npy.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const header = (dict: string, major = 1): string => {
  const pre = major === 1 ? 10 : 12;
  const padded = dict.padEnd(128 - pre - 1, ' ') + '\n';
  const len = major === 1 ? Buffer.from([padded.length, 0]) : Buffer.from([padded.length, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x93]), Buffer.from(`NUMPY`), Buffer.from([major, 0]), len, Buffer.from(padded)]).toString('hex');
};

// Bytes written by numpy 2.4 `np.save` (oracle), e.g. np.arange(6, dtype='<i4').reshape(2, 3).
test('parses files written by numpy (v1 and v2, little/big endian, int64, bool)', () => {
  const i4 = parseNpy(hex(header("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }") + '000000000100000002000000030000000400000005000000'));
  assert.equal(i4.dtype, 'int32');
  assert.deepEqual(i4.shape, [2, 3]);
  assert.deepEqual([...i4.data], [0, 1, 2, 3, 4, 5]);
  const be = parseNpy(hex(header("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }") + '3fc00000c010000040400000'));
  assert.equal(be.dtype, 'float32');
  assert.deepEqual([...be.data], [1.5, -2.25, 3]);
  const i8 = parseNpy(hex(header("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") + '030000000000000000000000000000000900000000000000'));
  assert.deepEqual([...i8.data], [3n, 0n, 9n]);
  const b1 = parseNpy(hex(header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }") + '0100'));
  assert.equal(b1.dtype, 'bool');
  assert.deepEqual([...b1.data], [1, 0]);
  const v2 = parseNpy(hex(header("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }", 2) + '000001000200'));
  assert.deepEqual([...v2.data], [0, 1, 2]);
  const scalar = parseNpy(hex(header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }") + '000000000000f03f'));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [1]);
});

test('NPY round trip for every dtype through a file; header is 64-byte aligned', () => {
  const cases: NpyArray[] = [
    { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    { dtype: 'int8', shape: [2], data: Int8Array.from([-5, 5]) },
    { dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => i * 21) },
    { dtype: 'int16', shape: [2], data: Int16Array.from([-300, 300]) },
    { dtype: 'uint16', shape: [1], data: Uint16Array.from([65535]) },
    { dtype: 'int32', shape: [2, 1], data: Int32Array.from([-7, 7]) },
    { dtype: 'uint32', shape: [1], data: Uint32Array.from([4294967295]) },
    { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 40n), 5n]) },
    { dtype: 'uint64', shape: [1], data: BigUint64Array.from([2n ** 63n]) },
    { dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.1, -0, Infinity, 2.5]) },
    { dtype: 'float64', shape: [0, 4], data: new Float64Array(0) },
  ];
  for (const a of cases) {
    const p = join(dir, `${a.dtype}.npy`);
    writeNpy(p, a);
    const bytes = encodeNpy(a);
    const hlen = bytes[8]! + 256 * bytes[9]!;
    assert.equal((10 + hlen) % 64, 0);
    const b = readNpy(p);
    assert.equal(b.dtype, a.dtype);
    assert.deepEqual(b.shape, a.shape);
    assert.deepEqual([...b.data], [...a.data]);
  }
});

test('NPY errors name the file and what was expected', () => {
  const good = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
  const p = join(dir, 'x.npy');
  writeFileSync(p, good.subarray(0, good.length - 1));
  assert.throws(
    () => readNpy(p),
    (e: Error) =>
      e instanceof DatasetError && e.message.includes(p) && /truncated: header says shape \(2, 3\) float32 = 24 data bytes, found 23/.test(e.message),
  );
  writeFileSync(p, Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0]));
  assert.throws(() => readNpy(p), /not an NPY file.*\.npz is not supported/);
  writeFileSync(p, hex(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }") + '00'.repeat(24)));
  assert.throws(() => readNpy(p), /Fortran order, expected C order/);
  writeFileSync(p, hex(header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }") + '00'.repeat(8)));
  assert.throws(() => readNpy(p), /dtype '<c8', expected one of/);
  writeFileSync(p, hex(header("{'descr': '<f4', 'shape': (1,), }") + '00'.repeat(4)));
  assert.throws(() => readNpy(p), /malformed header/);
  const v9 = good.slice();
  v9[6] = 9;
  writeFileSync(p, v9);
  assert.throws(() => readNpy(p), /format version 9\.0, expected 1\.0, 2\.0 or 3\.0/);
  assert.throws(() => readNpy(join(dir, 'missing.npy'), 'NPY labels file'), /cannot read NPY labels file '.*missing\.npy': no such file/);
  assert.throws(() => encodeNpy({ dtype: 'int64', shape: [1], data: new Int32Array(1) }), /needs a BigInt64Array, got Int32Array/);
});
