/**
 * Which computation classes an NB201 or TransNAS-Bench-101 micro problem's true front cells belong to (issue 18, session
 * 40, lead; TransNAS micro since session 47, search26): the repeat filter
 * of hwnas's searches (`distinctComputations`) queries each computation class (`nb201Classes`: cells computing the same
 * function) once, while NB201 trained every cell separately, so the members of one class have different accuracies.
 * A front cell in a class of k cells is then found only if it is the member queried first. TransNAS micro's table gives
 * every member of a class the class's mean metric (bench/transnas-micro.ts), so there a front class is listed once (its
 * representative, the table's `class` column) with the number of cells that reach it.
 *
 * Run: `node dist/bench/front-classes.js <problem>[,<problem>...]` (from the repository root; no search).
 * Prints, per problem, the true front's cells, each with its objective vector, its class size and its exclusive share:
 * the share of the true front's hypervolume lost without that vector (the bench's frame, reference at the front's
 * nadir), i.e. what a run that misses only it loses. The front is the one the bench scores against: over the connected
 * cells (cells whose output is cut off from the input compute a constant and are left out, as in compare-optuna).
 */

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { normalisedHv, tableHv } from '../src/nas/run.js';
import { type NasTable, nb201Classes } from '../src/nas/tabular.js';
import { paretoFront } from '../src/search/pareto.js';
import { formatNb201 } from '../src/search/spaces/nb201.js';
import { parseCommentedCsv } from './commented-csv.js';
import {
  ALL_TNB_PROBLEMS,
  accuracyLatencyObjectives,
  connectedCells,
  HW360_PROBLEMS,
  type Hw360Problem,
  hw360File,
  hw360Objectives,
  loadHw360Table,
  tnbFile,
} from './compare-optuna.js';
import { loadTnbTable, type TnbProblemSpec, tnbConnectedCells } from './transnas-micro.js';

/**
 * One front cell: the cell, its objective values (as the table gives them), its computation class's size and its
 * exclusive share (the share of the true front's hypervolume lost without this vector, in the bench's frame).
 */
export interface FrontCell {
  readonly cell: string;
  readonly values: readonly number[];
  readonly classSize: number;
  readonly exclusive: number;
}

/** The front rows' exclusive shares: 1 - the front's normalised hypervolume without row i / with all rows. */
function exclusiveShares(t: NasTable, objectiveSpec: string, cells: readonly string[]): number[] {
  const objectives = parseObjectives(objectiveSpec);
  const names = objectives.map((o) => o.name);
  const { frame, trueHypervolume } = tableHv(t, objectives);
  const values = cells.map((c) => t.values(c, names));
  return values.map((_, i) =>
    Math.max(
      0,
      1 -
        normalisedHv(
          values.filter((_, j) => j !== i),
          objectives,
          frame,
        ) /
          trueHypervolume,
    ),
  );
}

/**
 * The true front (over the connected cells, the scored one) of a TransNAS micro problem: one row per front class (its
 * representative cell), with the class's size (cells of the table's `class` column, cut-off ones included) and
 * exclusive share.
 */
function tnbFrontClasses(spec: TnbProblemSpec, path = tnbFile()): FrontCell[] {
  const text = readFileSync(path, 'utf8');
  const size = new Map<string, number>();
  const classOf = new Map<string, string>();
  for (const r of parseCommentedCsv(text, path).rows) {
    const cls = r.class ?? '';
    classOf.set(r.cell ?? '', cls);
    size.set(cls, (size.get(cls) ?? 0) + 1);
  }
  const t = tnbConnectedCells(loadTnbTable(path, spec, text));
  const objectiveSpec = accuracyLatencyObjectives(spec);
  const names = parseObjectives(objectiveSpec).map((o) => o.name);
  const archs = t.archs();
  const rows = archs.map((a) => t.values(a, names));
  const reps = [...new Set(paretoFront(rows.map((v) => v.map((x, k) => (k === 0 ? -x : x)))).map((i) => classOf.get(archs[i] as string) as string))];
  const exclusive = exclusiveShares(t, objectiveSpec, reps);
  return reps.map((c, i) => ({ cell: c, values: t.values(c, names), classSize: size.get(c) as number, exclusive: exclusive[i] as number }));
}

/**
 * The true front (over the connected cells, the scored one) of an NB201 problem, each cell with its computation class's
 * size and exclusive share; of a TransNAS micro problem, each front class once (see {@link tnbFrontClasses}).
 */
export function frontClasses(problem: string): FrontCell[] {
  const tnb = ALL_TNB_PROBLEMS[problem];
  if (tnb) return tnbFrontClasses(tnb);
  if (!Object.hasOwn(HW360_PROBLEMS, problem))
    throw new ConfigError(
      `problem '${problem}': expected an NB201 problem (${Object.keys(HW360_PROBLEMS).join(', ')}) or a TransNAS micro problem (${Object.keys(ALL_TNB_PROBLEMS).join(', ')})`,
    );
  const p = problem as Hw360Problem;
  const t = connectedCells(loadHw360Table(hw360File(p), p));
  const objs = hw360Objectives(p)
    .split(',')
    .map((s) => s.split(':') as [string, string]);
  const metrics = objs.map((o) => o[0]);
  const cls = nb201Classes();
  const index = new Map(cls.cells.map((c, i) => [formatNb201(c), i]));
  const rows = [...t.archs()].map((a) => {
    const v = t.values(a, metrics);
    return { a, v, loss: v.map((x, k) => ((objs[k] as [string, string])[1] === 'max' ? -x : x)) };
  });
  const first = paretoFront(rows.map((r) => r.loss)).map((j) => rows[j] as (typeof rows)[number]);
  const exclusive = exclusiveShares(
    t,
    hw360Objectives(p),
    first.map((r) => r.a),
  );
  return first.map((r, k) => {
    const i = index.get(t.space.format(t.space.parse(r.a)));
    if (i === undefined) throw new Error(`cell ${r.a}: not an NB201 cell`);
    return { cell: r.a, values: r.v, classSize: cls.sizes[cls.classOf[i] as number] as number, exclusive: exclusive[k] as number };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const arg = process.argv[2];
    if (!arg) throw new ConfigError('usage: front-classes <NB201 or TransNAS micro problem>[,<problem>...]');
    for (const problem of arg.split(',')) {
      const front = frontClasses(problem);
      const multi = front.filter((f) => f.classSize > 1);
      console.log(`${problem}: ${front.length} front cells, ${multi.length} in a class of > 1 cells; class sizes ${front.map((f) => f.classSize).join(' ')}`);
      for (const f of front)
        console.log(`  ${f.cell} ${f.values.map((x) => x.toPrecision(5)).join(' ')} class of ${f.classSize}, exclusive share ${f.exclusive.toFixed(4)}`);
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`front-classes: ${e.message}`);
    process.exit(2);
  }
}
