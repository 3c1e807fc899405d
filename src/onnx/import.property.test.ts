/** Property tests: ONNX bytes, random, truncated and mutated (see src/util/testing/user-input.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { initWeights, zooGraph } from '../ir/index.js';
import { Rng } from '../util/rng.js';
import { userErrorOrResult } from '../util/testing/user-input.js';
import { exportOnnx } from './export.js';
import { importOnnx } from './import.js';

const graph = zooGraph('zoo:mnist-cnn?width=0.25');
const valid = exportOnnx({ graph, weights: initWeights(graph, new Rng(1)) });

test('ONNX bytes: the valid export imports with its nodes', () => {
  const m = importOnnx(valid, 'valid');
  assert.equal(m.graph.nodes.length > 0, true);
});

test('ONNX bytes (random, truncated, with flipped or inserted bytes): a model, or a UserError', () => {
  const mutated = fc
    .tuple(
      fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
      fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), byte: fc.integer({ min: 0, max: 255 }), insert: fc.boolean() }), { maxLength: 6 }),
    )
    .map(([cut, edits]) => {
      const b = Array.from(valid);
      for (const e of edits) {
        if (e.insert) b.splice(e.at, 0, e.byte);
        else b[e.at] = e.byte;
      }
      return Uint8Array.from(cut === undefined ? b : b.slice(0, cut));
    });
  const bytes = fc.oneof(
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)) },
  );
  fc.assert(
    fc.property(bytes, (b) => {
      userErrorOrResult(`${b.length} bytes`, () => importOnnx(b, 'mutated.onnx'));
    }),
    { numRuns: 150, seed: 2 },
  );
});
