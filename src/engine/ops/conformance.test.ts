/**
 * Op conformance: every registered IR op, through every path hwnas has for it. For each op's examples
 * (src/ir/ops/<op>.ts) on seeded random inputs and weights:
 * - the reference forward's output length matches shape inference;
 * - the engine (its lowering from src/engine/ops/<op>.ts), in eval and in training mode, matches the
 *   reference, and its output tensor has the inferred shape;
 * - the graph exported to ONNX runs in onnxruntime with the inferred output shape and the reference's values;
 * - the op's node alone (`exportNodeOnnx`, a one-op graph fed the reference's values of its inputs) does too;
 * - that ONNX imports back to a graph holding the op, with the same output shape and values.
 * An op missing a piece (no examples, no engine lowering, no ONNX import or export) fails here.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { UserError } from '../../errors.js';
import { numel } from '../../ir/geometry.js';
import { OP_TYPES, opDef, opForOnnxType } from '../../ir/ops/registry.js';
import type { OpExample } from '../../ir/ops/types.js';
import { referenceForward, referenceForwardAll } from '../../ir/reference.js';
import { inferShapes } from '../../ir/shapes.js';
import type { Graph, Model, OpType, Shape } from '../../ir/types.js';
import { exportNodeOnnx, exportOnnx } from '../../onnx/export.js';
import { importOnnx } from '../../onnx/import.js';
import { createSession } from '../../onnx/ort.js';
import { randomModel } from '../../onnx/testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { initEngine } from '../backend.js';
import { buildModel } from '../model.js';
import { engineOp } from './registry.js';

const BATCH = 3;

function exampleGraph(op: OpType, i: number, ex: OpExample): Graph {
  const last = ex.nodes[ex.nodes.length - 1];
  assert.ok(last, `${op} example ${i} has no nodes`);
  return { name: `${op}-${i}`, nodes: [{ op: 'input', name: 'x', inputs: [], shape: ex.input }, ...ex.nodes], outputs: [last.name] };
}

/** max |got - want| over max(1, max |want|): absolute for O(1) values, relative for large ones. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let d = 0;
  let m = 1;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs((got[i] as number) - (want[i] as number));
    if (!(e <= d)) {
      d = e;
      at = i;
    }
    m = Math.max(m, Math.abs(want[i] as number));
  }
  assert.ok(d / m <= tol, `${what}: max error ${d} (scale ${m}) at ${at}: got ${got[at]}, want ${want[at]}`);
}

async function runOrt(bytes: Uint8Array, x: Float32Array, inShape: Shape): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const s = await createSession(bytes);
  try {
    const out = await s.session.run({ [s.inputName]: new ort.Tensor('float32', x, [BATCH, ...inShape]) });
    const t = out[s.outputName];
    assert.ok(t && t.data instanceof Float32Array, 'onnxruntime output is a float32 tensor');
    return { data: t.data, dims: t.dims };
  } finally {
    await s.session.release();
  }
}

describe('op conformance', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
  });

  it('covers every IR op, and every ONNX type the importer claims belongs to one op', () => {
    assert.ok(OP_TYPES.length >= 22);
    for (const op of OP_TYPES) {
      const d = opDef(op);
      assert.equal(d.op, op);
      assert.equal(engineOp(op).op, op, `engine lowering of '${op}'`);
      for (const t of d.onnxTypes) assert.equal(opForOnnxType(t)?.op, op);
    }
  });

  for (const op of OP_TYPES) {
    if (op === 'input') continue; // the graph input: part of every example below
    describe(op, () => {
      const def = opDef(op);

      it('has conformance examples that use it', () => {
        assert.ok(def.examples.length >= 1, `'${op}' has no examples`);
        for (const ex of def.examples)
          assert.ok(
            ex.nodes.some((n) => n.op === op),
            `example '${ex.title}' does not use '${op}'`,
          );
      });

      def.examples.forEach((ex, i) => {
        it(ex.title, async () => {
          const graph = exampleGraph(op, i, ex);
          const shapes = inferShapes(graph);
          const outName = graph.outputs[0] as string;
          const outShape = shapes.get(outName) as Shape;
          const model: Model = randomModel(graph, 100 + i);
          const rng = new Rng(200 + i);
          const x = Float32Array.from({ length: BATCH * numel(ex.input) }, () => rng.normal(0, 3));

          const want = referenceForward(model, x, BATCH);
          assert.equal(want.length, BATCH * numel(outShape), 'reference output size = inferred shape');

          const m = buildModel(model);
          try {
            for (const training of [false, true]) {
              const xt = m.inputTensor(x, BATCH);
              const y = m.forward(xt, { training });
              assert.deepEqual(y.shape, [BATCH, ...outShape], `engine output shape (training ${training})`);
              const ref = training ? referenceForward(model, x, BATCH, { training: true }) : want;
              assertClose(y.dataSync() as Float32Array, ref, `engine vs reference (training ${training})`);
              y.dispose();
              xt.dispose();
            }
          } finally {
            m.dispose();
          }

          // The op's node alone, fed the reference values of its producers.
          const node = [...graph.nodes].reverse().find((n) => n.op === op);
          assert.ok(node);
          const all = referenceForwardAll(model, x, BATCH);
          const s = await createSession(exportNodeOnnx(graph, node.name, model.weights));
          try {
            const feeds: Record<string, ort.Tensor> = {};
            for (const i of new Set(node.inputs)) {
              feeds[i] = new ort.Tensor('float32', Float32Array.from(all.get(i) as Float64Array), [BATCH, ...(shapes.get(i) as Shape)]);
            }
            const out = (await s.session.run(feeds))[node.name];
            assert.ok(out && out.data instanceof Float32Array);
            assert.deepEqual([...out.dims], [BATCH, ...(shapes.get(node.name) as Shape)], 'one-op ONNX output shape');
            assertClose(out.data, all.get(node.name) as Float64Array, 'one-op ONNX vs reference');
          } finally {
            await s.session.release();
          }

          for (const opset of [11, 13, 17]) {
            let bytes: Uint8Array;
            try {
              bytes = exportOnnx(model, { opset });
            } catch (e) {
              // An export may refuse an opset that cannot express the op (a UserError naming it).
              assert.ok(e instanceof UserError && /opset/.test(e.message), `export at opset ${opset}: ${String(e)}`);
              continue;
            }
            const got = await runOrt(bytes, x, ex.input);
            assert.deepEqual([...got.dims], [BATCH, ...outShape], `onnxruntime output shape (opset ${opset})`);
            assertClose(got.data, want, `onnxruntime vs reference (opset ${opset})`);

            const back = importOnnx(bytes, `${graph.name}.onnx`);
            assert.ok(
              back.graph.nodes.some((n) => n.op === op),
              `import of the opset-${opset} export has no '${op}' node`,
            );
            assert.deepEqual(inferShapes(back.graph).get(back.graph.outputs[0] as string), outShape, `imported output shape (opset ${opset})`);
            assertClose(referenceForward(back, x, BATCH), want, `imported vs original (opset ${opset})`);
          }
        });
      });
    });
  }
});
