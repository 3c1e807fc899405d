/**
 * What NSGA-II's generation wait costs in throughput. Since session 54 `Nsga2.status` answers `wait` while a trial of an
 * earlier generation runs, so with n trials in flight the slots left at a generation's end stay idle until its last
 * trial finishes; `asFinished` (`--as-finished`) asks whenever a slot is free. This runs the built-in `zdt1`
 * evaluation (30 parameters) with NSGA-II in an in-memory store, each trial held for a duration drawn from its own
 * seeded RNG (uniform on [0.5, 1.5] x mean, or exponential with that mean), with n in flight, in both modes, and
 * prints trials/s (wall clock, from the first ask to the last tell) per run, their mean and worst over the seeds, and
 * the ratio wait / asFinished. The loop's own cost is microseconds per trial, so the figures are the scheduling.
 *
 * Run: `npx tsc -p tsconfig.json && nice node dist/bench/nsga2-wait.js [--trials 200] [--pop 20] [--mean-ms 40]
 * [--inflight 2,4] [--seeds 3]`; `--simulate` prints only the overhead-free schedule ({@link simulatedTrialsPerSec})
 * over a grid of populations and slots.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Nsga2 } from '../src/search/strategies/nsga2.js';
import type { Trial } from '../src/search/types.js';
import { trialSeed } from '../src/search/types.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { type EvaluationContext, runStudy } from '../src/study/run-study.js';
import { Rng } from '../src/util/rng.js';
import '../src/workers/builtin.js';
import { evaluatorFor, getEvaluation } from '../src/workers/registry.js';

/** Trial durations: uniform on [0.5, 1.5] x mean, or exponential with that mean. */
export type Durations = 'uniform' | 'exponential';

/** Options of {@link nsga2WaitRun}. */
export interface Nsga2WaitOptions {
  readonly trials: number;
  readonly populationSize: number;
  readonly meanMs: number;
  readonly inFlight: number;
  readonly durations: Durations;
  readonly asFinished: boolean;
  readonly seed: number;
}

/** Duration of trial `k` (ms), from its own seeded RNG: the same in both modes. */
export function trialMs(o: Pick<Nsga2WaitOptions, 'meanMs' | 'durations' | 'seed'>, k: number): number {
  const u = new Rng(trialSeed(o.seed + 1000, k)).next();
  return o.durations === 'uniform' ? o.meanMs * (0.5 + u) : -o.meanMs * Math.log(1 - u);
}

/** One study: its trials/s (wall clock) and the trials run. */
export async function nsga2WaitRun(o: Nsga2WaitOptions): Promise<{ trialsPerSec: number; trials: readonly Trial[] }> {
  const zdt = evaluatorFor({ name: 'zdt1', options: {} });
  const entry = getEvaluation('zdt1');
  const space = entry.defaultSpace?.({});
  if (!space) throw new Error('zdt1 has no default space');
  const evaluate = async (p: Parameters<typeof zdt>[0], ctx: EvaluationContext): ReturnType<typeof zdt> => {
    await new Promise((r) => setTimeout(r, trialMs(o, ctx.trialNumber)));
    return zdt(p, ctx);
  };
  const t0 = performance.now();
  const r = await runStudy({
    store: new MemoryStore(),
    studyName: 'wait',
    space,
    objectives: entry.objectives({}),
    strategy: new Nsga2({ populationSize: o.populationSize }),
    evaluate,
    nTrials: o.trials,
    seed: o.seed,
    concurrency: o.inFlight,
    asFinished: o.asFinished,
  });
  const s = (performance.now() - t0) / 1000;
  return { trialsPerSec: r.trials.length / s, trials: r.trials };
}

/**
 * The same schedule without any loop or machine overhead (an event simulation over the same durations): trial k
 * starts when a slot is free and, with the wait, once every trial of the generations before its own has finished.
 * Returns trials/s.
 */
export function simulatedTrialsPerSec(o: Omit<Nsga2WaitOptions, 'seed'> & { readonly seed: number }): number {
  const free: number[] = Array.from({ length: o.inFlight }, () => 0); // time each slot becomes free
  const genEnd: number[] = []; // time the last trial of each generation ends
  let end = 0;
  for (let k = 0; k < o.trials; k++) {
    const g = Math.floor(k / o.populationSize);
    let slot = 0;
    for (let j = 1; j < free.length; j++) if ((free[j] as number) < (free[slot] as number)) slot = j;
    const ready = o.asFinished || g === 0 ? 0 : Math.max(...genEnd.slice(0, g));
    const start = Math.max(free[slot] as number, ready);
    const stop = start + trialMs(o, k);
    free[slot] = stop;
    genEnd[g] = Math.max(genEnd[g] ?? 0, stop);
    end = Math.max(end, stop);
  }
  return (1000 * o.trials) / end;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** `--simulate`: the overhead-free schedule only, populations 20 and 50, 2/4/8 in flight, 20 generations, 20 seeds. */
function simulateTable(): void {
  console.log('population | in flight | durations | wait trials/s | as-finished trials/s | ratio of means | worst seed ratio (mean trial 100 ms)');
  for (const populationSize of [20, 50])
    for (const inFlight of [2, 4, 8])
      for (const durations of ['uniform', 'exponential'] as const) {
        let w = 0;
        let f = 0;
        let worst = Number.POSITIVE_INFINITY;
        for (let seed = 1; seed <= 20; seed++) {
          const b = { trials: populationSize * 20, populationSize, meanMs: 100, inFlight, durations, seed };
          const a = simulatedTrialsPerSec({ ...b, asFinished: false });
          const c = simulatedTrialsPerSec({ ...b, asFinished: true });
          w += a;
          f += c;
          worst = Math.min(worst, a / c);
        }
        console.log(
          `${populationSize} | ${inFlight} | ${durations} | ${(w / 20).toFixed(2)} | ${(f / 20).toFixed(2)} | ${(w / f).toFixed(3)} | ${worst.toFixed(3)}`,
        );
      }
}

async function main(): Promise<void> {
  if (process.argv.includes('--simulate')) return simulateTable();
  const trials = Number(arg('trials', '200'));
  const populationSize = Number(arg('pop', '20'));
  const meanMs = Number(arg('mean-ms', '40'));
  const inflight = arg('inflight', '2,4').split(',').map(Number);
  const seeds = Number(arg('seeds', '3'));
  console.log(
    `NSGA-II (population ${populationSize}) on zdt1, ${trials} trials, mean trial ${meanMs} ms, ${seeds} seeds; load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    'in flight | durations | ideal trials/s | wait: mean (worst) | as-finished: mean (worst) | wait / as-finished (mean, worst seed) | simulated without overhead: wait, as-finished, ratio (means)',
  );
  for (const n of inflight) {
    for (const durations of ['uniform', 'exponential'] as const) {
      const wait: number[] = [];
      const free: number[] = [];
      const simWait: number[] = [];
      const simFree: number[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const base = { trials, populationSize, meanMs, inFlight: n, durations, seed };
        wait.push((await nsga2WaitRun({ ...base, asFinished: false })).trialsPerSec);
        free.push((await nsga2WaitRun({ ...base, asFinished: true })).trialsPerSec);
        simWait.push(simulatedTrialsPerSec({ ...base, asFinished: false }));
        simFree.push(simulatedTrialsPerSec({ ...base, asFinished: true }));
      }
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
      const ratios = wait.map((w, i) => w / (free[i] as number));
      const f = (x: number): string => x.toFixed(2);
      console.log(
        `${n} | ${durations} | ${f((1000 * n) / meanMs)} | ${f(mean(wait))} (${f(Math.min(...wait))}) | ${f(mean(free))} (${f(Math.min(...free))}) | ${f(mean(ratios))} (${f(Math.min(...ratios))}) | ${f(mean(simWait))}, ${f(mean(simFree))}, ${f(mean(simWait) / mean(simFree))}`,
      );
    }
  }
  console.log(
    `load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
