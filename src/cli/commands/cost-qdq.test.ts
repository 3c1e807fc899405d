/**
 * `hwnas cost` and `hwnas faults` on the QDQ file `quantize --out` writes: the file is costed at its own precision
 * (the same figures as the float model with that policy) and says so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { complexityReport } from '../../hardware/complexity.js';
import { getTarget } from '../../hardware/registry.js';
import { GraphBuilder } from '../../ir/builder.js';
import { initWeights } from '../../ir/init.js';
import { quantizableLayers } from '../../ir/workload.js';
import { zooGraph } from '../../ir/zoo/index.js';
import { saveOnnx } from '../../onnx/export.js';
import { exportQdqPlan } from '../../onnx/qdq.js';
import type { ModelCostReport } from '../../quant/cost.js';
import { exportQdqOnnx, quantizeWeightInt8 } from '../../quant/qdq-export.js';
import { activationNodes, quantConfig } from '../../quant/quant-config.js';
import { costRequest } from '../../server/cost-api.js';
import { Rng } from '../../util/rng.js';
import { defaultPolicyFor, modelFromOnnx } from '../../web/what-if.js';
import { type CliRun, runHwnas } from '../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-cost-qdq-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hwnas = (...args: string[]): Promise<CliRun> => runHwnas(dir, ...args);

// mnist-cnn at w4a8 / w2a4 / w8a4 (conv1, conv2, fc), written as quantize --out writes it
const graph = zooGraph('zoo:mnist-cnn');
const model = { graph, weights: initWeights(graph, new Rng(5)) };
const layers = quantizableLayers(graph);
const bits: Record<string, readonly [number, number]> = { [layers[0]?.name ?? '']: [4, 8], [layers[1]?.name ?? '']: [2, 4], [layers[2]?.name ?? '']: [8, 4] };
const actOf = new Map(layers.map((l) => [l.inputs[0] as string, (bits[l.name] as readonly [number, number])[1]]));
const qdqBytes = exportQdqPlan(model, {
  weight: (node, t) => quantizeWeightInt8(t, new Array<number>(t.shape[0] as number).fill((bits[node.name] as readonly [number, number])[0])),
  activation: (t) => {
    const b = actOf.get(t);
    return b === undefined ? undefined : { scale: 0.02, zeroPoint: 0, qmin: 0, qmax: 2 ** b - 1 };
  },
});
const qdq = join(dir, 'q.onnx');
writeFileSync(qdq, qdqBytes);
const policy = join(dir, 'p.json');
writeFileSync(
  policy,
  JSON.stringify({
    default: { weightBits: 8, actBits: 8 },
    layers: Object.fromEntries(Object.entries(bits).map(([k, [w, a]]) => [k, { weightBits: w, actBits: a }])),
  }),
);

test('cost of a QDQ file charges the file’s own precision and says so', async () => {
  const file = await hwnas('cost', qdq, '--target', 'bitfusion-edge', '--totals', '--json');
  const float = await hwnas('cost', 'zoo:mnist-cnn', '--policy', policy, '--target', 'bitfusion-edge', '--totals', '--json');
  assert.equal(file.code, 0, file.stderr);
  assert.equal(float.code, 0, float.stderr);
  const a = JSON.parse(file.stdout);
  const b = JSON.parse(float.stdout);
  assert.deepEqual(a.total, b.total);
  assert.match(a.policy, /^qdq:/);
  const w8a8 = JSON.parse((await hwnas('cost', 'zoo:mnist-cnn', '--policy', 'w8a8', '--target', 'bitfusion-edge', '--totals', '--json')).stdout);
  assert.notDeepEqual(a.total, w8a8.total, 'the file is not costed at the default w8a8');
  const text = await hwnas('cost', qdq, '--target', 'bitfusion-edge', '--totals');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, /precision: the QDQ file's own/);
});

test('POST /api/cost and the what-if page cost a QDQ file as hwnas cost does: its own bits and its model size, not W8A8', async () => {
  const cli = await hwnas('cost', qdq, '--target', 'bitfusion-edge', '--json');
  assert.equal(cli.code, 0, cli.stderr);
  const want = JSON.parse(cli.stdout) as ModelCostReport;
  // the same answer but for the policy's name, which names the file (qdq:<path> on the CLI)
  const same = (r: ModelCostReport, source: string): void => {
    assert.equal(r.policy, `qdq:${source}`);
    assert.deepEqual({ ...JSON.parse(JSON.stringify(r)), policy: want.policy }, want, source);
  };
  const body = Buffer.from(qdqBytes);
  same(await costRequest('application/octet-stream', new URLSearchParams('target=bitfusion-edge'), body), 'request body (ONNX)');
  const json = JSON.stringify({ target: 'bitfusion-edge', onnx: body.toString('base64') });
  same(await costRequest('application/json', new URLSearchParams(), Buffer.from(json)), 'request "onnx"');
  // an explicit policy still wins over the file's bits
  const w8a8 = await costRequest('application/octet-stream', new URLSearchParams('target=bitfusion-edge&policy=w8a8'), body);
  assert.equal(w8a8.policy, 'w8a8');
  assert.notEqual(w8a8.total.latencyMs, want.total.latencyMs);
  // the what-if page's default policy for the uploaded file
  const page = modelFromOnnx('q.onnx', qdqBytes);
  const target = getTarget('bitfusion-edge');
  assert.deepEqual(complexityReport(page.graph, target, defaultPolicyFor(page, target)).total, want.total);
});

test('cost of the file the QDQ export writes equals the cost of its policy on a residual network (the tail add at the policy default)', async () => {
  // conv -> relu -> conv -> add (residual; no layer reads it) -> pool -> dense; every layer w4a4, default w8a8: the
  // last add is costed at the default's activation bits, which the QDQ pairs alone do not carry
  const b = new GraphBuilder('res', [4, 8, 8]);
  const x = b.relu(b.conv(b.input, { out: 4, kernel: 3, name: 'c1' }), 'c1_relu');
  const y = b.conv(x, { out: 4, kernel: 3, name: 'c2' });
  b.output(b.dense(b.flatten(b.globalAvgPool(b.addOp(x, y, 'res_add'))), 3, { name: 'fc' }));
  const g = b.build();
  const m = { graph: g, weights: initWeights(g, new Rng(7)) };
  const pol = { default: { weightBits: 8, actBits: 8 }, layers: Object.fromEntries(quantizableLayers(g).map((l) => [l.name, { weightBits: 4, actBits: 4 }])) };
  const stats = new Map([...activationNodes(g).keys()].map((t) => [t, { min: -1, max: 2, samples: new Float32Array(0) }] as const));
  const floatFile = join(dir, 'res.onnx');
  saveOnnx(m, floatFile);
  const qFile = join(dir, 'res_q.onnx');
  writeFileSync(qFile, exportQdqOnnx(m, quantConfig(g, pol, { stats, method: 'minmax' })));
  const polFile = join(dir, 'res_p.json');
  writeFileSync(polFile, JSON.stringify(pol));
  const file = await hwnas('cost', qFile, '--target', 'bitfusion-edge', '--json');
  const float = await hwnas('cost', floatFile, '--policy', polFile, '--target', 'bitfusion-edge', '--json');
  assert.equal(file.code, 0, file.stderr);
  assert.equal(float.code, 0, float.stderr);
  const a = JSON.parse(file.stdout);
  const f = JSON.parse(float.stdout);
  assert.deepEqual(a.total, f.total);
  const row = (r: { rows: Array<{ layer: string }> }) => r.rows.find((l) => l.layer === 'res_add');
  assert.ok(row(a), JSON.stringify(a.rows.map((l: { layer: string }) => l.layer)));
  assert.deepEqual(row(a), row(f));
});
