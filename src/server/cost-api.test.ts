import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import { graphToJson } from '../ir/serialize.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { exportOnnx } from '../onnx/export.js';
import { modelCostReport } from '../quant/cost.js';
import { MemoryStore } from '../store/memory-store.js';
import { Rng } from '../util/rng.js';
import { type RunningServer, startServer } from './server.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer({ store: new MemoryStore() });
});
after(async () => {
  await srv.close();
});

const post = async (body: string | Uint8Array, type: string, query = ''): Promise<{ status: number; json: Record<string, unknown> }> => {
  const r = await fetch(`${srv.url}api/cost${query}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
};

test('POST /api/cost: zoo model, IR JSON and ONNX bytes give the report of hwnas cost (modelCostReport)', async () => {
  const graph = zooGraph('zoo:mnist-cnn');
  const target = getTarget('bitfusion-edge');
  const expected = JSON.parse(JSON.stringify(modelCostReport(graph, target, policyPreset('w4a8'))));
  const a = await post(JSON.stringify({ target: 'bitfusion-edge', policy: 'w4a8', model: 'zoo:mnist-cnn' }), 'application/json');
  assert.equal(a.status, 200);
  assert.deepEqual(a.json, expected);
  const b = await post(JSON.stringify({ target: 'bitfusion-edge', policy: 'w4a8', graph: graphToJson(graph) }), 'application/json');
  assert.deepEqual(b.json, expected);
  const onnx = exportOnnx({ graph, weights: initWeights(graph, new Rng(1)) });
  const c = await post(onnx, 'application/octet-stream', '?target=bitfusion-edge&policy=w4a8');
  assert.equal(c.status, 200);
  const total = c.json.total as Record<string, number>;
  const want = expected.total as Record<string, number>;
  for (const k of ['macs', 'latencyMs']) assert.ok(Math.abs((total[k] as number) - (want[k] as number)) <= 1e-9 * Math.abs(want[k] as number), k);
  const d = await post(JSON.stringify({ target: 'bitfusion-edge', onnx: Buffer.from(onnx).toString('base64') }), 'application/json');
  assert.equal(d.status, 200);
  assert.equal(d.json.policy, 'w8a8');
});

test('POST /api/cost: bad requests are 400 naming the problem; files on the server are not read', async () => {
  const cases: [string, RegExp][] = [
    ['{"target": "tpu-x", "model": "zoo:mnist-cnn"}', /unknown|tpu-x/],
    ['{"target": "bitfusion-edge", "model": "/etc/passwd"}', /expected "zoo:<name>" \(files on the server are not read/],
    ['{"target": "bitfusion-edge"}', /give exactly one of "graph"/],
    ['{"target": "bitfusion-edge", "model": "zoo:mnist-cnn", "policy": "w3a1x"}', /w3a1x/],
    ['not json', /request body is not JSON/],
    ['{"target": "lut:/tmp/x.json", "model": "zoo:mnist-cnn"}', /the server does not read files/],
  ];
  for (const [body, re] of cases) {
    const r = await post(body, 'application/json');
    assert.equal(r.status, 400, body);
    assert.match(String(r.json.error), re, body);
  }
  const bad = await post(new Uint8Array([1, 2, 3]), 'application/octet-stream', '?target=bitfusion-edge');
  assert.equal(bad.status, 400);
  const get = await fetch(`${srv.url}api/studies`, { method: 'PUT' });
  assert.equal(get.status, 405);
});
