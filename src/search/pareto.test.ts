import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../util/rng.js';
import { crowdingDistance, hypervolume, kneePoint, nonDominatedSort, objectiveBounds, ParetoArchive, paretoFront, toMinimization } from './pareto.js';

/** Oracle: volume of the union of boxes by inclusion-exclusion (exact, small sets only). */
function inclusionExclusion(pts: number[][], ref: number[]): number {
  let total = 0;
  const n = pts.length;
  for (let mask = 1; mask < 1 << n; mask++) {
    const corner = ref.map(() => -Infinity);
    let bits = 0;
    for (let i = 0; i < n; i++)
      if (mask & (1 << i)) {
        bits++;
        (pts[i] as number[]).forEach((v, k) => (corner[k] = Math.max(corner[k] as number, v)));
      }
    const vol = corner.reduce((s, v, k) => s * Math.max(0, (ref[k] as number) - v), 1);
    total += bits % 2 === 1 ? vol : -vol;
  }
  return total;
}

test('hypervolume matches inclusion-exclusion in 2, 3, 4 and 5 objectives', () => {
  const rng = new Rng(1);
  for (const m of [2, 3, 4, 5]) {
    for (let rep = 0; rep < 20; rep++) {
      const pts = Array.from({ length: rng.int(1, 9) }, () => Array.from({ length: m }, () => rng.next()));
      const ref = new Array<number>(m).fill(1.05);
      const want = inclusionExclusion(pts, ref);
      assert.ok(Math.abs(hypervolume(pts, ref) - want) < 1e-12, `m=${m} rep=${rep}`);
    }
  }
});

test('hypervolume of known sets; points beyond the reference contribute nothing', () => {
  assert.equal(
    hypervolume(
      [
        [1, 2],
        [2, 1],
      ],
      [3, 3],
    ),
    3,
  );
  assert.equal(hypervolume([[1, 1, 1]], [2, 3, 4]), 6);
  assert.equal(hypervolume([[5, 0]], [3, 3]), 0);
  assert.equal(hypervolume([], [1, 1]), 0);
});

test('non-dominated sort, constraint domination, crowding, knee', () => {
  const pts = [
    [1, 5],
    [2, 2],
    [5, 1],
    [3, 3],
    [4, 4],
    [0, 0],
  ];
  assert.deepEqual(nonDominatedSort(pts), [[5], [0, 1, 2], [3], [4]]);
  // Point 5 is infeasible: every feasible point beats it; among infeasible ones smaller violation wins.
  assert.deepEqual(nonDominatedSort(pts, [0, 0, 0, 0, 0, 2]), [[0, 1, 2], [3], [4], [5]]);
  assert.deepEqual(
    paretoFront([
      [1, 5],
      [2, 2],
      [5, 1],
      [3, 3],
    ]),
    [0, 1, 2],
  );
  const cd = crowdingDistance([
    [0, 3],
    [1, 1],
    [3, 0],
  ]);
  assert.equal(cd[0], Infinity);
  assert.ok(Math.abs((cd[1] as number) - 2) < 1e-12);
  assert.equal(
    kneePoint([
      [0, 10],
      [1, 1],
      [10, 0],
    ]),
    1,
  );
  assert.deepEqual(
    toMinimization(
      [1, 2],
      [
        { name: 'a', direction: 'minimize' },
        { name: 'b', direction: 'maximize' },
      ],
    ),
    [1, -2],
  );
});

test('ParetoArchive holds the same set as paretoFront of every point added, in key order, with duplicates', () => {
  const rng = new Rng(7);
  for (const m of [2, 3, 4]) {
    for (let rep = 0; rep < 30; rep++) {
      // Coarse values so that ties and duplicate points occur.
      const pts = Array.from({ length: rng.int(1, 60) }, () => Array.from({ length: m }, () => rng.int(0, 6)));
      const keys = rng.shuffle(pts.map((_, i) => i));
      const archive = new ParetoArchive<number>();
      pts.forEach((p, i) => {
        archive.add(p, i, keys[i] as number);
        const want = paretoFront(pts.slice(0, i + 1)).sort((a, b) => (keys[a] as number) - (keys[b] as number));
        assert.deepEqual(archive.items(), want, `m=${m} rep=${rep} after ${i + 1} points`);
      });
      assert.deepEqual(
        archive.points(),
        archive.items().map((i) => pts[i]),
      );
      assert.equal(archive.size, paretoFront(pts).length);
    }
  }
});

test('paretoFront equals the pairwise definition on random points with ties, duplicates, infinities and NaN', () => {
  const rng = new Rng(11);
  const pairwise = (pts: number[][]): number[] =>
    pts.flatMap((p, i) => (pts.some((q, j) => j !== i && q.every((x, k) => !(x > (p[k] as number))) && q.some((x, k) => x < (p[k] as number))) ? [] : [i]));
  const special = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];
  for (const m of [1, 2, 3, 4]) {
    for (let rep = 0; rep < 40; rep++) {
      const pts = Array.from({ length: rng.int(0, 80) }, () =>
        Array.from({ length: m }, () => (rep % 4 === 3 && rng.int(0, 20) === 0 ? (special[rng.int(0, 2)] as number) : rng.int(0, 7) - 0.5 * rng.int(0, 1))),
      );
      assert.deepEqual(paretoFront(pts), pairwise(pts), `m=${m} rep=${rep}`);
    }
  }
});

test('objectiveBounds: per-objective min and max against a brute-force reference; empty sets give infinite bounds', () => {
  const rng = new Rng(3);
  for (let r = 0; r < 20; r++) {
    const m = 1 + (r % 4);
    const pts = Array.from({ length: rng.int(1, 12) }, () => Array.from({ length: m }, () => Math.round(rng.normal(0, 5))));
    const { lo, hi } = objectiveBounds(pts);
    for (let k = 0; k < m; k++) {
      const col = pts.map((p) => p[k] as number);
      assert.equal(lo[k], Math.min(...col));
      assert.equal(hi[k], Math.max(...col));
    }
    assert.equal(lo.length, m);
  }
  assert.deepEqual(objectiveBounds([], 2), { lo: [Infinity, Infinity], hi: [-Infinity, -Infinity] });
  assert.deepEqual(objectiveBounds([]), { lo: [], hi: [] });
});
