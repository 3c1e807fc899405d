/**
 * The packed model size (`packedModelBytes`, `PolicyCoster`'s `size`, `hwnas quantize`'s size and `hwnas cost`'s
 * "model size"): hand-computed bytes of a small graph, and its relation to the complexity report's `weights` total
 * (codes + biases, no scales), review 52 #9c.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complexityReport } from '../hardware/complexity.js';
import { type PrecisionPolicy, policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { GraphBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/types.js';
import { PolicyCoster, packedModelBytes } from './cost.js';

/** conv c1 (3->8, 3x3) -> bn -> relu -> convs a (8->8, 3x3) and b (8->8, 1x1) -> add -> gap -> fc (8->10). */
function net(): Graph {
  const b = new GraphBuilder('size-net', [3, 8, 8]);
  const x = b.relu(b.bn(b.conv(b.input, { out: 8, kernel: 3, pad: 1, name: 'c1' }), { name: 'bn1' }));
  const s = b.addOp(b.conv(x, { out: 8, kernel: 3, pad: 1, name: 'a' }), b.conv(x, { out: 8, kernel: 1, name: 'b' }), 'sum');
  b.output(b.dense(b.flatten(b.globalAvgPool(s, 'gap'), 'flat'), 10, { name: 'fc' }));
  return b.build();
}

const W4: PrecisionPolicy = { name: 'w4a8', default: { weightBits: 4, actBits: 8 }, layers: {} };

test('packed model size: codes at their bits + a float32 scale per output channel + float32 biases and batch norm, by hand', () => {
  const g = net();
  const bnBytes = packedModelBytes(g, policyPreset('fp32')) - (216 + 576 + 64 + 80) * 4 - (8 + 8 + 8 + 10) * 4;
  // the batch norm of 8 channels: float32 vectors of 8 (as many as the IR counts as its parameters)
  assert.ok(bnBytes > 0 && bnBytes % (8 * 4) === 0, `batch-norm bytes ${bnBytes}`);
  // w4: c1 216 codes -> 108 B + 8 scales + 8 biases; a 576 -> 288 + 32 + 32; b 64 -> 32 + 32 + 32; fc 80 -> 40 + 40 + 40
  const w4 = 108 + 64 + (288 + 64) + (32 + 64) + (40 + 80);
  assert.equal(packedModelBytes(g, W4), w4 + bnBytes);
  // channel groups of c1: 3 channels at 2 bits (81 codes -> 21 B) and 5 at 8 bits (135 B), each with its scales and biases
  const grouped: PrecisionPolicy = {
    ...W4,
    layers: {
      c1: {
        weightBits: 2,
        actBits: 8,
        groups: [
          { channels: 3, weightBits: 2, actBits: 8 },
          { channels: 5, weightBits: 8, actBits: 8 },
        ],
      },
    },
  };
  assert.equal(packedModelBytes(g, grouped), w4 - (108 + 64) + (21 + 24) + (135 + 40) + bnBytes);
  // the same size in the searches' coster, on its vector path and its policy path
  const coster = new PolicyCoster(g, getTarget('bitfusion-edge'));
  assert.equal(coster.policyCost(W4).size, packedModelBytes(g, W4));
  assert.equal(coster.cost([4, 4, 4, 4], [8, 8, 8, 8]).size, packedModelBytes(g, W4));
  assert.equal(coster.policyCost(grouped).size, packedModelBytes(g, grouped));
  // `hwnas cost`'s weights total is the codes and biases only: the model size adds the scales and the batch norm
  const report = complexityReport(g, getTarget('bitfusion-edge'), W4);
  assert.equal(packedModelBytes(g, W4), report.total.weightBytes + (8 + 8 + 8 + 10) * 4 + bnBytes);
});
