/**
 * The `layerCosts` a quant-policy trial stores (the report's per-layer bars) add up to the trial's latency, for
 * channel-wise (CW-HAWQ) candidates too: channel groups at several weight widths per layer, with and without a layer's
 * input split between two activation widths (`--act-channels`), and with protection (`--protect`: ECC and range
 * restriction add time, a row `(protection)` of its own), on a target whose cost depends on the bits (bitfusion-edge) and
 * a bit-serial one (bismo-cloud).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zooGraph } from '../ir/zoo/registry.js';
import { quantLayerInfos } from '../quant/cost.js';
import type { JsonValue, Params } from '../search/types.js';
import './builtin.js';
import { getEvaluation } from './registry.js';

const layers = quantLayerInfos(zooGraph('mnist-cnn'));
const BITS = [2, 4, 8];
/** Layers whose input can be split between two activation widths: convolutions with more than one input channel. */
const splits = (l: (typeof layers)[number]): boolean => l.op === 'conv2d' && l.inChannels > 1;

/** A CW-HAWQ point: per layer, counts of output channels at 2, 4 and 8 bits (a third each, the rest at 2 bits). */
function channelPoint(actHigh: boolean): Params {
  const p: Record<string, number> = {};
  for (const l of layers) {
    const third = Math.floor(l.outChannels / 3);
    p[`${l.name}.c2`] = l.outChannels - 2 * third;
    p[`${l.name}.c4`] = third;
    p[`${l.name}.c8`] = third;
    if (actHigh) {
      p[`${l.name}.a`] = 4;
      if (splits(l)) p[`${l.name}.ah`] = Math.floor(l.inChannels / 2);
    }
  }
  return p;
}

for (const target of ['bitfusion-edge', 'bismo-cloud']) {
  test(`cw-hawq trials on ${target}: the stored layerCosts add up to the trial's latency_ms`, async () => {
    const channel = (actChannels: boolean): Record<string, JsonValue> => ({
      bits: BITS,
      orders: layers.map((l) => Array.from({ length: l.outChannels }, (_, i) => i)),
      actBits: layers.map(() => [8, 8, 8]),
      ...(actChannels
        ? { actChannels: { acts: [4, 8], orders: layers.map((l) => (splits(l) ? Array.from({ length: l.inChannels }, (_, i) => i) : null)) } }
        : {}),
    });
    const ctx = { studyName: 's', trialNumber: 0, seed: 0, signal: new AbortController().signal, setUserAttr: () => {} };
    for (const [actChannels, protect] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const ev = getEvaluation('quant-policy').create({
        ...(protect ? { protect: true } : {}),
        model: 'zoo:mnist-cnn',
        dataset: 'mnist;limit=train:100,val:30,test:10',
        target,
        budget: { kind: 'latency', value: 1e9 },
        searchImages: 30,
        channel: channel(actChannels),
      });
      // with protect: SEC-DED ECC on every layer and range restriction, whose cost joins the trial's latency
      const point = protect ? { ...channelPoint(false), range: 1, ...Object.fromEntries(layers.map((l) => [`${l.name}.ecc`, 1])) } : channelPoint(actChannels);
      const r = await ev(point, ctx);
      const policy = r.userAttrs?.policy as unknown as { layers: Record<string, { groups?: unknown[] }> };
      const groups = Object.values(policy.layers).map((l) => l.groups?.length ?? 0);
      assert.ok(
        groups.every((g) => g === 3),
        `every layer is split into three channel groups: ${groups}`,
      );
      const rows = r.userAttrs?.layerCosts as { latencyMs: number }[];
      const sum = rows.reduce((a, x) => a + x.latencyMs, 0);
      const total = r.userAttrs?.latency_ms as number;
      assert.ok(total > 0 && Math.abs(sum - total) <= 1e-9 * total, `actChannels ${actChannels}, protect ${protect}: layers ${sum} ms, trial ${total} ms`);
    }
  });
}
