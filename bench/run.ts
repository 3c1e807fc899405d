/**
 * Benchmark runner: `npm run bench [-- name ...]`. Runs the selected benchmark modules of bench/ one after
 * another in this process and writes their results, with date and machine, to bench/results/<date>.json.
 * Figures are recorded by hand in BENCHMARKS.md with the command that reproduced them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES: ReadonlyArray<readonly [string, string]> = [
  ['engine-kernels', 'benchKernels'],
  ['train', 'benchTrain'],
  ['hardware', 'benchHardware'],
  ['quant', 'benchQuant'],
  ['nas-table', 'benchNasTable'],
  ['hant', 'benchHant'],
  ['study-scale', 'benchStudyScale'],
];

async function main(): Promise<void> {
  const want = process.argv.slice(2);
  const here = dirname(fileURLToPath(import.meta.url));
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAvgAtStart: loadavg(),
  };
  const results: Record<string, unknown> = {};
  for (const [file, fn] of BENCHES) {
    if (want.length && !want.includes(file)) continue;
    const path = join(here, `${file}.js`);
    if (!existsSync(path)) {
      console.error(`bench: ${file} not built, skipped`);
      continue;
    }
    console.error(`bench: ${file} ...`);
    const mod = (await import(path)) as Record<string, unknown>;
    const f = mod[fn];
    if (typeof f !== 'function') {
      console.error(`bench: ${file} exports no ${fn}(), skipped`);
      continue;
    }
    const t0 = Date.now();
    results[file] = await (f as () => Promise<unknown>)();
    console.error(`bench: ${file} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(JSON.stringify({ [file]: results[file] }, null, 2));
  }
  const date = new Date().toISOString();
  const outDir = join(here, '..', '..', 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ date, machine, results }, null, 2));
  console.error(`bench: results written to ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
