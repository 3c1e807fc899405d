import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../errors.js';
import { MAX_SEED } from '../util/seed.js';
import { checkOutDir, checkOutPath, EXIT_INTERRUPTED, interruptible, MAX_SEED_FLAG, scoredImages, seedOption, untilStopped } from './io.js';

test('interruptible: Ctrl-C calls onInterrupt, marks exit 130, aborts the signal; the handler is gone afterwards', async () => {
  const before = process.listenerCount('SIGINT');
  const saved = process.exitCode;
  const said: string[] = [];
  const ac = new AbortController();
  try {
    const r = await interruptible(
      async (signal) => {
        assert.equal(signal, ac.signal);
        assert.equal(process.listenerCount('SIGINT'), before + 1);
        assert.equal(signal.aborted, false);
        process.emit('SIGINT', 'SIGINT');
        return signal.aborted ? 'stopped' : 'ran';
      },
      () => said.push('interrupted'),
      ac,
    );
    assert.equal(r, 'stopped');
    assert.deepEqual(said, ['interrupted']);
    assert.equal(process.exitCode, EXIT_INTERRUPTED);
    assert.equal(process.listenerCount('SIGINT'), before);
  } finally {
    process.exitCode = saved;
  }
});

test('interruptible: without Ctrl-C the result passes through, and a failure removes the handler too', async () => {
  const before = process.listenerCount('SIGINT');
  assert.equal(await interruptible(async (signal) => signal.aborted), false);
  await assert.rejects(
    interruptible(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('untilStopped: resolves after the first SIGTERM once close() has finished, removing both handlers', async () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')] as const;
  let closed = 0;
  const done = untilStopped(async () => {
    closed++;
  });
  assert.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], [before[0] + 1, before[1] + 1]);
  process.emit('SIGTERM', 'SIGTERM');
  await done;
  assert.equal(closed, 1);
  assert.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
});

test('seedOption: integers in [0, 2^32 - 1]; past it (which would run as another seed) or not an integer, an error naming the value', () => {
  assert.equal(seedOption(undefined), 0);
  assert.equal(seedOption(undefined, 7), 7);
  assert.equal(seedOption('4294967295'), 2 ** 32 - 1);
  assert.equal(MAX_SEED_FLAG, MAX_SEED, 'the flag takes the range of src/util/seed.ts');
  assert.equal(seedOption(' 12 '), 12);
  assert.throws(() => seedOption('4294967296'), /--seed must be an integer in \[0, 4294967295\], got '4294967296'/);
  assert.throws(() => seedOption('-1'), /--seed must be an integer >= 0, got '-1'/);
  assert.throws(() => seedOption('1.5'), /--seed must be an integer >= 0, got '1.5'/);
});

test('checkOutPath: refuses an output that is one of the inputs (same path, a link, a hard link), accepts another file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-io-'));
  try {
    const input = join(dir, 'model.onnx');
    writeFileSync(input, 'x');
    symlinkSync(input, join(dir, 'soft.onnx'));
    linkSync(input, join(dir, 'hard.onnx'));
    for (const out of [input, join(dir, 'soft.onnx'), join(dir, 'hard.onnx')]) {
      assert.throws(
        () =>
          checkOutPath('--out', out, [
            ['--store', undefined],
            ['model', input],
          ]),
        (e: unknown) => e instanceof UserError && e.message.includes(`is the command's model file '${input}'`),
        out,
      );
    }
    writeFileSync(join(dir, 'other.onnx'), 'y');
    assert.equal(checkOutPath('--out', join(dir, 'other.onnx'), [['model', input]]), join(dir, 'other.onnx'));
    assert.equal(checkOutPath('--out', join(dir, 'new.onnx'), [['model', input]]), join(dir, 'new.onnx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkOutPath / checkOutDir: one rule, the output named is created but never the folders above it; errors name the flag, path and folder', () => {
  const d = mkdtempSync(join(tmpdir(), 'hwnas-io-'));
  const file = join(d, 'f.txt');
  writeFileSync(file, 'x');
  assert.equal(checkOutPath('--out', join(d, 'new.json')), join(d, 'new.json'));
  assert.equal(checkOutDir('--out', join(d, 'new-dir')), join(d, 'new-dir'), 'a new folder whose parent exists');
  assert.equal(checkOutDir('--out', d), d, 'an existing folder');
  const gone = join(d, 'missing');
  for (const check of [checkOutPath, checkOutDir])
    assert.throws(
      () => check('--out', join(gone, 'x')),
      (e: unknown) => e instanceof UserError && e.message.startsWith(`--out '${join(gone, 'x')}': folder '${gone}' does not exist`),
    );
  assert.throws(
    () => checkOutDir('--out', file),
    (e: unknown) => e instanceof UserError && e.message === `--out '${file}' is a file: expected a folder for the outputs`,
  );
  assert.throws(
    () => checkOutPath('--out', d),
    (e: unknown) => e instanceof UserError && /is a folder: expected a file path/.test(e.message),
  );
  assert.throws(() => checkOutDir('--out', ' '), /--out is empty/);
});

test("scoredImages keeps the split and the data set's name apart (review56 #9b: a folder named 'train')", () => {
  assert.equal(scoredImages(200, 'test', 'train'), "200 test images of data set 'train'");
  assert.equal(scoredImages(1, 'val', 'fashion-mnist'), "1 validation image of data set 'fashion-mnist'");
});
