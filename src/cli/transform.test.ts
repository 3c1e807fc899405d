/**
 * `hwnas transform` as a user runs it: a zoo teacher trained first, HANT under a latency budget with
 * Pareto refinement and logit distillation, the transformed ONNX checked in onnxruntime by `hwnas eval`;
 * bad flags refused before any work.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type CliRun, runHwnas } from './testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-transform-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);

const DS = 'mnist;limit=train:1500,val:200,test:500';

test('hwnas transform: trained zoo teacher, faster student within the budget, ONNX runs in onnxruntime with the reported accuracy', async () => {
  const r = await hwnas('transform', 'zoo:mnist-cnn', '--dataset', DS, '--target', 'bitfusion-edge', '--budget', 'latency=0.85x', '--train-epochs', '1', '--steps', '15', '--distill-samples', '64', '--refine-steps', '10', '--finetune-epochs', '1', '--finetune-loss', 'logits', '--out', 'fast.onnx', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { teacher: { accuracy: number; latencyMs: number }; student: { accuracy: number; latencyMs: number }; budgetMs: number; layers: { unit: string; alternatives: number; chosen: string }[] };
  assert.ok(j.teacher.accuracy > 0.6, `the zoo teacher was trained first (accuracy ${j.teacher.accuracy})`);
  assert.ok(j.student.latencyMs <= j.budgetMs * (1 + 1e-9) && j.budgetMs < j.teacher.latencyMs, `student ${j.student.latencyMs} ms within the budget ${j.budgetMs} ms`);
  assert.ok(j.layers.some((l) => l.chosen !== 'teacher'), 'at least one layer was replaced');
  assert.ok(j.layers.filter((l) => l.unit.startsWith('conv')).every((l) => l.alternatives >= 30), 'conv units have >= 30 alternatives');
  assert.ok(existsSync(join(dir, 'fast.onnx')));
  const ev = await hwnas('eval', 'fast.onnx', '--dataset', DS, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const acc = (JSON.parse(ev.stdout) as { accuracy: number }).accuracy;
  assert.ok(Math.abs(acc - j.student.accuracy) <= 0.002 + 1e-9, `onnxruntime ${acc} vs engine ${j.student.accuracy}`);
});

test('hwnas transform: bad flags are named, exit 2, no stack trace', async () => {
  for (const [args, pattern] of [
    [['--finetune-loss', 'kl'], /--finetune-loss 'kl': expected labels, logits or kd/],
    [['--refine', 'all', '--refine-steps', '5'], /--refine 'all': expected pareto or chosen/],
    [['--distill-lr', '0'], /--distill-lr 0: expected a value > 0/],
    [['--kd-weight', '2', '--finetune-loss', 'kd'], /--kd-weight 2: expected a value in \[0, 1\]/],
    [['--finetune-label-smoothing', '1'], /--finetune-label-smoothing 1: expected a value in \[0, 1\)/],
    [['--budget', 'latency=0.01x'], /infeasible|cannot be met/],
  ] as const) {
    const r = await hwnas('transform', 'zoo:mnist-cnn', '--dataset', DS, '--target', 'bitfusion-edge', '--budget', 'latency=0.8x', '--train-epochs', '1', '--steps', '5', '--distill-samples', '32', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  }
});
