/**
 * Measurements of the committed table's recipe (3,000 test images) for every class trained so far, for
 * `bench/nas-table.ts --phase table`: the committed table's measured means (`acc_trained` where
 * `acc_measured` = 1) plus the trainings of later runs with `testImages` 10,000, scored on their first
 * 3,000 test images (`acc3k`). Trainings are deterministic given (class, seed), so where both exist they
 * must agree; the counts are printed, and the Kendall tau of the committed table's `accuracy` against the
 * classes it never saw (a fresh held-out test of it), with the seed-to-seed tau of those classes. Where the committed value is a two-seed mean and only seed 1 was
 * rerun, seed 2 = 2 * mean - seed 1; where nothing was rerun, the mean is kept as seed 1.
 *
 * Run: `node dist/bench/nas-table-old-recipe.js out.json a.json [b.json ...]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { kendallTau } from '../src/nas/cost.js';
import { loadNasTable, nb201Classes } from '../src/nas/tabular.js';
import { formatNb201, type Nb201Cell, nb201Space } from '../src/search/spaces/nb201.js';
import { DEFAULT_RECIPE, type Measurements } from './nas-table.js';

const [out, ...files] = process.argv.slice(2);
if (!out || files.length === 0) {
  process.stderr.write('usage: nas-table-old-recipe.js out.json measurements.json [...]\n');
  process.exit(2);
}
const table = loadNasTable('bench/nb201-fmnist.csv', nb201Space({ inputSize: 28, inChannels: 1 }));
const { cells, reps } = nb201Classes();
const oldMean: Record<string, number> = {};
for (const i of reps) {
  const a = formatNb201(cells[i] as Nb201Cell);
  const [v, measured] = table.values(a, ['acc_trained', 'acc_measured']) as [number, number];
  if (measured === 1) oldMean[a] = v;
}
const rerun: Record<string, Record<string, number>> = {};
const trainLog: Measurements['trainLog'][number][] = [];
for (const f of files) {
  const m = JSON.parse(readFileSync(f, 'utf8')) as Measurements;
  for (const [a, e] of Object.entries(m.acc3k ?? {})) rerun[a] = { ...rerun[a], ...e };
  trainLog.push(...m.trainLog);
}
const acc: Record<string, Record<string, number>> = {};
const n = { oldClasses: 0, agree: 0, differ: 0, derivedSeed2: 0, oldValueOnly: 0, addedClasses: 0 };
for (const [a, v] of Object.entries(oldMean)) {
  n.oldClasses++;
  const e = rerun[a] ?? {};
  const s1 = e['1'];
  const s2 = e['2'];
  if (s1 !== undefined && s2 !== undefined) {
    acc[a] = { 1: s1, 2: s2 };
    if (Math.abs((s1 + s2) / 2 - v) < 1e-5) n.agree++;
    else n.differ++;
  } else if (s1 !== undefined && Math.abs(s1 - v) < 1e-5) {
    acc[a] = { 1: s1 };
    n.agree++;
  } else if (s1 !== undefined) {
    acc[a] = { 1: s1, 2: 2 * v - s1 };
    n.derivedSeed2++;
  } else {
    acc[a] = { 1: v };
    n.oldValueOnly++;
  }
}
for (const [a, e] of Object.entries(rerun)) {
  if (a in oldMean) continue;
  acc[a] = e;
  n.addedClasses++;
}
// A fresh test of the committed table: its `accuracy` (surrogate) against classes it never saw (mean over seeds, 3,000 test images).
const added = Object.keys(acc).filter((a) => !(a in oldMean));
const meanOf = (e: Record<string, number>): number => Object.values(e).reduce((x, y) => x + y, 0) / Object.values(e).length;
const measured = added.map((a) => meanOf(acc[a] as Record<string, number>));
const committed = added.map((a) => table.values(a, ['accuracy'])[0] as number);
const pairs = added.filter((a) => acc[a]?.['2'] !== undefined);
const fresh = {
  committedAccuracyTauOnAddedClasses: kendallTau(measured, committed),
  addedClasses: added.length,
  seedToSeedTauOnAdded: kendallTau(
    pairs.map((a) => acc[a]?.['1'] as number),
    pairs.map((a) => acc[a]?.['2'] as number),
  ),
  addedPairs: pairs.length,
  committedAccuracyTauOnAddedPairs: kendallTau(
    pairs.map((a) => meanOf(acc[a] as Record<string, number>)),
    pairs.map((a) => table.values(a, ['accuracy'])[0] as number),
  ),
};
process.stdout.write(`${JSON.stringify({ ...n, ...fresh })}\n`);
writeFileSync(out, `${JSON.stringify({ recipe: DEFAULT_RECIPE, host: {}, acc, trainLog })}\n`);
