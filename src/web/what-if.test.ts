/**
 * The what-if page's logic against the CLI's own paths: targets built from the embedded files equal
 * `getTarget(spec)`, a bad parameter or policy gives the CLI's message, the exported policy reads back
 * through `hwnas cost --policy`'s loader, and the size limit refuses a file above it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadPolicySpec } from '../cli/policy-source.js';
import { complexityReport } from '../hardware/complexity.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights, zooGraph } from '../ir/index.js';
import { quantizableLayers } from '../ir/workload.js';
import { exportOnnx, loadOnnx } from '../onnx/index.js';
import { Rng } from '../util/rng.js';
import { whatIfData } from './site.js';
import {
  buildTarget,
  checkOnnxSize,
  defaultPolicyFor,
  layerBits,
  loadWhatIfTargets,
  MAX_ONNX_BYTES,
  modelFromOnnx,
  modelFromZoo,
  policyJson,
  readPolicy,
  withLayerBits,
} from './what-if.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-whatif-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = whatIfData();
const files = loadWhatIfTargets(data);

/** The message of what `f` throws. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected an error');
}

test('the page offers every analytical preset, and its targets cost like getTarget(name)', () => {
  assert.deepEqual(data.targets, ['bitfusion-edge', 'bismo-cloud', 'systolic', 'myriad-x', 'cortex-a76', 'jetson-nano', 'edge-tpu', 'a100']);
  assert.ok(data.targetFiles['tech-45nm'], 'the energy table travels with the page');
  const graph = zooGraph('zoo:mbnet32');
  for (const name of data.targets) {
    const file = files.get(name);
    assert.ok(file, name);
    const { target, spec } = buildTarget(file, {});
    assert.equal(spec, name);
    const cli = getTarget(name);
    const policy = defaultPolicyFor({ graph, source: 'zoo:mbnet32' }, target);
    assert.deepEqual(complexityReport(graph, target, policy), complexityReport(graph, cli, policy), name);
  }
});

test('edited parameters are the CLI query overrides: same spec, same numbers, same error', () => {
  const graph = zooGraph('zoo:mnist-cnn');
  const sys = files.get('systolic');
  assert.ok(sys);
  const { target, spec } = buildTarget(sys, { rows: '32', cols: String(sys.params.cols?.value), dataflow: 'os', fuse: 'false' });
  assert.equal(spec, 'systolic?rows=32&dataflow=os&fuse=false', 'fields equal to the file value are not overrides');
  const policy = readPolicy('w8a8', graph, target);
  const cli = getTarget(spec);
  assert.deepEqual(complexityReport(graph, target, policy), complexityReport(graph, cli, policy));
  assert.notDeepEqual(complexityReport(graph, target, policy).total, complexityReport(graph, getTarget('systolic'), policy).total, 'the override matters');
  const bf = files.get('bitfusion-edge');
  assert.ok(bf);
  for (const [k, v] of [
    ['clockMHz', '0'],
    ['rows', '2.5'],
    ['fuse', 'maybe'],
    ['nope', '1'],
  ] as const) {
    const page = thrown(() => buildTarget(bf, { [k]: v }));
    assert.equal(
      page,
      thrown(() => getTarget(`bitfusion-edge?${k}=${v}`)),
      `${k}=${v}`,
    );
    assert.ok(page.includes(k), page);
  }
});

test('policies: the CLI loader reads the exported JSON back; bad bits give the CLI message', () => {
  const graph = zooGraph('zoo:mbnet32');
  const t = getTarget('bitfusion-edge');
  const layers = quantizableLayers(graph).map((n) => n.name);
  let p = readPolicy('w8a8', graph, t);
  p = withLayerBits(p, layers[1] as string, 2, 8);
  p = withLayerBits(p, layers[2] as string, 4, 4);
  const file = join(dir, 'policy.json');
  writeFileSync(file, policyJson(p));
  const back = loadPolicySpec(file, graph, t);
  assert.deepEqual(complexityReport(graph, t, back), complexityReport(graph, t, p));
  const bits = layerBits(graph, back);
  assert.deepEqual(bits[1], { layer: layers[1], weightBits: 2, actBits: 8, groups: false });
  assert.deepEqual(bits[2], { layer: layers[2], weightBits: 4, actBits: 4, groups: false });
  // edge-tpu runs 8-bit only: the page's message is the CLI's
  const tpu = getTarget('edge-tpu');
  assert.equal(
    thrown(() => readPolicy(JSON.parse(policyJson(p)), graph, tpu, `'${file}'`)),
    thrown(() => loadPolicySpec(file, graph, tpu)),
  );
  assert.match(
    thrown(() => readPolicy('{"layers":', graph, t)),
    /not valid JSON/,
  );
  assert.match(
    thrown(() => readPolicy({ layers: { nope: { weightBits: 8, actBits: 8 } } }, graph, t)),
    /unknown layer 'nope'/,
  );
  assert.equal(defaultPolicyFor({ graph, source: 'zoo:mnist-cnn' }, getTarget('bitfusion-edge')).name, 'w8a8');
});

test('models: ONNX bytes through the project importer, zoo specs checked as the CLI does, files above the limit refused', () => {
  const graph = zooGraph('zoo:mbnet32');
  const bytes = exportOnnx({ graph, weights: initWeights(graph, new Rng(3)) });
  const path = join(dir, 'm.onnx');
  writeFileSync(path, bytes);
  const m = modelFromOnnx('m.onnx', bytes);
  assert.deepEqual(m.graph, loadOnnx(path).graph);
  assert.equal(modelFromZoo('mobilenet-v2?width=0.5').source, 'zoo:mobilenet-v2?width=0.5');
  assert.match(
    thrown(() => modelFromZoo('mobilenet-v2?width=0')),
    /option width='0'/,
  );
  assert.match(
    thrown(() => modelFromZoo('nope')),
    /unknown zoo model 'nope'/,
  );
  assert.doesNotThrow(() => checkOnnxSize('ok.onnx', MAX_ONNX_BYTES));
  const msg = thrown(() => checkOnnxSize('vgg16.onnx', 553_000_000));
  assert.match(msg, /vgg16\.onnx is 527\.4 MiB: the page parses ONNX files up to 64 MiB/);
  assert.match(
    thrown(() => modelFromOnnx('x.onnx', new Uint8Array([1, 2, 3]))),
    /x\.onnx/,
  );
});
