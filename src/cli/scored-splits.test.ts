/**
 * Review 50 (items 3, 4, 7) as a user meets them, the real CLI spawned: an empty split that a command scores, or
 * float images with NaN, exit 2 naming the split / file before any training; a model whose input is not square
 * ([3, 7, 9]) trains and evaluates on its own 3x7x9 data; bad values of ensemble/quantize/transform flags (image
 * counts above the split they read among them) are refused before the float training.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeNpy } from '../data/npy.js';
import { GraphBuilder, initWeights } from '../ir/index.js';
import { saveOnnx } from '../onnx/index.js';
import { Rng } from '../util/rng.js';
import { assertUserErrors, flagList, testDir } from './testing/fixtures.js';
import { type CliRun, runHwnas } from './testing/run-cli.js';

const dir = testDir('hwnas-scored-splits-');
const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);
const f = (name: string): string => join(dir, name);

/** Random float images of `shape` (per sample) and labels 0..3; `nan` puts a NaN in sample 3. */
function writeData(x: string, y: string, n: number, shape: readonly number[], seed: number, nan = false): void {
  const rng = new Rng(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n * per }, () => rng.uniform(0, 1));
  if (nan) data[3 * per + 5] = Number.NaN;
  writeNpy(f(x), { dtype: 'float32', shape: [n, ...shape], data });
  writeNpy(f(y), { dtype: 'int64', shape: [n], data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 4)) });
}
writeData('x.npy', 'y.npy', 60, [1, 28, 28], 1);
writeData('x0.npy', 'y0.npy', 0, [1, 28, 28], 2);
writeData('xnan.npy', 'ynan.npy', 60, [1, 28, 28], 3, true);

/** Each case exits 2 with its message and no stack trace ({@link assertUserErrors}), and no training started first. */
function assertRefused(cases: readonly (readonly [string[], RegExp])[]): Promise<void> {
  return assertUserErrors(cases, async (args) => {
    const r = await hwnas(...args);
    assert.ok(!/training it for|^epoch /m.test(r.stderr), `${args.join(' ')}: refused only after training:\n${r.stderr}`);
    return r;
  });
}

const model = 'zoo:mnist-cnn?classes=4';
const emptyTest = `npy:${f('x.npy')},${f('y.npy')};test=${f('x0.npy')},${f('y0.npy')}`;
const emptyVal = `npy:${f('x.npy')},${f('y.npy')};val=${f('x0.npy')},${f('y0.npy')}`;

test('an empty test or validation split is refused before training by every command that scores it', async () => {
  const testMsg = /has no test images; expected at least 1 to measure accuracy/;
  const valMsg = /has no validation images; expected at least 1 to measure accuracy/;
  const cases: [string[], RegExp][] = [
    [['train', model, '--dataset', emptyTest, '--epochs', '1'], testMsg],
    [['train', model, '--dataset', emptyVal, '--epochs', '1'], valMsg],
    [
      ['quantize', model, ...flagList({ dataset: emptyTest, target: 'bitfusion-edge', budget: 'latency=0.9x', 'train-epochs': '1', store: f('q.sqlite') })],
      testMsg,
    ],
    [
      ['quantize', model, ...flagList({ dataset: emptyVal, target: 'bitfusion-edge', budget: 'latency=0.9x', 'train-epochs': '1', store: f('q.sqlite') })],
      valMsg,
    ],
    [['faults', model, '--dataset', emptyTest, '--epochs', '1'], testMsg],
    [
      ['transform', model, ...flagList({ dataset: emptyTest, target: 'bitfusion-edge', budget: 'latency=0.8x', 'train-epochs': '1', store: f('t.sqlite') })],
      testMsg,
    ],
    [['ensemble', model, '--dataset', emptyTest, '--epochs', '1'], testMsg],
    // transform scores its trials (and --scoring network) on validation images: it used to score the last training images instead
    [
      ['transform', model, ...flagList({ dataset: emptyVal, target: 'bitfusion-edge', budget: 'latency=0.8x', 'train-epochs': '1', store: f('t.sqlite') })],
      valMsg,
    ],
  ];
  await assertRefused(cases);
});

test('float images holding NaN are refused naming the file and the sample', async () => {
  await assertRefused([
    [
      ['train', model, '--dataset', `npy:${f('xnan.npy')},${f('ynan.npy')}`, '--epochs', '1'],
      /'[^']*xnan\.npy' has the value NaN in sample 3 \(of 60\); expected finite pixel values/,
    ],
  ]);
});

test('bad flag values are refused before any training (ensemble --augment, quantize --search-images and --fault-images, transform --units, --val-samples, --distill-samples and budget)', async () => {
  const D = 'mnist;limit=train:300,val:100,test:100';
  const q = { dataset: D, target: 'bitfusion-edge', budget: 'latency=0.9x', 'train-epochs': '1', store: f('q2.sqlite') };
  const t = { dataset: D, target: 'bitfusion-edge', 'train-epochs': '1', store: f('t2.sqlite') };
  const cases: [string[], RegExp][] = [
    [['ensemble', 'zoo:mnist-cnn', '--dataset', D, '--augment', '-3'], /--augment must be an integer >= 0, got '-3'/],
    [
      ['quantize', 'zoo:mnist-cnn', ...flagList({ ...q, 'search-images': '5000' })],
      /--search-images 5000: --dataset '.*' has 100 validation images; expected at most 100/,
    ],
    [['transform', 'zoo:mnist-cnn', ...flagList({ ...t, budget: 'latency=0.8x', units: 'nope' })], /nope/],
    [
      ['transform', 'zoo:mnist-cnn', ...flagList({ ...t, budget: 'latency=0.8x', 'val-samples': '500' })],
      /--val-samples 500: --dataset '.*' has 100 validation images; expected at most 100/,
    ],
    [
      ['quantize', 'zoo:mnist-cnn', ...flagList({ ...q, strategy: 'nsga2', objectives: 'accuracy:max,fault_drop:min', 'fault-images': '500' })],
      /--fault-images 500: --dataset '.*' has 100 validation images; expected at most 100/,
    ],
    [
      ['transform', 'zoo:mnist-cnn', ...flagList({ ...t, budget: 'latency=0.8x', limit: '200', 'distill-samples': '250' })],
      /--distill-samples 250: --dataset '.*' with --limit 200 has 200 training images; expected at most 200/,
    ],
    [
      ['transform', 'zoo:mnist-cnn', ...flagList({ ...t, budget: 'latency=1e-6ms' })],
      /latency budget 0\.000001000 ms is infeasible: the cheapest achievable latency with these alternatives is [0-9.]+ ms/,
    ],
  ];
  await assertRefused(cases);
});

test('a model with a non-square input [3, 7, 9] trains and evaluates on its own 3x7x9 data', async () => {
  const b = new GraphBuilder('odd', [3, 7, 9]);
  const x = b.relu(b.conv(b.input, { out: 5, kernel: 3, stride: 2, name: 'c1' }));
  b.output(b.dense(b.flatten(b.globalAvgPool(b.relu(b.conv(x, { out: 6, kernel: [1, 3], name: 'c2' })))), 4, { name: 'fc' }));
  const graph = b.build();
  saveOnnx({ graph, weights: initWeights(graph, new Rng(4)) }, f('odd.onnx'));
  writeData('xo.npy', 'yo.npy', 80, [3, 7, 9], 5);
  const ds = `npy:${f('xo.npy')},${f('yo.npy')}`;
  const tr = await hwnas('train', f('odd.onnx'), '--dataset', ds, '--epochs', '1', '--out', f('odd-t.onnx'), '--json');
  assert.equal(tr.code, 0, tr.stderr);
  const trained = JSON.parse(tr.stdout) as { testAccuracy: number };
  const ev = await hwnas('eval', f('odd-t.onnx'), '--dataset', ds, '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const evaluated = JSON.parse(ev.stdout) as { accuracy: number; n: number };
  assert.equal(evaluated.n, 8, 'the 10% test split held out of 80 samples');
  assert.equal(evaluated.accuracy, trained.testAccuracy, 'onnxruntime scores the exported model as the engine did');
  // a spec that sets its own size= (square) wins over the model's input: the error says so, and not otherwise
  await assertRefused([
    [
      ['eval', f('odd-t.onnx'), '--dataset', `${ds};size=7`],
      /expects input \[3,7,9\] \(189 values per sample\) but the data set gives \[3,7,7\] \(147 values\) per sample: --dataset sets size=/,
    ],
  ]);
});
