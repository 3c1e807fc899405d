/**
 * Quantization-aware block-wise NAS (S8, QA-BWNAS) figure: per seed, `hwnas nas --space mbv2-micro+bits
 * --strategy blockwise` on Fashion-MNIST and bitfusion-edge. Trial 0 of each study is the teacher's network at
 * INT8 (w8a8 everywhere, its stages distilled and fine-tuned as every other trial); among the other trials (few-bit
 * mixed precision per stage and other stage configurations) the bench takes those at least as accurate as that
 * INT8 model and reports the smallest (packed bytes) and the fastest, as reductions against it, and the
 * leave-one-out check of the accuracy predictor fitted from stage distillation losses (per-stage weights vs the
 * plain sum). Accuracy on the validation split (the search's own score, quantized).
 *
 * Held out: the INT8 reference and the picks are scored again exactly as their trials were (same stored evaluator
 * options, artifact and trial seed) and, with the same fine-tuned weights, also on the full test split of the data
 * set (10,000 images, never seen by the search): `heldOut` per seed (`--no-held-out` skips it). The re-scored
 * validation accuracy is reported beside the stored one, so a re-run that did not reproduce the trial shows.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-blockwise-qa.js [--seeds 1,2,3] [--limit 3000] [--budget 16]
 * [--candidates 6] [--distill-steps 150] [--qa-steps 40] [--fit-trials 8] [--teacher-epochs 3] [--dir d] [--out f.json]
 * [--no-held-out]`; with `--dir` the study stores are kept there, so the same command run again continues (resumes) each
 * seed's study (a finished one is only read, and its record keeps the earlier `seconds`: see {@link seedSeconds}) and
 * reuses `heldout-<n>.json`;
 * progress on stderr, JSON on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import { getTarget } from '../src/hardware/registry.js';
import { blockwiseEvaluator, loadBlockwiseArtifact } from '../src/nas/blockwise-study.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { nasDatasetOptions } from '../src/nas/run.js';
import { getArchSpace } from '../src/search/spaces/registry.js';
import { spaceInputShape } from '../src/search/spaces/types.js';
import { trialSeed } from '../src/search/types.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const TEACHER = 'r20-w1:k3e3r|k3e3r,k3e3r|k3e3r,k3e3r|k3e3r,k3e3r';

/** Options of {@link benchBlockwiseQa}. */
export interface BlockwiseQaOptions {
  readonly seeds?: readonly number[];
  readonly limit?: number;
  readonly budget?: number;
  readonly candidates?: number;
  readonly distillSteps?: number;
  readonly qaSteps?: number;
  readonly fitTrials?: number;
  readonly teacherEpochs?: number;
  readonly teacher?: string;
  /** keep the study stores here (the same command run again continues them) and write `seed-<n>.json` as each seed ends */
  readonly dir?: string;
  /** Score the INT8 reference and the picks on the test split too (default true; see the module doc). */
  readonly heldOut?: boolean;
}

interface Trial {
  readonly arch: string;
  readonly values: Record<string, number>;
}

const pct = (x: number): number => Math.round(x * 1000) / 10;

/** One re-scored trial: stored and re-scored validation accuracy, test accuracy (%), on `testImages` test images. */
export interface HeldOutScore {
  readonly trial: number;
  readonly arch: string;
  readonly valStored: number;
  readonly valRescored: number;
  readonly test: number;
}

/**
 * Re-scores the trials of architectures `archs` (as the study stored them) of the only study in `storePath` as the
 * study's evaluator did (its stored options, artifact and the trial's seed) and also on the data set's whole test
 * split, which the search never saw.
 */
export async function heldOutScores(storePath: string, archs: readonly string[]): Promise<{ study: string; testImages: number; scores: HeldOutScore[] }> {
  const store = new SqliteStore(storePath, { readonly: true });
  try {
    const studies = store.listStudies();
    if (studies.length !== 1) throw new Error(`${storePath}: expected one study, found ${studies.length}`);
    const study = studies[0] as (typeof studies)[number];
    const config = study.userAttrs.config as {
      seed: number;
      evaluator: { name: string; options: { space: string; dataset: string; target?: string; limit?: number; artifact: string; finetuneEpochs?: number } };
    };
    if (config.evaluator.name !== 'nas-blockwise') throw new Error(`${study.name}: evaluator '${config.evaluator.name}', expected nas-blockwise`);
    const eo = config.evaluator.options;
    const space = getArchSpace(eo.space);
    const d = nasDatasetOptions(eo.dataset, eo.limit, spaceInputShape(space));
    const own = d.spec.options.limit;
    // the same train and validation images as the search; the test split whole (limits cut each split independently)
    if (typeof own !== 'object') throw new Error(`${study.name}: expected per-split limits, got ${JSON.stringify(own)}`);
    const { test: _all, ...limit } = own;
    const dataset = await loadDataset({ ...d.spec, options: { ...d.spec.options, limit } }, d.options);
    const evaluate = blockwiseEvaluator({
      space,
      dataset,
      target: getTarget(eo.target ?? 'bitfusion-edge'),
      objectives: parseObjectives('accuracy:max'),
      artifact: loadBlockwiseArtifact(eo.artifact),
      ...(eo.finetuneEpochs !== undefined ? { finetuneEpochs: eo.finetuneEpochs } : {}),
      heldOut: dataset.test,
    });
    const trials = store.getTrials(study.name);
    const scores: HeldOutScore[] = [];
    for (const arch of archs) {
      const t = trials.find((x) => x.state === 'complete' && x.userAttrs.arch === arch);
      if (!t) throw new Error(`${study.name}: no complete trial of ${arch}`);
      const n = t.number;
      process.stderr.write(`[bwqa] held out: ${study.name} trial ${n}\n`);
      const r = await evaluate(t.params, {
        studyName: study.name,
        trialNumber: n,
        seed: trialSeed(config.seed ^ 0x5bd1e995, n),
        signal: new AbortController().signal,
        setUserAttr: () => {},
      });
      const objectives = study.objectives.map((o) => o.name);
      scores.push({
        trial: n,
        arch,
        valStored: pct(t.values?.[objectives.indexOf('accuracy')] as number),
        valRescored: pct(r.values?.[0] as number),
        test: pct(r.userAttrs?.heldOutAccuracy as number),
      });
    }
    return { study: study.name, testImages: dataset.test.n, scores };
  } finally {
    store.close();
  }
}

/** Finished trials of the only study in `storePath` (0 when the file or the study does not exist yet). */
export function storedTrials(storePath: string): number {
  if (!existsSync(storePath)) return 0;
  // read-write: a store whose study was never created may have no schema yet (hwnas nas would create it anyway)
  const store = new SqliteStore(storePath);
  try {
    const studies = store.listStudies();
    if (studies.length > 1) throw new Error(`${storePath}: expected one study, found ${studies.length}`);
    const study = studies[0];
    return study ? store.getTrials(study.name).filter((t) => t.state === 'complete').length : 0;
  } finally {
    store.close();
  }
}

/** How a seed's study was obtained by one run of the bench. */
export type SeedRun = 'new' | 'resumed' | 'read back';

/**
 * The `seconds` a seed's record keeps. A study that this run only read back (as many finished trials before as
 * after) keeps the `seconds` of the earlier record (`null` when there is none: the time is not known), so running the
 * command again does not replace the search time with the time it took to read the store. A new study: this run's
 * time; a resumed one: this run's time only (the interrupted part is not known), marked `resumed`.
 */
export function seedSeconds(
  elapsed: number,
  before: number,
  after: number,
  prev: { readonly seconds?: unknown } | null,
): { seconds: number | null; run: SeedRun } {
  if (before === 0) return { seconds: elapsed, run: 'new' };
  if (before < after) return { seconds: elapsed, run: 'resumed' };
  return { seconds: typeof prev?.seconds === 'number' ? prev.seconds : null, run: 'read back' };
}

/** Runs the studies and computes the figure (see the module doc). */
export async function benchBlockwiseQa(o: BlockwiseQaOptions = {}): Promise<Record<string, unknown>> {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/hwnas.js');
  const seeds = o.seeds ?? [1, 2, 3];
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hwnas-bwqa-'));
  mkdirSync(dir, { recursive: true });
  const perSeed: Record<string, unknown>[] = [];
  try {
    for (const seed of seeds) {
      const t0 = performance.now();
      const storePath = join(dir, `s${seed}.sqlite`);
      const args = [
        bin,
        'nas',
        '--space',
        'mbv2-micro+bits',
        '--dataset',
        'fashion-mnist',
        '--limit',
        String(o.limit ?? 3000),
        '--strategy',
        'blockwise',
        '--budget',
        String(o.budget ?? 16),
        '--teacher',
        o.teacher ?? TEACHER,
        '--teacher-epochs',
        String(o.teacherEpochs ?? 3),
        '--candidates',
        String(o.candidates ?? 6),
        '--distill-steps',
        String(o.distillSteps ?? 150),
        '--qa-steps',
        String(o.qaSteps ?? 40),
        '--fit-trials',
        String(o.fitTrials ?? 8),
        '--finetune-epochs',
        '1',
        '--objectives',
        'accuracy:max,latency_ms:min,size_kb:min',
        '--seed',
        String(seed),
        '--store',
        storePath,
        '--json',
      ];
      const before = storedTrials(storePath);
      const recordPath = join(dir, `seed-${seed}.json`);
      const prev = o.dir !== undefined && existsSync(recordPath) ? (JSON.parse(readFileSync(recordPath, 'utf8')) as { seconds?: unknown }) : null;
      process.stderr.write(`[bwqa] seed ${seed}: node ${args.join(' ')}\n`);
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`seed ${seed}: hwnas nas exited ${r.status}`);
      const out = JSON.parse(r.stdout) as { trials: Trial[]; predictor?: Record<string, unknown>; teacher?: Record<string, unknown> };
      const ref = out.trials[0] as Trial;
      if (!/^[^@]+@(w8a8,)*w8a8$/.test(ref.arch)) throw new Error(`seed ${seed}: trial 0 is not the INT8 reference: ${ref.arch}`);
      const acc0 = ref.values.accuracy as number;
      const others = out.trials.slice(1);
      const asGood = others.filter((t) => (t.values.accuracy as number) >= acc0);
      const pick = (key: string): Trial | undefined =>
        asGood.reduce<Trial | undefined>((a, t) => (!a || (t.values[key] as number) < (a.values[key] as number) ? t : a), undefined);
      const smallest = pick('size_kb');
      const fastest = pick('latency_ms');
      const red = (t: Trial | undefined, key: string): number | null =>
        t ? Math.round((1 - (t.values[key] as number) / (ref.values[key] as number)) * 1000) / 10 : null;
      const timing = seedSeconds(Math.round((performance.now() - t0) / 1000), before, out.trials.length, prev);
      const row = {
        seed,
        seconds: timing.seconds,
        run: timing.run,
        teacher: out.teacher,
        int8: { arch: ref.arch, accuracy: pct(acc0), sizeKb: ref.values.size_kb, latencyMs: ref.values.latency_ms },
        asAccurate: asGood.length,
        trials: out.trials.length,
        smallest: smallest
          ? {
              arch: smallest.arch,
              accuracy: pct(smallest.values.accuracy as number),
              sizeKb: smallest.values.size_kb,
              sizeReductionPct: red(smallest, 'size_kb'),
              latencyReductionPct: red(smallest, 'latency_ms'),
            }
          : null,
        fastest: fastest
          ? {
              arch: fastest.arch,
              accuracy: pct(fastest.values.accuracy as number),
              latencyMs: fastest.values.latency_ms,
              latencyReductionPct: red(fastest, 'latency_ms'),
              sizeReductionPct: red(fastest, 'size_kb'),
            }
          : null,
        predictor: out.predictor ?? null,
        allTrials: out.trials.map((t) => ({
          arch: t.arch,
          accuracy: pct(t.values.accuracy as number),
          sizeKb: t.values.size_kb,
          latencyMs: t.values.latency_ms,
        })),
        loadAverage: loadavg()[0],
        heldOut: null as Awaited<ReturnType<typeof heldOutScores>> | null,
      };
      process.stderr.write(
        `[bwqa] seed ${seed}: INT8 ${row.int8.accuracy}%; smallest as accurate ${JSON.stringify(row.smallest)}; fastest ${JSON.stringify(row.fastest)}\n`,
      );
      if (o.heldOut !== false) {
        const archs = [...new Set([ref.arch, ...(smallest ? [smallest.arch] : []), ...(fastest ? [fastest.arch] : [])])];
        const cache = join(dir, `heldout-${seed}.json`);
        const cached = o.dir !== undefined && existsSync(cache) ? (JSON.parse(readFileSync(cache, 'utf8')) as Awaited<ReturnType<typeof heldOutScores>>) : null;
        row.heldOut = cached && archs.every((x) => cached.scores.some((c) => c.arch === x)) ? cached : await heldOutScores(join(dir, `s${seed}.sqlite`), archs);
        if (o.dir !== undefined) writeFileSync(cache, `${JSON.stringify(row.heldOut, null, 2)}\n`);
        process.stderr.write(`[bwqa] seed ${seed}: held out ${JSON.stringify(row.heldOut.scores)}\n`);
      }
      perSeed.push(row);
      if (o.dir !== undefined) writeFileSync(recordPath, `${JSON.stringify(row, null, 2)}\n`);
    }
  } finally {
    if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const vals = (k: 'smallest' | 'fastest', f: string): number[] =>
    perSeed.map((r) => (r[k] as Record<string, number> | null)?.[f]).filter((v): v is number => typeof v === 'number');
  const summary = (xs: number[]): { mean: number; worst: number; n: number } | null =>
    xs.length ? { mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10, worst: Math.min(...xs), n: xs.length } : null;
  // held out: the pick's test accuracy minus the INT8 model's, in pp (the search picked on validation only)
  const testMargin = (k: 'smallest' | 'fastest'): number[] =>
    perSeed.flatMap((r) => {
      const h = r.heldOut as Awaited<ReturnType<typeof heldOutScores>> | null;
      const p = r[k] as { arch: string } | null;
      const int8 = h?.scores.find((x) => x.arch === (r.int8 as { arch: string }).arch);
      const mine = p ? h?.scores.find((x) => x.arch === p.arch) : undefined;
      return int8 && mine ? [Math.round((mine.test - int8.test) * 10) / 10] : [];
    });
  return {
    command: 'hwnas nas --space mbv2-micro+bits --strategy blockwise (see perSeed[].teacher and the module doc)',
    settings: { ...o, teacher: o.teacher ?? TEACHER },
    sizeReductionPct: summary(vals('smallest', 'sizeReductionPct')),
    latencyReductionPct: summary(vals('fastest', 'latencyReductionPct')),
    testMarginPp: { smallest: summary(testMargin('smallest')), fastest: summary(testMargin('fastest')) },
    perSeed,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = process.argv.slice(2);
  const arg = (k: string): string | undefined => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const num = (k: string): number | undefined => (arg(k) !== undefined ? Number(arg(k)) : undefined);
  const o: BlockwiseQaOptions = {
    ...(arg('--seeds') ? { seeds: (arg('--seeds') as string).split(',').map(Number) } : {}),
    ...(num('--limit') !== undefined ? { limit: num('--limit') as number } : {}),
    ...(num('--budget') !== undefined ? { budget: num('--budget') as number } : {}),
    ...(num('--candidates') !== undefined ? { candidates: num('--candidates') as number } : {}),
    ...(num('--distill-steps') !== undefined ? { distillSteps: num('--distill-steps') as number } : {}),
    ...(num('--qa-steps') !== undefined ? { qaSteps: num('--qa-steps') as number } : {}),
    ...(num('--fit-trials') !== undefined ? { fitTrials: num('--fit-trials') as number } : {}),
    ...(num('--teacher-epochs') !== undefined ? { teacherEpochs: num('--teacher-epochs') as number } : {}),
    ...(arg('--teacher') ? { teacher: arg('--teacher') as string } : {}),
    ...(arg('--dir') ? { dir: resolve(arg('--dir') as string) } : {}),
    ...(a.includes('--no-held-out') ? { heldOut: false } : {}),
  };
  const r = await benchBlockwiseQa(o);
  const s = `${JSON.stringify(r, null, 2)}\n`;
  if (arg('--out')) writeFileSync(arg('--out') as string, s);
  process.stdout.write(s);
}
