/**
 * Does the study loop scale linearly? A long study of the built-in `zdt1` evaluation (30 parameters,
 * two objectives, microseconds per evaluation: what is timed is the loop, the strategy and the store)
 * with NSGA-II (population 50) in a fresh SQLite store, timed per trial: trials/s over the first and
 * the last `window` trials, and the total. Alongside:
 * - the cost of one durable commit (WAL, synchronous FULL) on the same file system: the store flushes
 *   once per trial (finishTrial), so this is the floor of the time per cheap trial;
 * - the same study with Optuna (NSGA-II sampler, population 50, SQLite storage) when a Python with
 *   optuna is found (`python3`, else Debian's `/usr/bin/python3`; skipped with a message otherwise);
 * - `hwnas nas` on the NB201 table (nsga2) at several budgets, timed as a whole command.
 * Both tools' final Pareto fronts are scored by their hypervolume (reference point [1.1, 1.1]).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/study-scale.js [--trials 10000] [--window 1000]
 * [--optuna-trials 3000] [--nas-budgets 500,2000,5000] [--skip optuna,nas] [--dir /dev/shm]`; or `npm run bench -- study-scale`
 * (defaults).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { hypervolume } from '../src/search/pareto.js';
import { Nsga2 } from '../src/search/strategies/nsga2.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { runStudy } from '../src/study/run-study.js';
import '../src/workers/builtin.js';
import { evaluatorFor, getEvaluation } from '../src/workers/registry.js';

/** Options of {@link benchStudyScale}. */
export interface StudyScaleOptions {
  /** Trials of the hwnas study (default 10,000). */
  readonly trials?: number;
  /** Trials per rate window at the start and at the end (default 1,000). */
  readonly window?: number;
  /** Trials of the Optuna study (default 3,000; 0 skips it). */
  readonly optunaTrials?: number;
  /** Budgets of the `hwnas nas` runs (default 500, 2000, 5000; empty skips them). */
  readonly nasBudgets?: readonly number[];
  /** Seed of both studies (default 1). */
  readonly seed?: number;
  /**
   * Directory the stores are created in (default the OS temp directory). A tmpfs such as /dev/shm
   * makes commits free: what remains is the software's own cost per trial.
   */
  readonly dir?: string;
}

/** Timing of one long study. */
export interface StudyTiming {
  readonly trials: number;
  readonly totalSeconds: number;
  /** Trials per second over the first and the last window. */
  readonly firstRate: number;
  readonly lastRate: number;
  /** lastRate / firstRate (1 = perfectly linear). */
  readonly lastOverFirst: number;
  /** Trials per second over each consecutive window. */
  readonly windowRates: number[];
  /** Hypervolume of the final front (reference [1.1, 1.1]); zdt1's true front gives ~0.8767. */
  readonly hypervolume: number;
  /**
   * hwnas only: CPU milliseconds (user + system) of this process per trial over the first and the last
   * window: less sensitive than wall-clock rates to other processes on a shared machine.
   */
  readonly cpuMsPerTrial?: { readonly first: number; readonly last: number };
}

/** Result of {@link benchStudyScale}. */
export interface StudyScaleResult {
  readonly load1AtStart: number;
  /** Where the stores were. */
  readonly dir: string;
  /** Milliseconds per durable (WAL, synchronous FULL) commit on the store's file system. */
  readonly fsyncMsPerCommit: number;
  readonly hwnas: StudyTiming;
  readonly optuna: (StudyTiming & { readonly version: string; readonly python: string }) | { readonly skipped: string };
  readonly nas: { readonly budget: number; readonly seconds: number; readonly msPerQuery: number }[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const REF = [1.1, 1.1];

/** Rates from the times (seconds since the start) at which trial 1, 2, ... n had finished. */
function timing(finishedAt: readonly number[], window: number, values: readonly (readonly number[])[]): StudyTiming {
  const n = finishedAt.length;
  const w = Math.min(window, n);
  const at = (k: number): number => (k === 0 ? 0 : (finishedAt[k - 1] as number));
  const windowRates: number[] = [];
  for (let k = 0; k + w <= n; k += w) windowRates.push(w / (at(k + w) - at(k)));
  const firstRate = w / at(w);
  const lastRate = w / (at(n) - at(n - w));
  return { trials: n, totalSeconds: at(n), firstRate, lastRate, lastOverFirst: lastRate / firstRate, windowRates, hypervolume: hypervolume(values, REF) };
}

/** Milliseconds per durable commit (WAL, synchronous FULL), as the store does once per trial. */
export function fsyncCost(dir: string, commits = 200): number {
  const db = new Database(join(dir, 'fsync.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v INTEGER)');
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) db.transaction(() => ins.run(i)).immediate();
    return (performance.now() - t0) / commits;
  } finally {
    db.close();
  }
}

/** The hwnas study: zdt1, NSGA-II (population 50), SQLite store in `dir`. */
export async function hwnasStudy(dir: string, trials: number, window: number, seed: number): Promise<StudyTiming> {
  const store = new SqliteStore(join(dir, 'hwnas.sqlite'));
  try {
    const e = getEvaluation('zdt1');
    const space = e.defaultSpace?.({});
    if (space === undefined) throw new Error('zdt1 has no default space');
    const finishedAt: number[] = [];
    const w = Math.min(window, trials);
    const cpuMs = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const cpu = new Map<number, number>([[0, cpuMs()]]);
    const t0 = performance.now();
    const r = await runStudy({
      store,
      studyName: 'zdt1-nsga2',
      space,
      objectives: e.objectives({}),
      strategy: new Nsga2({ populationSize: 50 }),
      evaluate: evaluatorFor({ name: 'zdt1' }),
      nTrials: trials,
      seed,
      // As the CLI does (a progress bar): the loop then also refreshes its view after every trial.
      onProgress: (p) => {
        finishedAt[p.done - 1] = (performance.now() - t0) / 1000;
        if (p.done % w === 0 || p.done === trials - w) cpu.set(p.done, cpuMs());
      },
    });
    if (r.trials.length !== trials || !r.trials.every((t) => t.state === 'complete')) throw new Error(`hwnas study ended with ${r.trials.length} trials`);
    const at = (k: number): number => cpu.get(k) as number;
    const cpuMsPerTrial = { first: (at(w) - at(0)) / w, last: (at(trials) - at(trials - w)) / w };
    return {
      ...timing(
        finishedAt,
        window,
        r.best.map((t) => t.values as number[]),
      ),
      cpuMsPerTrial,
    };
  } finally {
    store.close();
  }
}

const OPTUNA_SCRIPT = `
import json, sys, time, math
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def zdt1(trial):
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(30)]
    g = 1 + 9 * sum(x[1:]) / 29
    return x[0], g * (1 - math.sqrt(x[0] / g))
sampler = optuna.samplers.NSGAIISampler(population_size=50, seed=seed)
study = optuna.create_study(study_name="zdt1-nsga2", storage=f"sqlite:///{path}", sampler=sampler, directions=["minimize", "minimize"])
times = []
t0 = time.perf_counter()
study.optimize(zdt1, n_trials=n, callbacks=[lambda s, t: times.append(time.perf_counter() - t0)])
print(json.dumps({"version": optuna.__version__, "times": times, "front": [t.values for t in study.best_trials]}))
`;

/** The first of `python3`, `/usr/bin/python3` that imports optuna, or undefined. */
function pythonWithOptuna(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import optuna'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** The same study with Optuna's NSGA-II sampler and SQLite storage in `dir`. */
export function optunaStudy(dir: string, trials: number, window: number, seed: number): StudyScaleResult['optuna'] {
  const py = pythonWithOptuna();
  if (py === undefined) return { skipped: 'no python3 with optuna found (apt-get install python3-optuna)' };
  const script = join(dir, 'optuna_zdt1.py');
  writeFileSync(script, OPTUNA_SCRIPT);
  const r = spawnSync(py, [script, join(dir, 'optuna.sqlite'), String(trials), String(seed)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`optuna run failed (${py}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout) as { version: string; times: number[]; front: number[][] };
  return { ...timing(out.times, window, out.front), version: out.version, python: py };
}

/** Wall-clock seconds of `hwnas nas --space nb201 --strategy nsga2 --table bench/nb201-fmnist.csv --budget <b>`. */
export function nasRuns(budgets: readonly number[]): StudyScaleResult['nas'] {
  return budgets.map((budget) => {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'bin', 'hwnas.js'),
        'nas',
        '--space',
        'nb201',
        '--strategy',
        'nsga2',
        '--table',
        join(repo, 'bench', 'nb201-fmnist.csv'),
        '--budget',
        String(budget),
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`hwnas nas --budget ${budget} failed: ${r.stderr.slice(-2000)}`);
    return { budget, seconds, msPerQuery: (seconds * 1000) / budget };
  });
}

/** Runs the whole comparison (see the module doc). */
export async function benchStudyScale(o: StudyScaleOptions = {}): Promise<StudyScaleResult> {
  const trials = o.trials ?? 10_000;
  const window = o.window ?? 1000;
  const seed = o.seed ?? 1;
  const dir = mkdtempSync(join(o.dir ?? tmpdir(), 'hwnas-study-scale-'));
  try {
    const load1AtStart = loadavg()[0] as number;
    const fsyncMsPerCommit = fsyncCost(dir);
    console.error(`study-scale: ${fsyncMsPerCommit.toFixed(2)} ms per durable commit; hwnas ${trials} trials ...`);
    const hwnas = await hwnasStudy(dir, trials, window, seed);
    console.error(
      `study-scale: hwnas ${hwnas.totalSeconds.toFixed(1)} s (${hwnas.firstRate.toFixed(0)} -> ${hwnas.lastRate.toFixed(0)} trials/s; CPU ${hwnas.cpuMsPerTrial?.first.toFixed(2)} -> ${hwnas.cpuMsPerTrial?.last.toFixed(2)} ms/trial)`,
    );
    const optunaTrials = o.optunaTrials ?? 3000;
    const optuna = optunaTrials > 0 ? optunaStudy(dir, optunaTrials, window, seed) : { skipped: 'not asked for (--optuna-trials 0)' };
    if ('skipped' in optuna) console.error(`study-scale: optuna skipped: ${optuna.skipped}`);
    else console.error(`study-scale: optuna ${optuna.totalSeconds.toFixed(1)} s (${optuna.firstRate.toFixed(0)} -> ${optuna.lastRate.toFixed(0)} trials/s)`);
    const nas = nasRuns(o.nasBudgets ?? [500, 2000, 5000]);
    return { load1AtStart, dir: o.dir ?? tmpdir(), fsyncMsPerCommit, hwnas, optuna, nas };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const num = (name: string): number | undefined => {
    const v = flag(args, name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} ${JSON.stringify(v)}: expected an integer >= 0`);
    return n;
  };
  const skip = (flag(args, '--skip') ?? '').split(',');
  const budgets = flag(args, '--nas-budgets');
  const trials = num('--trials');
  const window = num('--window');
  const optunaTrials = skip.includes('optuna') ? 0 : num('--optuna-trials');
  const nasBudgets = skip.includes('nas') ? [] : budgets?.split(',').map(Number);
  const dir = flag(args, '--dir');
  benchStudyScale({
    ...(dir !== undefined ? { dir } : {}),
    ...(trials !== undefined ? { trials } : {}),
    ...(window !== undefined ? { window } : {}),
    ...(optunaTrials !== undefined ? { optunaTrials } : {}),
    ...(nasBudgets !== undefined ? { nasBudgets } : {}),
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
