/**
 * NAS-Bench-Macro (Su et al., CVPR 2021, github.com/xiusu/NAS-Bench-Macro): the table for bench/compare-optuna.ts
 * (issue 18, session 33: a search space other than NB201's cell, unseen): its CSV builder and loader. The space itself
 * (choices, codec, classes, IR graph) is src/search/spaces/macro.ts since session 34, re-exported here.
 *
 * The space: a CIFAR-10 network of a 3x3 stem conv (32 channels, BN, ReLU), 8 searched layers in three stages of 2, 3
 * and 3 layers (the first layer of a stage has stride 2 and doubles the channels: 64, 128, 256), a 1x1 head conv to
 * 1280 channels (BN, ReLU), global average pooling and a 10-way classifier. Each layer is one of
 * - `0` identity (at a stage's first layer a 1x1 stride-2 conv + BN, since the shape changes),
 * - `1` a MobileNetV2 inverted-residual block with kernel 3 and expansion 3,
 * - `2` the same with kernel 5 and expansion 6;
 * so 3^8 = 6,561 architecture strings such as `02012100` (layer 1 first).
 *
 * Equivalent architectures: an identity at a stage's non-first layer computes nothing, so architectures that differ
 * only in where a stage's identities sit compute the same network (3,969 distinct networks). The benchmark trained one
 * network per class and copied its figures to every member (its `get_real_arch`: the stage's identities moved to its
 * end); {@link macroRealArch} is that class, used as the space's `isomorphismKey`, and the graphs of a class are equal,
 * so hwnas's repeat filter never asks for a second member of a class.
 *
 * The table (bench/data/nas-bench-macro-c10.csv) keeps the benchmark's published columns (three CIFAR-10 test
 * accuracies, their mean, parameters, FLOPs) and adds hardware columns computed by hwnas's own cost models from each
 * architecture's IR graph (this file's {@link macroSpace} graph) on three target presets. Those columns are frozen in
 * the CSV at the commit that built it, so later changes to targets/*.json do not move the problems.
 *
 * Build: `node dist/bench/nas-macro.js build nas-bench-macro_cifar10.json > bench/data/nas-bench-macro-c10.csv`. Session 39
 * (table16) appended seven more hardware columns (bench/hw-columns.ts, {@link addMacroHwColumns}: jetson-nano, myriad-x,
 * a100, bitfusion-edge and bismo-cloud), with `node dist/bench/nas-macro.js add-columns <the earlier csv>`; `build`
 * appends them as well.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defaultPolicy } from '../src/hardware/precision.js';
import { getTarget } from '../src/hardware/registry.js';
import { graphTotals } from '../src/ir/workload.js';
import { NasTable } from '../src/nas/tabular.js';
import { enumerateMacro, MACRO_LAYERS, macroGraph, macroRealArch, macroSpace } from '../src/search/spaces/macro.js';
import type { ArchSpace } from '../src/search/spaces/types.js';
import { parseCommentedCsv } from './commented-csv.js';
import { appendHwColumns, HW_COLUMNS_S39, hwColumnsNote } from './hw-columns.js';

// The space itself lives in src/search/spaces/macro.ts (registered as 'nas-bench-macro', session 34); re-exported
// here so that the bench's imports keep working.
export { enumerateMacro, MACRO_CHOICES, MACRO_STAGES, macroGraph, macroRealArch, macroSpace } from '../src/search/spaces/macro.js';

/**
 * The hardware columns the builder adds: name, target spec (its default precision: fp32 where the target runs it,
 * else w8a8) and which figure (latency ms or energy mJ).
 */
export const MACRO_HW_COLUMNS = [
  { column: 'a76_fp32_ms', target: 'cortex-a76', figure: 'latency' },
  { column: 'edgetpu_int8_ms', target: 'edge-tpu', figure: 'latency' },
  { column: 'eyeriss_ms', target: 'systolic', figure: 'latency' },
  { column: 'eyeriss_mj', target: 'systolic', figure: 'energy' },
] as const;

/** The CSV text of the table from the benchmark's JSON (see the module doc); `source` describes the JSON's origin. */
export function buildMacroCsv(jsonText: string, source: string): string {
  const data = JSON.parse(jsonText) as Record<string, { test_acc: number[]; mean_acc: number; std: number; params: number; flops: number }>;
  const targets = new Map(MACRO_HW_COLUMNS.map((c) => [c.target, getTarget(c.target)]));
  const costs = new Map<string, Record<string, number> & { macs: number; irParams: number }>();
  const lines: string[] = [];
  for (const arch of enumerateMacro()) {
    const r = data[arch];
    if (!r) throw new Error(`benchmark JSON: no entry for architecture ${arch}`);
    const real = macroRealArch(arch);
    let c = costs.get(real);
    if (!c) {
      const g = macroGraph(real);
      const t = graphTotals(g);
      const fig: Record<string, number> = {};
      for (const col of MACRO_HW_COLUMNS) {
        const tg = targets.get(col.target) as ReturnType<typeof getTarget>;
        const nc = tg.networkCost(g, defaultPolicy(tg));
        fig[col.column] = col.figure === 'latency' ? nc.latencyMs : nc.energyMj;
      }
      c = { ...fig, macs: t.macs, irParams: t.params };
      costs.set(real, c);
    }
    const accs = r.test_acc.map((v) => v.toFixed(2));
    lines.push(
      [arch, real, ...accs, r.mean_acc.toFixed(4), r.params, r.flops, c.macs, ...MACRO_HW_COLUMNS.map((col) => (c[col.column] as number).toFixed(5))].join(','),
    );
  }
  const header = [
    `# NAS-Bench-Macro (Su et al., "Prioritized Architecture Sampling with Monte-Carlo Tree Search", CVPR 2021): all 6,561 architectures of its 8-layer macro space with their CIFAR-10 test accuracies, and hardware costs of each architecture computed by hwnas's cost models from its IR graph (issue 18, session 33: a search space no hwnas search was run or tuned on before the pre-registration)`,
    `# source: ${source}`,
    "# source: arch = layer choices 1-8 (0 identity, 1 MobileNetV2 block kernel 3 expansion 3, 2 kernel 5 expansion 6; stages of 2, 3, 3 layers, channels 64 / 128 / 256, stem 32, head 1280, input 3x32x32); class = the benchmark's trained network for it (identities of a stage after its first layer moved to the stage's end: the same computation; the benchmark copies the class's figures to every member)",
    '# source: acc1, acc2, acc3 = CIFAR-10 test accuracy (%) of three independent trainings (rounded to 2 decimals), acc_mean = their mean (from the unrounded values); params, flops = as published',
    "# source: macs = multiply-accumulates of hwnas's IR graph of the architecture (bench/nas-macro.ts macroGraph); a76_fp32_ms = hwnas target cortex-a76 (roofline, one Cortex-A76 core, fp32), edgetpu_int8_ms = target edge-tpu (w8a8), eyeriss_ms / eyeriss_mj = target systolic (Eyeriss-like 12x14 row-stationary array, w8a8): latency (ms) and energy (mJ) at batch 1, each target's default precision",
    `# note: hardware columns computed by \`node dist/bench/nas-macro.js build\` at the commit that added this file; targets/*.json may change later, this table does not`,
  ];
  return `${[...header, 'arch,class,acc1,acc2,acc3,acc_mean,params,flops,macs,' + MACRO_HW_COLUMNS.map((c) => c.column).join(','), ...lines].join('\n')}\n`;
}

/** One problem of the comparison on this table: the accuracy column with one or two cost columns. */
export interface MacroProblemSpec {
  readonly note: string;
  /** Column of the `latency_ms` objective. */
  readonly latency: string;
  /** Column of the `energy_mj` objective (3 objectives), if any. */
  readonly energy?: string;
}

/**
 * Loads the table's `acc_mean` (as a fraction: `accuracy`), the spec's latency column (`latency_ms`) and energy column
 * (`energy_mj`) as a NasTable over {@link macroSpace}. Bad rows are errors naming the value and what was expected: an
 * architecture that is not 8 digits 0-2 or appears twice, a class that is not the architecture's, an accuracy outside
 * [0, 100], a cost that is not a finite number >= 0, members of one class with different figures, a table without all
 * 6,561 architectures.
 */
export function loadMacroTable(path: string, spec: MacroProblemSpec, text = readFileSync(path, 'utf8')): NasTable {
  const csv = parseCommentedCsv(text, path);
  const space = macroSpace() as ArchSpace;
  const metrics = spec.energy ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms'];
  const t = new NasTable(space, metrics, path);
  const byClass = new Map<string, string>();
  for (const r of csv.rows) {
    const arch = r.arch ?? '';
    if (!/^[012]{8}$/.test(arch)) throw new Error(`${path}: arch '${arch}': expected 8 digits 0-2`);
    if (t.has(arch)) throw new Error(`${path}: arch ${arch} appears twice; expected one row per architecture`);
    if (r.class !== macroRealArch(arch))
      throw new Error(`${path}: class '${r.class}' of arch ${arch}: expected ${macroRealArch(arch)} (its identities moved to each stage's end)`);
    const num = (col: string): number => (r[col] === undefined || r[col]?.trim() === '' ? Number.NaN : Number(r[col]));
    const acc = num('acc_mean');
    if (!(acc >= 0 && acc <= 100)) throw new Error(`${path}: acc_mean '${r.acc_mean}' of arch ${arch}: expected a percentage in [0, 100]`);
    const cost = (col: string): number => {
      const v = num(col);
      if (!(v >= 0 && Number.isFinite(v))) throw new Error(`${path}: ${col} '${r[col]}' of arch ${arch}: expected a finite number >= 0`);
      return v;
    };
    const values: Record<string, number> = { accuracy: acc / 100, latency_ms: cost(spec.latency) };
    if (spec.energy) values.energy_mj = cost(spec.energy);
    const sig = metrics.map((m) => values[m]).join(',');
    const prev = byClass.get(r.class as string);
    if (prev !== undefined && prev !== sig)
      throw new Error(`${path}: arch ${arch} has ${sig} but other members of class ${r.class} have ${prev}; expected one figure per class`);
    byClass.set(r.class as string, sig);
    t.add(arch, values);
  }
  if (t.size !== 3 ** MACRO_LAYERS) throw new Error(`${path}: ${t.size} architectures; expected all ${3 ** MACRO_LAYERS}`);
  return t;
}

/** The command that appends the session-39 columns ({@link HW_COLUMNS_S39}) to the table; `build` appends them too. */
export const MACRO_ADD_COMMAND = 'node dist/bench/nas-macro.js add-columns bench/data/nas-bench-macro-c10.csv';

/** Appends the session-39 hardware columns to the table's CSV text (each row's class graph; the earlier bytes unchanged). */
export function addMacroHwColumns(csvText: string, what = 'nas-bench-macro-c10.csv'): string {
  return appendHwColumns(csvText, HW_COLUMNS_S39, 'class', (cls) => macroGraph(cls), hwColumnsNote(HW_COLUMNS_S39, MACRO_ADD_COMMAND), what);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, file] = process.argv.slice(2);
  if (cmd === 'add-columns' && file) {
    process.stdout.write(addMacroHwColumns(readFileSync(file, 'utf8'), file));
    process.exit(0);
  }
  if (cmd !== 'build' || !file) {
    console.error('usage: node dist/bench/nas-macro.js build <nas-bench-macro_cifar10.json> | add-columns <nas-bench-macro-c10.csv without them>');
    process.exit(2);
  }
  const text = readFileSync(file, 'utf8');
  const sha = createHash('sha256').update(text).digest('hex');
  process.stdout.write(
    addMacroHwColumns(
      buildMacroCsv(
        text,
        `github.com/xiusu/NAS-Bench-Macro commit 61a2bfc2ca0dce04d0997e6cf498047c27d6acf2 (Apache-2.0; data/nas-bench-macro_cifar10.json, sha256 ${sha}): per architecture test_acc (3 trainings), mean_acc, std, params, flops`,
      ),
    ),
  );
}
