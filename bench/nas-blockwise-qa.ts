/**
 * Quantization-aware block-wise NAS (S8, QA-BWNAS) figure: per seed, `hwnas nas --space mbv2-micro+bits
 * --strategy blockwise` on Fashion-MNIST and bitfusion-edge. Trial 0 of each study is the teacher's network at
 * INT8 (w8a8 everywhere, its stages distilled and fine-tuned as every other trial); among the other trials (few-bit
 * mixed precision per stage and other stage configurations) the bench takes those at least as accurate as that
 * INT8 model and reports the smallest (packed bytes) and the fastest, as reductions against it, and the
 * leave-one-out check of the accuracy predictor fitted from stage distillation losses (per-stage weights vs the
 * plain sum). Accuracy on the validation split (the search's own score, quantized).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/nas-blockwise-qa.js [--seeds 1,2,3] [--limit 3000] [--budget 16]
 * [--candidates 6] [--distill-steps 150] [--qa-steps 40] [--fit-trials 8] [--teacher-epochs 3] [--dir d] [--out f.json]`;
 * with `--dir` the study stores are kept there, so the same command run again continues (resumes) each seed's study;
 * progress on stderr, JSON on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
}

interface Trial {
  readonly arch: string;
  readonly values: Record<string, number>;
}

const pct = (x: number): number => Math.round(x * 1000) / 10;

/** Runs the studies and computes the figure (see the module doc). */
export function benchBlockwiseQa(o: BlockwiseQaOptions = {}): Record<string, unknown> {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/hwnas.js');
  const seeds = o.seeds ?? [1, 2, 3];
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hwnas-bwqa-'));
  mkdirSync(dir, { recursive: true });
  const perSeed: Record<string, unknown>[] = [];
  try {
    for (const seed of seeds) {
      const t0 = performance.now();
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
        join(dir, `s${seed}.sqlite`),
        '--json',
      ];
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
      const row = {
        seed,
        seconds: Math.round((performance.now() - t0) / 1000),
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
      };
      process.stderr.write(
        `[bwqa] seed ${seed}: INT8 ${row.int8.accuracy}%; smallest as accurate ${JSON.stringify(row.smallest)}; fastest ${JSON.stringify(row.fastest)}\n`,
      );
      perSeed.push(row);
      if (o.dir !== undefined) writeFileSync(join(dir, `seed-${seed}.json`), `${JSON.stringify(row, null, 2)}\n`);
    }
  } finally {
    if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const vals = (k: 'smallest' | 'fastest', f: string): number[] =>
    perSeed.map((r) => (r[k] as Record<string, number> | null)?.[f]).filter((v): v is number => typeof v === 'number');
  const summary = (xs: number[]): { mean: number; worst: number; n: number } | null =>
    xs.length ? { mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10, worst: Math.min(...xs), n: xs.length } : null;
  return {
    command: 'hwnas nas --space mbv2-micro+bits --strategy blockwise (see perSeed[].teacher and the module doc)',
    settings: { ...o, teacher: o.teacher ?? TEACHER },
    sizeReductionPct: summary(vals('smallest', 'sizeReductionPct')),
    latencyReductionPct: summary(vals('fastest', 'latencyReductionPct')),
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
  };
  const r = benchBlockwiseQa(o);
  const s = `${JSON.stringify(r, null, 2)}\n`;
  if (arg('--out')) writeFileSync(arg('--out') as string, s);
  process.stdout.write(s);
}
