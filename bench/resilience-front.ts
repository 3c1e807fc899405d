/**
 * Issue 14: the fronts of `hwnas quantize --strategy nsga2` studies with and without the measured `fault_drop`
 * objective, re-measured on the TEST split with more fault runs and other fault positions than the search used
 * (held out from it), then compared at equal accuracy.
 *
 * Input: the `--json` outputs of pairs of quantize runs (same seed and budget), `<prefix><seed>-o3.json` (objectives
 * accuracy, latency_ms, fault_drop) and `<prefix><seed>-o2.json` (accuracy, latency_ms). Every front policy is
 * deployed as QDQ (src/resilience/campaign.ts) and hit by weight bit flips at `--ber` in `--runs` runs on the first
 * `--images` test images (stratified sampling under `--fault-seed`: every policy is hit on common faults). Results go to
 * `--out` as JSON lines, one per policy, as they finish (a rerun skips the policies already there).
 *
 * The comparison per seed: for each point of the 2-objective front, the 3-objective front points whose test accuracy
 * is within `--tol` pp of it (or above it), and whether one of them has a lower test drop (by how much).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/resilience-front.js --model /tmp/hwnas-resilience/mbnet32.json
 *   --dir /tmp/resil5 --seeds 1,2,3 --ber 1e-3 --runs 12 --images 2000 --fault-seed 101 --out /tmp/resil5/front-test.jsonl`
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/load.js';
import type { PrecisionPolicy } from '../src/ir/precision.js';
import { loadModel } from '../src/ir/serialize.js';
import { inputNode } from '../src/ir/shapes.js';
import { runFaultCampaign } from '../src/resilience/campaign.js';

interface FrontPoint {
  readonly trial: number;
  readonly accuracy: number;
  readonly latency_ms: number;
  readonly fault_drop?: number;
  readonly policy: PrecisionPolicy;
}

interface Row {
  readonly seed: number;
  readonly objectives: number;
  readonly trial: number;
  readonly valAccuracy: number;
  readonly latencyMs: number;
  readonly valDrop: number | null;
  readonly testAccuracy: number;
  readonly testDrop: number;
  readonly testP5: number;
  readonly criticalShare: number;
  readonly key: string;
}

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: '/tmp/hwnas-resilience/mbnet32.json' },
    dir: { type: 'string', default: '/tmp/resil5' },
    prefix: { type: 'string', default: 's' },
    seeds: { type: 'string', default: '1,2,3' },
    ber: { type: 'string', default: '1e-3' },
    runs: { type: 'string', default: '12' },
    images: { type: 'string', default: '2000' },
    'fault-seed': { type: 'string', default: '101' },
    tol: { type: 'string', default: '0.5' },
    out: { type: 'string', default: '/tmp/resil5/front-test.jsonl' },
    'analyse-only': { type: 'boolean', default: false },
  },
});
const seeds = (a.seeds as string).split(',').map(Number);
const ber = Number(a.ber);
const runs = Number(a.runs);
const images = Number(a.images);
const faultSeed = Number(a['fault-seed']);
const tol = Number(a.tol) / 100;
const out = a.out as string;

const policyKey = (p: PrecisionPolicy): string =>
  JSON.stringify(
    Object.entries(p.layers)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([l, q]) => [l, q.weightBits, q.actBits]),
  );

function readRows(): Row[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}

async function measure(): Promise<void> {
  const model = loadModel(a.model as string);
  const shape = inputNode(model.graph).shape;
  const ds = await loadDataset('fashion-mnist', shape.length === 3 ? { size: shape[1] as number, channels: shape[0] as number } : {});
  const n = Math.min(images, ds.test.n);
  const per = ds.test.x.length / ds.test.n;
  const data = { x: ds.test.x.subarray(0, n * per), y: ds.test.y.subarray(0, n), n };
  const done = readRows();
  const cache = new Map(done.map((r) => [r.key, r] as const));
  for (const seed of seeds) {
    for (const objectives of [3, 2]) {
      const file = join(a.dir as string, `${a.prefix}${seed}-o${objectives}.json`);
      if (!existsSync(file)) {
        process.stderr.write(`${file}: missing, skipped\n`);
        continue;
      }
      let front: FrontPoint[];
      try {
        front = (JSON.parse(readFileSync(file, 'utf8')) as { front: FrontPoint[] }).front;
      } catch {
        process.stderr.write(`${file}: not a finished run's JSON, skipped\n`);
        continue;
      }
      for (const [i, p] of front.entries()) {
        if (done.some((r) => r.seed === seed && r.objectives === objectives && r.trial === p.trial)) continue;
        const key = policyKey(p.policy);
        let m = cache.get(key);
        if (!m) {
          const c = await runFaultCampaign({
            model,
            policy: p.policy,
            data,
            calibration: { x: ds.train.x, n: Math.min(512, ds.train.n) },
            bers: [ber],
            sites: ['weights'],
            trials: runs,
            seed: faultSeed,
            layerTrials: 0,
            sampling: 'stratified',
          });
          const row = c.results[0];
          if (!row) throw new Error('no result');
          m = {
            seed,
            objectives,
            trial: p.trial,
            valAccuracy: p.accuracy,
            latencyMs: p.latency_ms,
            valDrop: p.fault_drop ?? null,
            testAccuracy: c.baselineAccuracy,
            testDrop: c.baselineAccuracy - row.meanAccuracy,
            testP5: row.p5Accuracy,
            criticalShare: row.criticalShare,
            key,
          };
          cache.set(key, m);
        }
        const r: Row = { ...m, seed, objectives, trial: p.trial, valAccuracy: p.accuracy, latencyMs: p.latency_ms, valDrop: p.fault_drop ?? null };
        appendFileSync(out, `${JSON.stringify(r)}\n`);
        done.push(r);
        process.stderr.write(
          `seed ${seed} o${objectives} ${i + 1}/${front.length}: trial ${p.trial} test acc ${(r.testAccuracy * 100).toFixed(2)}% drop ${(r.testDrop * 100).toFixed(2)} pp\n`,
        );
      }
    }
  }
}

function analyse(): void {
  const rows = readRows();
  const pp = (x: number): string => (x * 100).toFixed(2);
  const summary: Record<string, unknown>[] = [];
  for (const seed of seeds) {
    const f3 = rows.filter((r) => r.seed === seed && r.objectives === 3);
    // one row per distinct policy of the 2-objective front (NSGA-II re-proposes the same policy)
    const f2 = rows.filter(
      (r, i, all) => r.seed === seed && r.objectives === 2 && all.findIndex((x) => x.seed === seed && x.objectives === 2 && x.key === r.key) === i,
    );
    if (f3.length === 0 || f2.length === 0) continue;
    // per 2-objective point: the best (lowest test drop) 3-objective point at its test accuracy or within tol below
    const pairs = f2.map((q) => {
      const near = f3.filter((p) => p.testAccuracy >= q.testAccuracy - tol);
      const best = near.reduce<Row | undefined>((b, p) => (b === undefined || p.testDrop < b.testDrop ? p : b), undefined);
      return { q, best, gain: best ? q.testDrop - best.testDrop : Number.NaN };
    });
    const lower = pairs.filter((x) => x.gain > 0).length;
    const f2keys = new Set(f2.map((r) => r.key));
    const minDrop3 = Math.min(...f3.map((r) => r.testDrop));
    const minDrop2 = Math.min(...f2.map((r) => r.testDrop));
    const top3 = f3.reduce((b, r) => (r.testAccuracy > b.testAccuracy ? r : b));
    const top2 = f2.reduce((b, r) => (r.testAccuracy > b.testAccuracy ? r : b));
    // the most resilient 3-objective points (lowest test drop, 3 of them): on the 2-objective front?
    const resilient3 = [...f3].sort((x, y) => x.testDrop - y.testDrop).slice(0, 3);
    const s = {
      seed,
      front3: f3.length,
      front2: f2.length,
      shared: f3.filter((r) => f2keys.has(r.key)).length,
      pairsWithLowerDrop: `${lower}/${pairs.length}`,
      meanGainPp: pp(pairs.filter((x) => Number.isFinite(x.gain)).reduce((s, x) => s + x.gain, 0) / pairs.length),
      worstGainPp: pp(Math.min(...pairs.map((x) => (Number.isFinite(x.gain) ? x.gain : Number.NEGATIVE_INFINITY)))),
      minDrop3Pp: pp(minDrop3),
      minDrop2Pp: pp(minDrop2),
      mostAccurate3: `${pp(top3.testAccuracy)}% / ${pp(top3.testDrop)} pp`,
      mostAccurate2: `${pp(top2.testAccuracy)}% / ${pp(top2.testDrop)} pp`,
      mostResilient3OnFront2: resilient3.filter((r) => f2keys.has(r.key)).length,
      pairs: pairs.map((x) => ({
        two: `#${x.q.trial} ${pp(x.q.testAccuracy)}% ${pp(x.q.testDrop)} pp ${(x.q.latencyMs * 1000).toFixed(2)} us`,
        three: x.best ? `#${x.best.trial} ${pp(x.best.testAccuracy)}% ${pp(x.best.testDrop)} pp ${(x.best.latencyMs * 1000).toFixed(2)} us` : null,
        gainPp: pp(x.gain),
      })),
    };
    summary.push(s);
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

if (!a['analyse-only']) await measure();
analyse();
