import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress } from './progress.js';

test('terminal progress bar fills fields whose names are not words (img/s), never a literal {img/s}', () => {
  const err = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
  const saved = { isTTY: err.isTTY, write: err.write, columns: err.columns };
  let out = '';
  err.isTTY = true;
  err.columns = 200;
  err.write = ((s: string | Uint8Array) => {
    out += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }) as typeof err.write;
  try {
    const bar = createProgress({ total: 3, label: 'train', fields: ['epoch', 'img/s'] });
    bar.update(1, { epoch: '1/1', 'img/s': 1234 });
    bar.update(2, {});
    bar.stop();
  } finally {
    err.isTTY = saved.isTTY;
    err.write = saved.write;
    err.columns = saved.columns;
  }
  assert.match(out, /img\/s 1234/);
  assert.match(out, /epoch 1\/1/);
  assert.doesNotMatch(out, /\{img\/s\}|\{f_/);
});

test('plain progress lines (no terminal) print a count once: the total repeated gives one line', () => {
  const err = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
  const saved = { isTTY: err.isTTY, write: err.write };
  let out = '';
  err.isTTY = false;
  err.write = ((s: string | Uint8Array) => {
    out += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }) as typeof err.write;
  try {
    const bar = createProgress({ total: 3, label: 'study', fields: ['front'] });
    for (const v of [1, 2, 3, 3]) bar.update(v, { front: '2 trials' });
    bar.stop();
  } finally {
    err.isTTY = saved.isTTY;
    err.write = saved.write;
  }
  assert.equal(out, 'study 1/3 front=2 trials\nstudy 2/3 front=2 trials\nstudy 3/3 front=2 trials\n');
});

test('terminal progress bar shows no ETA before the first unit is done (not a false ETA 0s), then an estimate', () => {
  const err = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
  const saved = { isTTY: err.isTTY, write: err.write, columns: err.columns };
  const frames: string[] = [];
  err.isTTY = true;
  err.columns = 200;
  err.write = ((s: string | Uint8Array) => {
    frames.push(typeof s === 'string' ? s : Buffer.from(s).toString());
    return true;
  }) as typeof err.write;
  let first = '';
  try {
    const bar = createProgress({ total: 300, label: 'study' });
    first = frames.join('');
    bar.update(1);
    bar.stop();
  } finally {
    err.isTTY = saved.isTTY;
    err.write = saved.write;
    err.columns = saved.columns;
  }
  assert.match(first, /0\/300 0% \| ETA --/);
  assert.doesNotMatch(first, /ETA \d/);
  assert.match(frames.join('').slice(first.length), /1\/300 0% \| ETA \S*\d/);
});
