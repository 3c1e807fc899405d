/** What a new user reads: text outputs that carry what --json carries (the real CLI, spawned). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HWNAS_BIN, runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-ux-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('sensitivity --per-channel: the text table shows the channel summary --json gives (count, largest channels)', async () => {
  const args = ['sensitivity', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=200', '--samples', '16', '--per-channel', '--seed', '3'];
  const [json, text] = await Promise.all([runHwnas(dir, ...args, '--json'), runHwnas(dir, ...args)]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(text.code, 0, text.stderr);
  const layers = (JSON.parse(json.stdout) as { layers: { layer: string; channelTraces: number[] }[] }).layers;
  const header = text.stdout.split('\n')[0] as string;
  assert.match(header, /channels .*top channels/);
  for (const l of layers) {
    const row = text.stdout.split('\n').find((r) => r.startsWith(`${l.layer} `));
    assert.ok(row, `row of ${l.layer}:\n${text.stdout}`);
    const top = l.channelTraces.indexOf(Math.max(...l.channelTraces));
    assert.match(row, new RegExp(`\\s${l.channelTraces.length}\\s.*#${top}\\b`), `${l.layer}: ${row}`);
  }
  const plain = await runHwnas(dir, ...args.filter((a) => a !== '--per-channel'));
  assert.doesNotMatch(plain.stdout.split('\n')[0] as string, /top channels/);
});

test('train 2>&1 | head -2: the closed pipe ends neither in a crash nor a lost model (exit 0, model written)', () => {
  const out = join(dir, 'piped.onnx');
  const line = `'${process.execPath}' '${HWNAS_BIN}' train zoo:mnist-cnn --dataset 'mnist;limit=200' --epochs 2 --out '${out}' 2>&1 | head -2; echo "exit=\${PIPESTATUS[0]}"`;
  const r = spawnSync('bash', ['-c', line], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3, r.stdout);
  assert.equal(lines[2], 'exit=0', `${r.stdout}\n${r.stderr}`);
  assert.ok(existsSync(out), 'the trained model was written');
});

test('one output rule for every command that writes: the file or folder --out names is created, a missing folder above it is refused before any work', async () => {
  const missing = join(dir, 'no-such-folder');
  for (const [out, ...args] of [
    [join(missing, 'demo'), 'demo', '--limit', '100', '--trials', '1'],
    [join(missing, 'site'), 'web'],
    [join(missing, 't.json'), 'measure', 'zoo:mnist-cnn'],
    [join(missing, 'm.onnx'), 'train', 'zoo:mnist-cnn', '--dataset', 'mnist', '--limit', '100'],
  ] as const) {
    const r = await runHwnas(dir, ...args, '--out', out);
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`--out '${out}': folder '${missing}' does not exist`), r.stderr);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
  assert.ok(!existsSync(missing), 'no command created the missing folder');
  // the named output itself is created (a new folder for demo and web, a new file for the others)
  const site = join(dir, 'new-site');
  const w = await runHwnas(dir, 'web', '--out', site);
  assert.equal(w.code, 0, w.stderr);
  assert.ok(existsSync(join(site, 'index.html')));
});
