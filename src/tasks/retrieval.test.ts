import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, UserError } from '../errors.js';
import { GraphBuilder } from '../ir/builder.js';
import { inferShapes } from '../ir/shapes.js';
import { zooGraph } from '../ir/zoo/index.js';
import { getTask, taskNames, taskOfGraph } from './registry.js';
import { retrievalGraph } from './retrieval.js';

test('the retrieval head replaces the classifier by an embedding and class proxies', () => {
  const backbone = zooGraph('zoo:mnist-cnn');
  const g = getTask('retrieval').head(backbone, { classes: 10, embeddingDim: 32 });
  assert.deepEqual(g.outputs, ['embedding', 'proxies']);
  const shapes = inferShapes(g);
  assert.deepEqual(shapes.get('embedding'), [32]);
  assert.deepEqual(shapes.get('proxies'), [10]);
  const emb = g.nodes.find((n) => n.name === 'embedding');
  const dense = g.nodes.find((n) => n.name === 'embedding_fc');
  const fc = backbone.nodes.find((n) => n.name === 'fc');
  // the embedding is the dense layer's output normalised in the graph
  assert.ok(emb?.op === 'l2norm' && emb.axis === -1);
  assert.deepEqual(emb.inputs, ['embedding_fc']);
  assert.ok(dense?.op === 'dense' && dense.outFeatures === 32);
  assert.deepEqual(dense.inputs, fc?.inputs);
  assert.equal(
    g.nodes.some((n) => n.name === 'fc'),
    false,
  );
  const p = g.nodes.find((n) => n.name === 'proxies');
  assert.ok(p?.op === 'dense' && p.bias === false && p.inFeatures === 32);
  assert.equal(taskOfGraph(g).name, 'retrieval');
  assert.equal(taskOfGraph(backbone).name, 'classification');
  // classification keeps the graph, checks the classes
  assert.equal(getTask('classification').head(backbone, { classes: 10 }), backbone);
  assert.throws(() => getTask('classification').head(backbone, { classes: 5 }), ConfigError);
});

test('bad heads and task names are rejected with the value quoted', () => {
  const backbone = zooGraph('zoo:mnist-cnn');
  assert.throws(() => retrievalGraph(backbone, 1, 10), /dimension 1/);
  assert.throws(() => retrievalGraph(backbone, 16, 1), /at least 2 classes/);
  assert.throws(() => retrievalGraph(retrievalGraph(backbone, 16, 10), 16, 10), /already a retrieval model/);
  const b = new GraphBuilder('noclassifier', [1, 8, 8]);
  b.output(b.relu(b.conv(b.input, { out: 4, kernel: 3 })));
  assert.throws(() => retrievalGraph(b.build(), 16, 10), /dense classifier/);
  assert.throws(
    () => getTask('segmentation'),
    (e: unknown) => e instanceof UserError && /'segmentation'/.test(e.message),
  );
  assert.deepEqual(taskNames(), ['classification', 'retrieval']);
});
