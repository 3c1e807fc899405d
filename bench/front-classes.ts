/**
 * Which computation classes an NB201 problem's true front cells belong to (issue 18, session 40, lead): the repeat filter
 * of hwnas's searches (`distinctComputations`) queries each computation class (`nb201Classes`: cells computing the same
 * function) once, while NB201 trained every cell separately, so the members of one class have different accuracies.
 * A front cell in a class of k cells is then found only if it is the member queried first.
 *
 * Run: `node dist/bench/front-classes.js <NB201 problem>[,<problem>...]` (from the repository root; no search).
 * Prints, per problem, the true front's cells, each with its objective vector and its class size. The front is the one
 * the bench scores against: over the connected cells (`connectedCells`; cells whose output is cut off from the input
 * compute a constant and are left out, as in compare-optuna's NB201 problems).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { nb201Classes } from '../src/nas/tabular.js';
import { paretoFront } from '../src/search/pareto.js';
import { formatNb201 } from '../src/search/spaces/nb201.js';
import { connectedCells, HW360_PROBLEMS, type Hw360Problem, hw360File, hw360Objectives, loadHw360Table } from './compare-optuna.js';

/** One front cell: the cell, its objective values (as the table gives them) and its computation class's size. */
export interface FrontCell {
  readonly cell: string;
  readonly values: readonly number[];
  readonly classSize: number;
}

/** The true front (over the connected cells, the scored one) of an NB201 problem, each cell with its computation class's size. */
export function frontClasses(problem: string): FrontCell[] {
  if (!Object.hasOwn(HW360_PROBLEMS, problem))
    throw new ConfigError(`problem '${problem}': expected an NB201 problem, one of ${Object.keys(HW360_PROBLEMS).join(', ')}`);
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
  const first = paretoFront(rows.map((r) => r.loss));
  return first
    .map((j) => rows[j] as (typeof rows)[number])
    .map((r) => {
      const i = index.get(t.space.format(t.space.parse(r.a)));
      if (i === undefined) throw new Error(`cell ${r.a}: not an NB201 cell`);
      return { cell: r.a, values: r.v, classSize: cls.sizes[cls.classOf[i] as number] as number };
    });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const arg = process.argv[2];
    if (!arg) throw new ConfigError('usage: front-classes <NB201 problem>[,<problem>...]');
    for (const problem of arg.split(',')) {
      const front = frontClasses(problem);
      const multi = front.filter((f) => f.classSize > 1);
      console.log(`${problem}: ${front.length} front cells, ${multi.length} in a class of > 1 cells; class sizes ${front.map((f) => f.classSize).join(' ')}`);
      for (const f of front) console.log(`  ${f.cell} ${f.values.map((x) => x.toPrecision(5)).join(' ')} class of ${f.classSize}`);
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`front-classes: ${e.message}`);
    process.exit(2);
  }
}
