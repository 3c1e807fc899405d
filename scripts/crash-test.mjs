#!/usr/bin/env node
/**
 * Crash test of the study loop (issue 13): runs studies through the real CLI and SIGKILLs the
 * `hwnas study run` process at random moments, again and again, until a run finishes; then checks the
 * SQLite store: completed trials == nTrials, trial numbers without gaps, no trial left running, no point
 * completed twice (each completed trial's retry chain starts at a distinct trial, and no two completed
 * trials share parameters), and every stored value is the one its own parameters give (ZDT1 recomputed).
 * Two modes: `threads` (`--threads 2`, trials in worker threads of the killed process) and `redis`
 * (`--redis`, trials on two `hwnas worker` processes that live on while the study process is killed).
 *
 *   npx tsc -p tsconfig.json first (the script runs dist/ and bin/hwnas.js), then
 *   node scripts/crash-test.mjs [--mode threads|redis|both] [--runs 3] [--trials 60] [--max-kills 8] [--max-retries 9] [--seed 1] [--json]
 *
 * The study's maxRetries defaults to max-kills + 1: a trial killed more often than its study's maxRetries
 * is failed for good and counts against the budget (the retry rule), which would break completed == nTrials.
 *
 * Progress on stderr; `--json` prints the summary on stdout. Exit 1 when any check fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'hwnas.js');
const { SqliteStore } = await import(join(root, 'dist/src/store/sqlite-store.js'));
const { startRedis, redisSkipReason } = await import(join(root, 'dist/src/workers/testing/redis-server.js'));

function flag(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const mode = flag('mode', 'both');
const runs = Number(flag('runs', '3'));
const nTrials = Number(flag('trials', '60'));
const maxKills = Number(flag('max-kills', '8'));
const seed = Number(flag('seed', '1'));
// A trial killed more than maxRetries times counts as failed by design (the study's retry rule), so the
// completed == nTrials check needs retries for every kill: the default is max-kills + 1.
const maxRetries = Number(flag('max-retries', String(maxKills + 1)));
const json = process.argv.includes('--json');
if (!['threads', 'redis', 'both'].includes(mode)) throw new Error(`--mode '${mode}': expected threads, redis or both`);
for (const [k, v] of Object.entries({ runs, trials: nTrials, 'max-kills': maxKills, 'max-retries': maxRetries, seed }))
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} ${v}: expected an integer >= 0`);

/** mulberry32: the kill moments of a seed. */
function rng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hwnas(cwd, args) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((r) => child.on('close', (code, signal) => r({ code, signal, out, err })));
  return { child, done };
}

/** ZDT1 of a point, as the built-in evaluation computes it. */
function zdt1(p) {
  const x = Object.keys(p)
    .filter((k) => /^x\d+$/.test(k))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((k) => p[k]);
  let s = 0;
  for (let i = 1; i < x.length; i++) s += x[i];
  const g = 1 + (9 * s) / (x.length - 1);
  return [x[0], g * (1 - Math.sqrt(x[0] / g))];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Trials of the study in the store now (read-only; 0 while the file is busy). */
function trialCount(storePath, name) {
  try {
    const store = new SqliteStore(storePath, { readonly: true, busyTimeoutMs: 100 });
    try {
      return store.getTrials(name).length;
    } finally {
      store.close();
    }
  } catch {
    return 0;
  }
}

function check(storePath, name) {
  const store = new SqliteStore(storePath, { readonly: true });
  try {
    const trials = store.getTrials(name);
    const problems = [];
    trials.forEach((t, i) => {
      if (t.number !== i) problems.push(`gap: trial at index ${i} is number ${t.number}`);
    });
    const running = trials.filter((t) => t.state === 'running');
    if (running.length > 0) problems.push(`${running.length} trials left running`);
    const complete = trials.filter((t) => t.state === 'complete');
    if (complete.length !== nTrials) problems.push(`${complete.length} complete trials, expected ${nTrials}`);
    const byNumber = new Map(trials.map((t) => [t.number, t]));
    const rootOf = (t) => {
      let r = t;
      for (let k = 0; typeof r.userAttrs['hwnas:retry_of'] === 'number' && k < trials.length; k++) r = byNumber.get(r.userAttrs['hwnas:retry_of']);
      return r.number;
    };
    const roots = new Set();
    const points = new Set();
    for (const t of complete) {
      const r = rootOf(t);
      if (roots.has(r)) problems.push(`trial ${r} completed twice (again as trial ${t.number})`);
      roots.add(r);
      const key = JSON.stringify(t.params);
      if (points.has(key)) problems.push(`point of trial ${t.number} completed twice`);
      points.add(key);
      const want = zdt1(t.params);
      if (t.values?.[0] !== want[0] || t.values?.[1] !== want[1])
        problems.push(`trial ${t.number}: values ${JSON.stringify(t.values)}, its params give ${JSON.stringify(want)}`);
    }
    const failed = trials.filter((t) => t.state === 'failed').length;
    const adopted = trials.filter((t) => t.userAttrs['hwnas:adopted_job'] !== undefined).length;
    return { trials: trials.length, complete: complete.length, failed, adopted, problems };
  } finally {
    store.close();
  }
}

async function oneRun(kind, run, redisUrl) {
  const work = mkdtempSync(join(tmpdir(), `hwnas-crash-${kind}-`));
  const name = `crash-${kind}-${run}`;
  const rand = rng(seed * 1000 + run * 7 + (kind === 'redis' ? 500 : 0));
  const workers = [];
  try {
    writeFileSync(
      join(work, 'study.json'),
      JSON.stringify({
        name,
        evaluator: { name: 'zdt1', options: { n: 4, delayMs: 40 } },
        strategy: 'random',
        nTrials,
        seed: seed + run,
        concurrency: 4,
        maxRetries,
      }),
    );
    const c = await hwnas(work, ['study', 'create', '--config', 'study.json', '--store', 's.sqlite']).done;
    if (c.code !== 0) throw new Error(`study create: ${c.err}`);
    const queue = `crash-${process.pid}-${run}`;
    const runArgs = [
      'study',
      'run',
      name,
      '--store',
      's.sqlite',
      '--json',
      ...(kind === 'redis' ? ['--redis', redisUrl, '--queue', queue] : ['--threads', '2']),
    ];
    if (kind === 'redis')
      for (let w = 0; w < 2; w++) workers.push(hwnas(work, ['worker', '--redis', redisUrl, '--queue', queue, '--concurrency', '2', '--quiet']));
    let kills = 0;
    let starts = 0;
    for (;;) {
      starts++;
      const p = hwnas(work, runArgs);
      // A random moment mid-run: once this start has created 1-6 trials, 0-150 ms later.
      const before = trialCount(join(work, 's.sqlite'), name);
      const afterTrials = 1 + Math.floor(rand() * 6);
      const extraMs = rand() * 150;
      let finished = false;
      p.done.then(() => (finished = true));
      if (kills < maxKills) {
        while (!finished && trialCount(join(work, 's.sqlite'), name) < before + afterTrials) await sleep(20);
        if (!finished) await sleep(extraMs);
        if (!finished) p.child.kill('SIGKILL');
      }
      const end = await p.done;
      if (end.signal === 'SIGKILL') {
        kills++;
        continue;
      }
      if (end.code !== 0) throw new Error(`study run exited ${end.code}: ${end.err.slice(-500)}`);
      break;
    }
    const r = check(join(work, 's.sqlite'), name);
    process.stderr.write(
      `${kind} run ${run}: ${kills} kills, ${starts} starts, ${r.trials} trials (${r.complete} complete, ${r.failed} failed by kills${kind === 'redis' ? `, ${r.adopted} took over an orphaned job` : ''}): ${r.problems.length === 0 ? 'ok' : r.problems.join('; ')}\n`,
    );
    return { kind, run, kills, starts, ...r };
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    rmSync(work, { recursive: true, force: true });
  }
}

const results = [];
const kinds = mode === 'both' ? ['threads', 'redis'] : [mode];
let redis;
try {
  for (const kind of kinds) {
    if (kind === 'redis') {
      const skip = redisSkipReason();
      if (skip) {
        process.stderr.write(`${skip}\n`);
        continue;
      }
      redis = await startRedis();
    }
    for (let run = 0; run < runs; run++) results.push(await oneRun(kind, run, redis?.url));
  }
} finally {
  await redis?.stop();
}
const summary = {
  date: new Date().toISOString(),
  nTrials,
  maxKills,
  maxRetries,
  seed,
  runs: results.length,
  kills: results.reduce((a, r) => a + r.kills, 0),
  failedRuns: results.filter((r) => r.problems.length > 0).length,
  results,
};
if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
process.stderr.write(`${summary.runs} runs, ${summary.kills} kills, ${summary.failedRuns} runs with a problem\n`);
process.exit(summary.failedRuns > 0 ? 1 : 0);
