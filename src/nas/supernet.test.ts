import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { buildModel } from '../engine/model.js';
import { uniformPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { graphTotals } from '../ir/workload.js';
import { MBV2_MICRO } from '../search/spaces/mbv2.js';
import { MBV2_TINY } from '../search/spaces/testing/tiny.js';
import { Rng } from '../util/rng.js';
import { binnedSampler, largestArch, pathMacsTable, Supernet, samplePath, searchSupernet, sliceTensor } from './supernet.js';

before(async () => {
  await initEngine();
});

function data(n: number, seed: number): { x: Float32Array; y: Uint8Array; n: number } {
  const r = new Rng(seed);
  return { x: Float32Array.from({ length: n * 3 * 64 }, () => r.normal()), y: Uint8Array.from({ length: n }, () => r.int(0, 9)), n };
}

test('SPOS path sampling is seeded: same seed, same paths; another seed differs', () => {
  const spec = { space: MBV2_TINY };
  const net = new Supernet(spec, 0);
  const paths = (seed: number): string[] => {
    const r = new Rng(seed);
    return Array.from({ length: 20 }, () => net.archSpace.format(samplePath(spec, r)));
  };
  assert.deepEqual(paths(3), paths(3));
  assert.notDeepEqual(paths(3), paths(4));
  assert.ok(new Set(paths(3)).size > 5);
  assert.equal(net.archSpace.format(largestArch(spec)), 'r8-w1:k5e3rs,k5e3rs|k5e3rs,k5e3rs');
});

test('slicing takes leading channels and the centred kernel window', () => {
  // [2 out, 1 in, 3, 3] -> [1, 1, 1, 1] is the centre of the first filter
  const src = { shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => i) };
  assert.deepEqual([...sliceTensor(src, [1, 1, 1, 1]).data], [4]);
  assert.deepEqual([...sliceTensor(src, [2, 1, 1, 1]).data], [4, 13]);
  assert.deepEqual([...sliceTensor({ shape: [4], data: Float32Array.from([1, 2, 3, 4]) }, [2]).data], [1, 2]);
  assert.throws(() => sliceTensor(src, [3, 1, 3, 3]), /cannot slice/);
});

test('supernet training changes the shared weights deterministically; subnets inherit them and run', () => {
  const d = data(64, 1);
  const run = (): Supernet => {
    const net = new Supernet({ space: MBV2_TINY }, 7);
    net.train(d, { steps: 4, batchSize: 16, seed: 2 });
    return net;
  };
  const a = run();
  const b = run();
  const fresh = new Supernet({ space: MBV2_TINY }, 7);
  const key = 's1b1_dw.weight';
  assert.deepEqual(a.weights.get(key)?.data, b.weights.get(key)?.data);
  assert.notDeepEqual(a.weights.get(key)?.data, fresh.weights.get(key)?.data);
  const arch = 'r8-w1:k3e1r|k3e3h,k5e1rs';
  const sub = a.subnet(arch);
  // the 3x3 depthwise filter of s2b1 is the centre of the shared 5x5 one
  const shared = a.weights.get('s2b1_dw.weight');
  const mine = sub.weights.get('s2b1_dw.weight');
  assert.ok(shared && mine);
  assert.equal(mine.data[0], shared.data[6]);
  const em = buildModel(sub);
  assert.equal(em.predict(d.x, 2).length, 20);
  em.dispose();
  const target = getTarget('cortex-a76');
  const res = searchSupernet(a, d, d, { candidates: 3, target, policy: uniformPolicy(32, 32), seed: 1, calibSamples: 32 });
  assert.equal(res.length, 3);
  assert.ok(res.every((c) => c.accuracy >= 0 && c.accuracy <= 1 && c.latencyMs > 0));
  assert.ok((res[0]?.accuracy ?? 0) >= (res[2]?.accuracy ?? 1));
});

test('binnedSampler (SPOS): every MACs bin gets about the same share of paths, where uniform sampling favours the cheap ones', () => {
  const spec = { space: MBV2_TINY };
  const net = new Supernet(spec, 0);
  const macs = (a: ReturnType<typeof samplePath>): number => graphTotals(net.graph(a)).macs;
  const probe = new Rng(7);
  const costs = Array.from({ length: 400 }, () => macs(samplePath(spec, probe)));
  const lo = Math.min(...costs);
  const top = lo + ((Math.max(...costs) - lo) * 3) / 4; // the highest of 4 equal-width bins starts here
  const share = (draw: (r: Rng) => ReturnType<typeof samplePath>): number => {
    const r = new Rng(11);
    let n = 0;
    for (let i = 0; i < 400; i++) if (macs(draw(r)) >= top) n++;
    return n / 400;
  };
  const binned = share(binnedSampler(spec, macs, { bins: 4, probe: 400, seed: 7 }));
  const uniform = share((r) => samplePath(spec, r));
  assert.ok(Math.abs(binned - 0.25) < 0.06, `top bin share ${binned}`);
  assert.ok(uniform < 0.15, `uniform top bin share ${uniform}`);
  const again = binnedSampler(spec, macs, { bins: 4, probe: 400, seed: 7 });
  const r1 = new Rng(5);
  const r2 = new Rng(5);
  const b2 = binnedSampler(spec, macs, { bins: 4, probe: 400, seed: 7 });
  assert.deepEqual(
    Array.from({ length: 10 }, () => net.archSpace.format(again(r1))),
    Array.from({ length: 10 }, () => net.archSpace.format(b2(r2))),
  );
  assert.throws(() => binnedSampler(spec, macs, { bins: 0 }), /bins 0/);
});

test('pathMacsTable: the tabled MACs of a path equal the graph count, elastic or fixed input size and width', () => {
  const micro = { ...MBV2_MICRO, inChannels: 1, classes: 10 };
  const cases = [
    { spec: { space: micro }, n: 1500 },
    { spec: { space: micro, inputSize: 20, width: 0.5 }, n: 1500 },
  ];
  const lateBuilds: number[] = [];
  for (const { spec, n } of cases) {
    const net = new Supernet(spec, 0);
    const t = pathMacsTable(net);
    const r = new Rng(3);
    let built = 0;
    for (let i = 0; i < n; i++) {
      const a = samplePath(spec, r);
      if (i === n - 500) built = t.graphsBuilt();
      assert.equal(t.macs(a), graphTotals(net.graph(a)).macs, net.archSpace.format(a));
    }
    lateBuilds.push(t.graphsBuilt() - built);
  }
  // with a fixed size and width the table is warm after ~1,000 paths: the last 500 draws are (almost) all table sums
  assert.ok((lateBuilds[1] as number) < 25, `graphs built in the last 500 draws: ${lateBuilds.join(', ')}`);
});
