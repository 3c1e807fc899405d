/**
 * Speed of the GP-BO strategy on a 6-dimensional categorical space (NB201, 5 choices per edge; 30
 * one-hot dimensions): wall time and CPU time of a whole study of `--budget` trials on the held-out synthetic NB201
 * table of bench/compare-optuna.ts, with the share of the true front's hypervolume it reached.
 * Configurations:
 * - `refit-always`: hyperparameters refitted at every ask, one lengthscale per one-hot dimension
 *   (the cost profile of the BO before the speed work: `{ refitEvery: 1, categoricalKernel: false }`);
 * - `default`: refit every 10 trials, Cholesky factor grown per trial, one lengthscale per parameter.
 * Both with the options `hwnas nas` gives BO at this budget (candidates 300, maxPoints 80, startup
 * max(10, min(62, budget / 6))) and the repeat filter.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/search-bo-speed.js [--budget 300] [--seeds 1]
 * [--configs default,refit-always] [--json]`.
 */
import { pathToFileURL } from 'node:url';
import { parseObjectives } from '../src/nas/objectives.js';
import { runNas, tableHv } from '../src/nas/run.js';
import '../src/nas/strategies/index.js';
import { tabularEvaluator } from '../src/nas/tabular.js';
import { createStrategy } from '../src/search/registry.js';
import { nb201Space } from '../src/search/spaces/nb201.js';
import { heldOutTable } from './compare-optuna.js';

/** One measured run. */
export interface BoSpeedRow {
  readonly config: string;
  readonly seed: number;
  readonly seconds: number;
  /** CPU seconds of this process (user + system) during the run: less sensitive to the machine's load than wall time. */
  readonly cpuSeconds: number;
  readonly hypervolumeRatio: number;
}

const CONFIGS: Record<string, Record<string, unknown>> = {
  default: {},
  'refit-always': { refitEvery: 1, categoricalKernel: false },
};

/** Runs each configuration for each seed; progress lines on stderr. */
export async function benchBoSpeed(budget = 300, seeds: readonly number[] = [1], configs: readonly string[] = Object.keys(CONFIGS)): Promise<BoSpeedRow[]> {
  const space = nb201Space();
  const table = heldOutTable();
  const objectives = parseObjectives('accuracy:max,latency_ms:min');
  const truth = tableHv(table, objectives);
  const rows: BoSpeedRow[] = [];
  for (const config of configs) {
    const extra = CONFIGS[config];
    if (!extra) throw new Error(`unknown config '${config}'; expected one of ${Object.keys(CONFIGS).join(', ')}`);
    for (const seed of seeds) {
      const options = {
        candidates: 300,
        maxPoints: 80,
        startupTrials: Math.max(10, Math.min(2 * space.space.encodedDimension + 2, Math.round(budget / 6))),
        ...extra,
      };
      const strategy = createStrategy('distinct', { archSpace: space.name, inner: { name: 'bo', options } });
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await runNas({
        space,
        objectives,
        strategy,
        evaluate: tabularEvaluator(table, objectives),
        budget,
        seed,
        frame: truth.frame,
        trueHypervolume: truth.trueHypervolume,
        onProgress: (p) => {
          if (p.done % 25 === 0)
            process.stderr.write(`\r${config} seed ${seed}: ${p.done}/${budget} trials, ${((performance.now() - t0) / 1000).toFixed(0)} s  `);
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const cu = process.cpuUsage(c0);
      const cpuSeconds = (cu.user + cu.system) / 1e6;
      process.stderr.write(`\r${config} seed ${seed}: ${budget} trials in ${seconds.toFixed(1)} s, ratio ${(r.hypervolumeRatio as number).toFixed(4)}\n`);
      rows.push({ config, seed, seconds, cpuSeconds, hypervolumeRatio: r.hypervolumeRatio as number });
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const budget = Number(flag('--budget') ?? 300);
  if (!(Number.isInteger(budget) && budget >= 20)) {
    console.error(`--budget ${flag('--budget')}: expected an integer >= 20`);
    process.exit(2);
  }
  const seeds = (flag('--seeds') ?? '1').split(',').map(Number);
  const configs = (flag('--configs') ?? 'default,refit-always').split(',');
  const rows = await benchBoSpeed(budget, seeds, configs);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ budget, rows }, null, 2)}\n`);
  else
    for (const r of rows)
      process.stdout.write(
        `${r.config}\tseed ${r.seed}\t${r.seconds.toFixed(1)} s wall\t${r.cpuSeconds.toFixed(1)} s CPU\tratio ${r.hypervolumeRatio.toFixed(4)}\n`,
      );
}
