/** `hwnas inspect`'s table: the input node reads nothing, so its input column is '-', not `[]` (review54 #12). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { graphWorkloads } from '../../ir/workload.js';
import { zooGraph } from '../../ir/zoo/index.js';
import { layerRow, layerTable } from './inspect.js';

test("inspect's table shows '-' as the input node's input and shapes for the others", () => {
  const rows = graphWorkloads(zooGraph('zoo:mnist-cnn')).map(layerRow);
  const text = layerTable(rows);
  assert.match(text, /^input\s+input\s+-\s+\[1,28,28\]/m);
  assert.doesNotMatch(text, /\[\]/);
});
