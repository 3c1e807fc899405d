/** `hwnas quantize --act-damage`: checked before anything loads (exit 2, the bad value named, no stack trace). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-qact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const common = ['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=100', '--target', 'bitfusion-edge', '--budget', 'latency=0.6x'];

test('--act-damage: an unknown method and a strategy other than cw-hawq are refused with exit 2', async () => {
  const bad = await runHwnas(dir, ...common, '--strategy', 'cw-hawq', '--act-damage', 'curvature');
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--act-damage must be measured or hessian, got 'curvature'/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  const ilp = await runHwnas(dir, ...common, '--strategy', 'ilp', '--act-damage', 'hessian');
  assert.equal(ilp.code, 2, ilp.stderr);
  assert.match(ilp.stderr, /--act-damage applies to --strategy cw-hawq, not ilp/);
});

test('--act-channels: a strategy other than cw-hawq and the measured damage are refused with exit 2', async () => {
  const ilp = await runHwnas(dir, ...common, '--strategy', 'ilp', '--act-channels');
  assert.equal(ilp.code, 2, ilp.stderr);
  assert.match(ilp.stderr, /--act-channels applies to --strategy cw-hawq, not ilp/);
  assert.doesNotMatch(ilp.stderr, /\n\s+at /, 'no stack trace');
  const measured = await runHwnas(dir, ...common, '--strategy', 'cw-hawq', '--act-channels', '--act-damage', 'measured');
  assert.equal(measured.code, 2, measured.stderr);
  assert.match(measured.stderr, /--act-channels needs --act-damage hessian/);
});
