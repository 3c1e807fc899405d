/**
 * `hwnas cost`, `measure` and `predictor fit` as a user runs them (the real CLI spawned): a predictor fitted on
 * fused tables costs runtime kernels with the tables' calibration, mixed tables are refused, `measure --policy`
 * refuses bits host-cpu cannot run as `cost` does, and `cost --compare --totals` prints no per-layer table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { layerKey } from '../../hardware/layer-key.js';
import type { LutFile } from '../../hardware/lut.js';
import { kernelWork, networkKernels } from '../../hardware/predictor.js';
import { zooGraph } from '../../ir/zoo/index.js';
import { formatQuantity } from '../../util/table.js';
import { type CliRun, runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-hardware-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);

/** The one `hwnas: error:` line of a clean user error (exit 2, no stack trace), checked against `pattern`. */
function userError(r: CliRun, pattern: RegExp, what: string): string {
  const [line, ...more] = r.stderr.split('\n').filter((l) => l.startsWith('hwnas: error: '));
  assert.ok(r.code === 2 && line !== undefined && more.length === 0 && !r.stderr.includes('    at '), `${what}: exit ${r.code}, stderr:\n${r.stderr}`);
  assert.match(line, pattern, what);
  return line;
}

/** A table of `zoo` model's runtime kernels (one entry per distinct anchor key), fused or not, with a synthetic time per kernel. */
function kernelTable(zoo: string, fused: boolean): LutFile {
  const entries = new Map<string, number>();
  for (const k of networkKernels(zooGraph(zoo))) entries.set(layerKey(k.layer), 0.002 + 2e-8 * kernelWork(k.layer));
  return {
    format: 'hwnas-lut',
    version: 1,
    device: 'test-cpu',
    ...(fused ? { fused: true, kernelScale: 0.8, networkOverheadMs: 0.05 } : {}),
    entries: [...entries].map(([key, latencyMs]) => ({ key, latencyMs })),
  };
}

test('predictor fit on fused tables keeps fused and the calibration: cost charges no batchnorm/relu of its own', async () => {
  writeFileSync(join(dir, 'f1.json'), JSON.stringify(kernelTable('mbnet32', true)));
  writeFileSync(join(dir, 'f2.json'), JSON.stringify(kernelTable('mobilenet-v2', true)));
  const fit = await hwnas('predictor', 'fit', 'f1.json', 'f2.json', '--out', 'pred.json');
  assert.equal(fit.code, 0, fit.stderr);
  const meta = (JSON.parse(readFileSync(join(dir, 'pred.json'), 'utf8')) as { meta: Record<string, unknown> }).meta;
  assert.equal(meta.fused, 1);
  assert.equal(meta.kernelScale, 0.8);
  assert.equal(meta.networkOverheadMs, 0.05);
  const r = await hwnas('cost', 'zoo:mbnet32', '--target', 'predictor:pred.json', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { rows: { op: string; latencyMs: number }[]; total: { networkOverheadMs?: number } };
  const side = rep.rows.filter((l) => l.op === 'batchnorm' || l.op === 'relu' || l.op === 'relu6');
  assert.ok(side.length > 0);
  assert.deepEqual(
    side.filter((l) => l.latencyMs !== 0),
    [],
    'fused batchnorm/activation nodes cost nothing of their own',
  );
  assert.equal(rep.total.networkOverheadMs, 0.05);
});

test('predictor fit shows the calibration of each table and the one farthest from the median (a table measured under load)', async () => {
  const cal = (kernelScale: number, networkOverheadMs: number): string => JSON.stringify({ ...kernelTable('mbnet32', true), kernelScale, networkOverheadMs });
  writeFileSync(join(dir, 'c1.json'), cal(0.8, 0.05));
  writeFileSync(join(dir, 'c2.json'), cal(0.9, 0.04));
  writeFileSync(join(dir, 'loaded.json'), cal(1, 1.76));
  const text = await hwnas('predictor', 'fit', 'c1.json', 'loaded.json', 'c2.json', '--out', 'pc.json');
  assert.equal(text.code, 0, text.stderr);
  assert.ok(
    text.stdout.includes(
      'calibration 0.900 x kernels + 0.0500 ms, the median of 3 tables (they keep no network timings to refit on: re-measure with this version to pool them): c1.json 0.800 x kernels + 0.0500 ms; loaded.json 1.000 x kernels + 1.7600 ms; c2.json 0.900 x kernels + 0.0400 ms; overhead spread 0.0400-1.7600 ms, farthest from the median: loaded.json',
    ),
    text.stdout,
  );
  const json = await hwnas('predictor', 'fit', 'c1.json', 'loaded.json', 'c2.json', '--out', 'pc.json', '--json');
  const c = (
    JSON.parse(json.stdout) as {
      calibration: { method: string; networkOverheadMs: number; farthest: string; tables: { path: string; networkOverheadMs: number }[] };
    }
  ).calibration;
  assert.deepEqual([c.method, c.networkOverheadMs, c.farthest, c.tables.map((t) => t.networkOverheadMs)], ['median', 0.05, 'loaded.json', [0.05, 1.76, 0.04]]);
  const one = await hwnas('predictor', 'fit', 'loaded.json', '--out', 'p1.json');
  assert.match(
    one.stdout,
    /calibration 1\.000 x kernels \+ 1\.7600 ms from one table \(loaded\.json\): one network's whole timing sets the overhead of every network/,
  );
});

test("measure keeps each network's whole timing in its table (JSON and CSV); predictor fit pools them into one calibration", async () => {
  const a = await hwnas('measure', 'zoo:mnist-cnn', '--repeats', '1', '--out', 'ma.json');
  const b = await hwnas('measure', 'zoo:mbnet32?size=16', '--repeats', '1', '--out', 'mb.csv');
  assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr);
  const ta = JSON.parse(readFileSync(join(dir, 'ma.json'), 'utf8')) as LutFile;
  assert.deepEqual(
    ta.networks?.map((n) => n.graph),
    ['mnist-cnn'],
  );
  assert.match(readFileSync(join(dir, 'mb.csv'), 'utf8'), /^# network_timing: [\d.e-]+ [\d.e-]+ mbnet32$/m);
  const fit = await hwnas('predictor', 'fit', 'ma.json', 'mb.csv', '--out', 'pm.json', '--json');
  assert.equal(fit.code, 0, fit.stderr);
  const c = (
    JSON.parse(fit.stdout) as {
      calibration: {
        method: string;
        kernelScale: number;
        networkOverheadMs: number;
        networks: { graph: string; path: string; networkMs: number; predictedMs: number }[];
      };
    }
  ).calibration;
  assert.equal(c.method, 'pooled');
  assert.deepEqual(
    c.networks.map((n) => [n.graph, n.path]),
    [
      ['mnist-cnn', 'ma.json'],
      ['mbnet32', 'mb.csv'],
    ],
  );
  // the predictor carries the pooled calibration that `predictor fit` printed
  const meta = (JSON.parse(readFileSync(join(dir, 'pm.json'), 'utf8')) as { meta: Record<string, unknown> }).meta;
  assert.deepEqual([meta.calibration, meta.kernelScale, meta.networkOverheadMs], ['pooled', c.kernelScale, c.networkOverheadMs]);
  const text = await hwnas('predictor', 'fit', 'ma.json', 'mb.csv', '--out', 'pm.json');
  assert.match(text.stdout, /fitted on the whole-network timings of 2 networks in 2 tables: mnist-cnn \(ma\.json\) measured [\d.]+ ms, calibrated [\d.]+ ms/);
});

test('predictor fit refuses fused tables mixed with unfused ones, naming the files', async () => {
  writeFileSync(join(dir, 'u1.json'), JSON.stringify(kernelTable('mobilenet-v2', false)));
  writeFileSync(join(dir, 'f3.json'), JSON.stringify(kernelTable('mbnet32', true)));
  userError(await hwnas('predictor', 'fit', 'f3.json', 'u1.json', '--out', 'p2.json'), /fused kernels \(f3\.json\).*unfused.*\(u1\.json\)/, 'mixed');
});

test('measure --policy refuses bits host-cpu cannot run, as cost does', async () => {
  const pol =
    '{"default":{"weightBits":32,"actBits":32},"layers":{"conv2":{"weightBits":32,"actBits":32,"groups":[{"channels":8,"weightBits":2,"actBits":2},{"channels":24,"weightBits":32,"actBits":32}]}}}';
  for (const p of ['w4a4', pol]) {
    const c = await hwnas('cost', 'zoo:mnist-cnn', '--target', 'host-cpu', '--policy', p);
    const m = await hwnas('measure', 'zoo:mnist-cnn', '--repeats', '1', '--out', 'm.json', '--policy', p);
    const cost = userError(c, /cannot run on target 'host-cpu'/, `cost ${p}`);
    assert.equal(userError(m, /cannot run on target 'host-cpu'/, `measure ${p}`), cost, 'measure gives the message cost gives');
  }
});

test('cost --compare --totals prints the totals, no per-layer table', async () => {
  const r = await hwnas('cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--compare', 'target=systolic', '--totals');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /bits A/);
  assert.match(r.stdout, /^A = bitfusion-edge\/w8a8, B = systolic\/w8a8/);
  assert.match(r.stdout, /total: A .* ms/);
  const full = await hwnas('cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--compare', 'target=systolic');
  assert.match(full.stdout, /bits A/);
});

test('cost --compare prints and --json gives each side model size, the size cost gives for that policy alone', async () => {
  const args = ['cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge'];
  const size = async (policy: string): Promise<number> => {
    const r = await hwnas(...args, '--policy', policy, '--json');
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { modelSizeBytes: number }).modelSizeBytes;
  };
  const [a, b] = [await size('w8a8'), await size('w4a4')];
  assert.ok(b < a, `w4a4 ${b} bytes, w8a8 ${a} bytes`);
  const j = await hwnas(...args, '--policy', 'w8a8', '--compare', 'policy=w4a4', '--json');
  assert.equal(j.code, 0, j.stderr);
  const cmp = JSON.parse(j.stdout) as { a: { modelSizeBytes: number; policy: string }; b: { modelSizeBytes: number; policy: string } };
  assert.deepEqual([cmp.a.policy, cmp.a.modelSizeBytes, cmp.b.policy, cmp.b.modelSizeBytes], ['w8a8', a, 'w4a4', b]);
  const t = await hwnas(...args, '--policy', 'w8a8', '--compare', 'policy=w4a4', '--totals');
  const kib = (x: number): string => formatQuantity(x / 1024).replace(/[.,]/g, '\\$&');
  assert.match(t.stdout, new RegExp(`^model size: A ${kib(a)} KiB \\(${a} bytes\\), B ${kib(b)} KiB \\(${b} bytes\\); A/B `, 'm'));
  assert.match(t.stdout, /no fault protection: quantize --protect ecc adds the ECC check bits/);
});
