/**
 * A fair comparison of hwnas's search strategies with Optuna's samplers: the same problems, the same
 * budget, the same seeds, the same hypervolume (reference at the true front's nadir), mean and worst seed.
 *
 * Problems:
 * - `nb201-fmnist`: the committed NB201 table (bench/nb201-fmnist.csv), accuracy:max, latency_ms:min. The
 *   table hwnas's defaults were chosen on (TUNED ON: its figures are not evidence);
 * - `nb201-heldout`: a synthetic NB201 table generated here from a fixed seed (never used while writing or
 *   tuning the strategies): per-edge operation effects, random pairwise interactions between edges, a
 *   penalty for cells whose output is cut off from the input, and a latency that sums per-edge costs;
 * - `nb201-fmnist-v2`: the own table v2 (bench/nb201-fmnist-v2.csv, session 29), not tuned on;
 * - `nb201-c100-pi5`, `nb201-c100-pixel`, `nb201-ninapro-pixel`: REAL tables, held out (added after every strategy was written; never
 *   tuned on): bench/data/nb201-hw360.csv, NAS-Bench-201's CIFAR-100 accuracy with a Raspberry Pi 5 or a Pixel LiteRT
 *   latency, NAS-Bench-360's NinaPro accuracy with a Pixel LiteRT latency (measured by HW-NAS-Bench-360; sources in the file);
 * - `nb201-darcy-pixel`, `nb201-darcy-pi5`, `nb201-darcy-pi5-energy`: the same file's Darcy Flow score (NAS-Bench-360; higher
 *   is better, kept as is) with a Pixel / Pi 5 LiteRT latency, or with the Pi 5's PyTorch Mobile latency and energy (3
 *   objectives); unseen, pre-registered in session 31 before any run;
 * - `nb201-c10-pi5onnx`, `nb201-in16-pi5torch`, `nb201-c10-pi5torch-energy`: bench/data/nb201-c10-in16.csv, NAS-Bench-201's
 *   CIFAR-10 / ImageNet16-120 accuracy (12-epoch schedule) with the Pi 5's ONNX Runtime or PyTorch Mobile latency (and energy, 3
 *   objectives) of the CIFAR-sized network; unseen, pre-registered in session 32 before any run;
 * - `macro-c10-edgetpu`, `macro-c10-a76`, `macro-c10-eyeriss-energy`: NAS-Bench-Macro (bench/nas-macro.ts,
 *   bench/data/nas-bench-macro-c10.csv), a macro space of 8 layers x 3 choices (not NB201's cell): CIFAR-10 accuracy (mean
 *   of 3 trainings) with the Edge TPU / Cortex-A76 latency or the Eyeriss-like systolic latency and energy (3 objectives),
 *   computed by hwnas's cost models from each architecture's IR graph; unseen, pre-registered in session 33 before any run;
 * - `tnb-object-edgetpu`, `tnb-jigsaw-a76`, `tnb-room-eyeriss-energy`: TransNAS-Bench-101's micro cell space
 *   (bench/transnas-micro.ts, bench/data/transnas-micro.csv), NB201's cell layout with 4 operations (none, skip, conv 1x1,
 *   conv 3x3) in a 256x256 Taskonomy encoder: object classification top-1 with the Edge TPU latency, jigsaw top-1 with the
 *   Cortex-A76 latency, room layout's negative L2 loss (a score, kept as is) with the Eyeriss-like latency and energy (3
 *   objectives), costs from hwnas's cost models of each cell's encoder graph; unseen, pre-registered in session 34 before any run;
 * - `nbg-arxiv-latency`, `nbg-computers-latency`, `nbg-pubmed-latency-params`: NAS-Bench-Graph (bench/nas-bench-graph.ts,
 *   bench/data/nas-bench-graph.csv), a graph-neural-network space (a link pattern of 4 computing nodes, 9 choices, and 4
 *   operations of 9; 59,049 points in 26,206 classes): the benchmark's test performance with its measured latency on
 *   ogbn-arxiv and Amazon Computers, and on PubMed with the latency and the parameter count (3 objectives); the 9 points
 *   without a computing operation are not in the benchmark (a failed query on both sides); unseen, pre-registered in
 *   session 35 before any run;
 * - `nbg-cora-latency`, `nbg-cs-latency`, `nbg-photo-latency-params`: the same space on Cora, Coauthor CS and Amazon Photo
 *   (bench/data/nas-bench-graph-2.csv; Photo with the parameter count, 3 objectives); `tnb-scene-eyeriss`,
 *   `tnb-normal-edgetpu`, `tnb-segment-eyeriss-energy`: TransNAS-Bench-101 micro's scene top-1 with the Eyeriss-like
 *   latency, surface normal SSIM with the Edge TPU latency, segmentation pixel accuracy with the Eyeriss-like latency and
 *   energy (3 objectives); unseen, pre-registered in session 36 (bench/data/table13-prereg.md) before any run;
 * - `nbg-citeseer-latency`, `nbg-citeseer-latency-params`, `nbg-physics-latency-params`: the same space on CiteSeer (with
 *   and without the parameter count) and Coauthor Physics (3 objectives); `tnb-autoenc-a76`, `tnb-autoenc-edgetpu`,
 *   `tnb-autoenc-eyeriss-energy`: TransNAS-Bench-101 micro's autoencoding SSIM with the Cortex-A76 or Edge TPU latency, or
 *   the Eyeriss-like latency and energy (3 objectives); unseen, pre-registered in session 37 (bench/data/table14-prereg.md)
 *   before any run;
 * - `nbg-proteins-latency`, `nbg-proteins-latency-params`: NAS-Bench-Graph on ogbn-proteins, restricted to the 5 operations
 *   its benchmark file covers (bench/data/nas-bench-graph-proteins.csv; test ROC-AUC with the latency, and the parameter
 *   count, 3 objectives); `ecnas-energy`, `ecnas-energy-params`, `ecnas-predict`: EC-NAS-Bench (bench/ec-nas-bench.ts,
 *   bench/data/ec-nas-bench-5v.csv), NAS-Bench-101's cell space cut to 5 vertices, CIFAR-10 validation accuracy after 4
 *   epochs with the measured energy of the run (and the parameter count, 3 objectives) or the test-set prediction time;
 *   invalid cells a failed query on both sides; unseen, pre-registered in session 38 (bench/data/table15-prereg.md)
 *   before any run;
 * - `nb201-c10-edgetpu`, `nb201-c100-eyeriss-energy`, `nb201-in16-a100`, `nb201-c10-bitfusion`, `nb201-c100-bismo`:
 *   NAS-Bench-201's CIFAR-10 / CIFAR-100 / ImageNet16-120 accuracy (the columns above) with a cost of NB201's network for
 *   that task from hwnas's cost models (bench/data/nb201-hwnas-cost.csv, bench/nb201-hwnas-cost.ts): Edge TPU int8,
 *   Eyeriss-like latency and energy (3 objectives), A100 fp32, BitFusion-style and BISMO-style (w8a8) latency; unseen
 *   pairings, pre-registered in session 40 (bench/data/table17-prereg.md) before any run;
 * - `ecnas-edgetpu`, `ecnas-a100-eyeriss-energy`, `ecnas-bismo`, `ecnas-bitfusion-energy`, `ecnas-eyeriss-energy`:
 *   EC-NAS-Bench's validation accuracy (above) with a cost of the NAS-Bench-101 network of the cell from hwnas's cost models
 *   (bench/data/ecnas-hwnas-cost.csv, bench/ecnas-hwnas-cost.ts): Edge TPU int8 latency, A100 fp32 latency and Eyeriss-like
 *   energy (3 objectives), BISMO-style latency, BitFusion-style energy (w8a8), Eyeriss-like energy; unseen pairings,
 *   pre-registered in session 41 (bench/data/table18-prereg.md) before any run;
 * - `tnbm-scene-edgetpu`, `tnbm-object-a100`, `tnbm-jigsaw-bismo`, `tnbm-room-eyeriss`, `tnbm-segment-jetson`,
 *   `tnbm-normal-edgetpu-bismo-energy`: TransNAS-Bench-101's macro (layer-sequence) space (bench/transnas-macro.ts,
 *   bench/data/transnas-macro.csv; 5,376 codes of 4-6 layers, of which NASLib publishes a sample of 725 of the benchmark's
 *   3,256 networks, 662 on the classification tasks; the others a failed query on both sides): a task's validation metric
 *   with one latency of the encoder from hwnas's cost models (Edge TPU, A100, BISMO-style, Eyeriss-like, Jetson Nano), or
 *   the Edge TPU latency and the BISMO-style energy (3 objectives); unseen, pre-registered in session 42
 *   (bench/data/table19-prereg.md) before any run;
 * - `<NB201 problem>-classmean` (e.g. `nb201-ninapro-pixel-classmean`): a diagnostic, the problem with each repeat class's mean accuracy ({@link classMeanAccuracy});
 * - `zdt1`, `zdt2` (6 variables: at 30, no method reaches the nadir box in 300 queries; true front nadir (1, 1)), `dtlz2` (3 objectives, 12 variables; nadir
 *   (1, 1, 1)), with the analytic true hypervolume;
 * - `wfg1`, `wfg4` (Huband et al. 2006, 2 objectives, 4 position + 4 distance parameters, inputs scaled to [0, 1];
 *   values divided by S = (2, 4) so the true front's nadir is (1, 1)): WFG1 is biased (b_poly 0.02) with a flat
 *   region and a mixed front, WFG4 is highly multi-modal (s_multi) with a concave front (true hypervolume 1 - pi/4;
 *   WFG1's by numerical integration of its front).
 * Table problems run the hwnas strategies as `hwnas nas --table` does (NAS defaults and the repeat filter);
 * synthetic problems run them through the registry with default options. Optuna runs every sampler with
 * its defaults (`/usr/bin/python3` or `python3` with optuna; skipped with a message when absent).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/compare-optuna.js [--budget 300] [--seeds 1,2,3,4,5]
 * [--problems nb201-heldout,nb201-c100-pi5,zdt1,...] [--strategies random,nsga2,evolution,two-stage,bo,tpe,tpe-uni,tpe-iid,tpe-strat,tpe-uni-iid,tpe-cls,tpe-wf]
 * (a suffix wraps a strategy in the prescreen: +ca, +skip, +pred, +predpath, +capath, +ehvi5, ...; see `strategySpec`)
 * [--samplers random,nsga2,tpe,tpe-mv] [--no-optuna] [--optuna-cache runs.jsonl] [--trials-out hwnas.jsonl] [--json]`. With `--optuna-cache`, every
 * finished Optuna run is kept in that file and not run again (resumable; Python prints a line per run). With
 * `--trials-out`, every hwnas run's objective vectors are appended to that file, one JSON line per run, after one line
 * `{ problem, trueFront }` per table problem (its true front's vectors, natural units; session 55, for diagnosis).
 * Figures: BENCHMARKS.md, section "Search strategies against Optuna".
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { parseObjectives } from '../src/nas/objectives.js';
import { type HvFrame, normalise, runNas, tableHv } from '../src/nas/run.js';
import { DISTINCT } from '../src/nas/strategies/distinct.js';
import { createNasStrategy, nasStrategyConfig } from '../src/nas/strategy-config.js';
import { distinctComputations, loadNasTable, NasTable, nb201RepeatClasses, tableCheapObjectives, tabularEvaluator } from '../src/nas/tabular.js';
import { hypervolume } from '../src/search/pareto.js';
import { createStrategy, defaultStrategyOptions } from '../src/search/registry.js';
import { SearchSpace } from '../src/search/space.js';
import { enumerateNb201, formatNb201, nb201Space, parseNb201 } from '../src/search/spaces/nb201.js';
import type { ArchSpace } from '../src/search/spaces/types.js';
import { Prescreen, type PrescreenOptions } from '../src/search/strategies/prescreen.js';
import { runTrials } from '../src/search/testing/run-trials.js';
import type { Objective, Params, SearchStrategy } from '../src/search/types.js';
import { Rng } from '../src/util/rng.js';
import { type EcnasProblemSpec, ecnasClass, ecnasObjectives, enumerateEcnas, loadEcnasTable } from './ec-nas-bench.js';
import { type EcnasHwProblemSpec, ecnasHwObjectives, loadEcnasHwTable } from './ecnas-hwnas-cost.js';
import { type Hw360Row, hw360Rows } from './hw360-rows.js';
import {
  enumerateNbg,
  loadNbgTable,
  NBG_DATASETS,
  NBG_DATASETS_2,
  type NbgDataset,
  type NbgProblemSpec,
  nbgNoComputation,
  nbgObjectives,
  nbgOps,
} from './nas-bench-graph.js';
import { loadMacroTable, type MacroProblemSpec, macroSpace } from './nas-macro.js';
import { nb201SynflowFirst } from './nb201-proxy-first.js';
import { loadTnbmTable, tnbmMacroSpace, tnbmMissing } from './transnas-macro.js';
import { loadTnbTable, type TnbProblemSpec, tnbConnectedCells, tnbMicroSpace } from './transnas-micro.js';

/** One problem of the comparison. */
export interface Problem {
  readonly name: string;
  readonly note: string;
  readonly objectives: readonly Objective[];
  /** Share of the true front's hypervolume of a set of objective vectors (natural units). */
  ratio(values: readonly (readonly number[])[]): number;
  /** A second share reported next to it (e.g. with another reference point), when the problem has one. */
  readonly alt?: { readonly label: string; ratio(values: readonly (readonly number[])[]): number };
  /** A table problem's true front (natural units), written to `--trials-out` for diagnosis (session 55). */
  readonly trueFront?: readonly (readonly number[])[];
  /** hwnas: the evaluated objective vectors of one run. */
  runHwnas(strategy: string, budget: number, seed: number): Promise<number[][]>;
  /** Optuna: the problem as the Python side builds it. */
  readonly python: Record<string, unknown>;
}

/** Per (problem, method): ratio per seed, mean, worst and seconds per run. */
export interface CompareRow {
  readonly problem: string;
  readonly method: string;
  readonly ratios: number[];
  readonly mean: number;
  readonly worst: number;
  readonly secondsPerRun: number;
  /** The problem's second share ({@link Problem.alt}) per seed, mean and worst. */
  readonly alt?: { readonly label: string; readonly ratios: number[]; readonly mean: number; readonly worst: number };
}

const NB201_ORDER = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;

/**
 * The held-out synthetic NB201 table (seeded; see the module doc). Accuracy in [0.1, ~0.95], latency in ms.
 */
export function heldOutTable(seed = 20261203): NasTable {
  const space = nb201Space();
  const rng = new Rng(seed);
  // Main effects: a per-op base (conv3x3 > conv1x1 > skip > pool > none) jittered per edge.
  const base: Record<string, number> = { none: 0, skip_connect: 0.035, nor_conv_1x1: 0.05, nor_conv_3x3: 0.075, avg_pool_3x3: 0.02 };
  const cost: Record<string, number> = { none: 0, skip_connect: 0.02, nor_conv_1x1: 0.35, nor_conv_3x3: 1.4, avg_pool_3x3: 0.25 };
  const main = Array.from({ length: 6 }, () => NB201_ORDER.map((o) => (base[o] as number) * rng.uniform(0.5, 1.5)));
  const edgeCost = Array.from({ length: 6 }, () => rng.uniform(0.6, 1.8));
  // Pairwise interactions between 6 random edge pairs: a 5x5 table of effects each.
  const pairs: { a: number; b: number; w: number[][] }[] = [];
  while (pairs.length < 6) {
    const a = rng.int(0, 5);
    const b = rng.int(0, 5);
    if (a >= b || pairs.some((p) => p.a === a && p.b === b)) continue;
    pairs.push({ a, b, w: NB201_ORDER.map(() => NB201_ORDER.map(() => rng.normal(0, 0.02))) });
  }
  const t = new NasTable(space, ['accuracy', 'latency_ms']);
  const cellRng = new Rng(seed + 1);
  for (const c of enumerateNb201()) {
    const idx = c.map((op) => NB201_ORDER.indexOf(op as (typeof NB201_ORDER)[number]));
    // Edges (NB201_EDGES order): 0: 0->1, 1: 0->2, 2: 1->2, 3: 0->3, 4: 1->3, 5: 2->3. Output cut off when
    // every path from node 0 to node 3 has a 'none'.
    const on = idx.map((i) => i !== 0);
    const reach1 = on[0];
    const reach2 = on[1] || (reach1 && on[2]);
    const connected = on[3] || (reach1 && on[4]) || (reach2 && on[5]);
    let acc = 0.55;
    idx.forEach((i, k) => {
      acc += (main[k] as number[])[i] as number;
    });
    for (const p of pairs) acc += (p.w[idx[p.a] as number] as number[])[idx[p.b] as number] as number;
    acc += cellRng.normal(0, 0.006);
    if (!connected) acc = 0.1 + cellRng.uniform(0, 0.01);
    let lat = 0.2;
    idx.forEach((i, k) => {
      lat += (cost[NB201_ORDER[i] as string] as number) * (edgeCost[k] as number);
    });
    lat *= 1 + cellRng.normal(0, 0.02);
    t.add(formatNb201(c), { accuracy: Math.min(0.99, acc), latency_ms: Math.max(0.05, lat) });
  }
  return t;
}

/**
 * The real NB201 table (bench/data/nb201-hw360.csv, sources in its header): all 15,625 cells with NAS-Bench-201's
 * CIFAR-100 and NAS-Bench-360's NinaPro test accuracies and latencies measured by HW-NAS-Bench-360 on a Raspberry
 * Pi 5 and a Pixel (LiteRT). Each problem pairs an accuracy with the latency measured on that task's input.
 */
export const HW360_PROBLEMS = {
  'nb201-c100-pi5': {
    accuracy: 'acc_cifar100',
    latency: 'pi5_litert_cifar100_ms',
    note: 'real NB201 table: CIFAR-100 accuracy, Raspberry Pi 5 LiteRT latency, held out',
  },
  'nb201-ninapro-pixel': {
    accuracy: 'acc_ninapro',
    latency: 'pixel_litert_ninapro_ms',
    note: 'real NB201 table: NinaPro accuracy (NAS-Bench-360), Pixel LiteRT latency, held out',
  },
  'nb201-c100-pixel': {
    accuracy: 'acc_cifar100',
    latency: 'pixel_litert_cifar100_ms',
    note: 'real NB201 table: CIFAR-100 accuracy, Pixel LiteRT latency, held out',
  },
  // Session 31 (search8), pre-registered before any run on them: NAS-Bench-360's Darcy Flow score (not a percentage;
  // higher is better), with the Pixel or Pi 5 LiteRT latency, and a 3-objective problem with the Pi 5's energy.
  'nb201-darcy-pixel': {
    accuracy: 'darcy_score',
    score: true,
    latency: 'pixel_litert_darcy_ms',
    note: 'real NB201 table: Darcy Flow score (NAS-Bench-360), Pixel LiteRT latency, unseen (session 31)',
  },
  'nb201-darcy-pi5': {
    accuracy: 'darcy_score',
    score: true,
    latency: 'pi5_litert_darcy_ms',
    note: 'real NB201 table: Darcy Flow score (NAS-Bench-360), Raspberry Pi 5 LiteRT latency, unseen (session 31)',
  },
  'nb201-darcy-pi5-energy': {
    accuracy: 'darcy_score',
    score: true,
    latency: 'pi5_torchmobile_darcy_ms',
    energy: 'pi5_torchmobile_darcy_mj',
    note: 'real NB201 table, 3 objectives: Darcy Flow score, Raspberry Pi 5 PyTorch Mobile latency and energy, unseen (session 31)',
  },
  // Session 32 (search9), pre-registered before any run on them: bench/data/nb201-c10-in16.csv, NAS-Bench-201's CIFAR-10
  // and ImageNet16-120 accuracies (12-epoch schedule) with Pi 5 ONNX Runtime / PyTorch Mobile figures of the CIFAR-100
  // network (for ImageNet16-120's 16x16 input a proxy).
  'nb201-c10-pi5onnx': {
    file: 'nb201-c10-in16.csv',
    accuracy: 'acc_cifar10',
    latency: 'pi5_onnx_cifar100_ms',
    note: 'real NB201 table: CIFAR-10 accuracy (12 epochs), Raspberry Pi 5 ONNX Runtime latency, unseen (session 32)',
  },
  'nb201-in16-pi5torch': {
    file: 'nb201-c10-in16.csv',
    accuracy: 'acc_imagenet16',
    latency: 'pi5_torchmobile_cifar100_ms',
    note: 'real NB201 table: ImageNet16-120 accuracy (12 epochs), Raspberry Pi 5 PyTorch Mobile latency of the 32x32 network, unseen (session 32)',
  },
  'nb201-c10-pi5torch-energy': {
    file: 'nb201-c10-in16.csv',
    accuracy: 'acc_cifar10',
    latency: 'pi5_torchmobile_cifar100_ms',
    energy: 'pi5_torchmobile_cifar100_mj',
    note: 'real NB201 table, 3 objectives: CIFAR-10 accuracy (12 epochs), Raspberry Pi 5 PyTorch Mobile latency and energy, unseen (session 32)',
  },
  // Session 40 (table17), pre-registered before any search run on them (bench/data/table17-prereg.md): NB201's accuracy
  // columns paired with hwnas cost models of NB201's own network for that task (bench/data/nb201-hwnas-cost.csv,
  // bench/nb201-hwnas-cost.ts; keyed by nb201_index, the cell checked against the accuracy file's).
  'nb201-c10-edgetpu': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar10',
    latency: 'c10_edgetpu_int8_ms',
    note: 'NB201: CIFAR-10 accuracy (12 epochs), Edge TPU int8 latency of the CIFAR-10 network (hwnas cost model), unseen pairing (session 40)',
  },
  'nb201-c100-eyeriss-energy': {
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar100',
    latency: 'c100_eyeriss_ms',
    energy: 'c100_eyeriss_mj',
    note: 'NB201, 3 objectives: CIFAR-100 accuracy, latency and energy of the CIFAR-100 network on the Eyeriss-like systolic target (hwnas cost model), unseen pairing (session 40)',
  },
  'nb201-in16-a100': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_imagenet16',
    latency: 'in16_a100_fp32_ms',
    note: 'NB201: ImageNet16-120 accuracy (12 epochs), A100 fp32 latency of the 16x16 ImageNet16-120 network (hwnas cost model), unseen pairing (session 40)',
  },
  'nb201-c10-bitfusion': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar10',
    latency: 'c10_bitfusion_ms',
    note: 'NB201: CIFAR-10 accuracy (12 epochs), latency of the CIFAR-10 network on the BitFusion-style edge accelerator (hwnas cost model, w8a8), unseen pairing (session 40)',
  },
  'nb201-c100-bismo': {
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar100',
    latency: 'c100_bismo_ms',
    note: 'NB201: CIFAR-100 accuracy, latency of the CIFAR-100 network on the BISMO-style bit-serial overlay (hwnas cost model, w8a8), unseen pairing (session 40)',
  },
  // Session 43 (table20), pre-registered before any search run on it (bench/data/table20-prereg.md): drawn by the rule of
  // bench/table20.ts from the unused pairings of the committed tables.
  'nb201-c100-a100-bismo-energy': {
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar100',
    latency: 'c100_a100_fp32_ms',
    energy: 'c100_bismo_mj',
    note: 'NB201, 3 objectives: CIFAR-100 accuracy, A100 fp32 latency and BISMO-style energy (w8a8) of the CIFAR-100 network (hwnas cost models), unseen pairing (session 43)',
  },
} as const;
export type Hw360Problem = keyof typeof HW360_PROBLEMS;
/** One NB201 problem's columns (an entry of {@link HW360_PROBLEMS}). */
export type Hw360Spec = {
  readonly accuracy: string;
  readonly latency: string;
  readonly note: string;
  readonly score?: boolean;
  readonly energy?: string;
  /** The CSV under bench/data/ (default nb201-hw360.csv). */
  readonly file?: string;
  /**
   * A second CSV beside it holding the latency / energy columns (session 40: bench/data/nb201-hwnas-cost.csv), keyed by
   * nb201_index; its cell must be the accuracy file's.
   */
  readonly costFile?: string;
};

/**
 * Session 44 (table21), pre-registered before any search run on them (bench/data/table21-prereg.md; drawn by
 * bench/table21.ts): NB201's accuracy columns with latencies HELP ships for every NB201 cell
 * (bench/data/nb201-help-latency.csv), in the pre-registered order. Kept apart from {@link HW360_PROBLEMS} so that
 * table20's and table21's used sets (read from that object) stay those of their draws.
 */
export const TABLE21_HW360_PROBLEMS: Readonly<Record<string, Hw360Spec>> = {
  'nb201-c100-help-titanxp-1': {
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar100',
    latency: 'help_titanxp_1_ms',
    note: 'NB201: CIFAR-100 accuracy, Titan Xp GPU latency at batch 1 as HELP ships it, unseen pairing (session 44)',
  },
  'nb201-c10-help-1080ti-32': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_1080ti_32_ms',
    note: 'NB201: CIFAR-10 accuracy (12 epochs), GTX 1080 Ti GPU latency at batch 32 as HELP ships it, unseen pairing (session 44)',
  },
  'nb201-in16-help-eyeriss': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_eyeriss_ms',
    note: 'NB201: ImageNet16-120 accuracy (12 epochs), Eyeriss ASIC latency as HELP ships it, unseen pairing (session 44)',
  },
  'nb201-in16-help-gold-6240': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_gold_6240_ms',
    note: 'NB201: ImageNet16-120 accuracy (12 epochs), Intel Xeon Gold 6240 CPU latency as HELP ships it, unseen pairing (session 44)',
  },
};

/**
 * Session 45 (table22): an NB201 problem with two latency columns of its cost file (HELP's devices), 3 objectives:
 * accuracy:max, latency_ms:min (`latency`) and latency2_ms:min (`latency2`).
 */
export type Hw360PairSpec = Hw360Spec & { readonly latency2: string };

/** The objectives of an {@link Hw360PairSpec} problem. */
export const HW360_PAIR_OBJECTIVES = 'accuracy:max,latency_ms:min,latency2_ms:min';

/**
 * Loads an {@link Hw360PairSpec} problem: {@link loadHw360Table} once per latency column (its checks), joined by cell into
 * a table with columns accuracy, latency_ms and latency2_ms.
 */
export function loadHw360PairTable(spec: Hw360PairSpec): NasTable {
  if (spec.energy !== undefined)
    throw new ConfigError(`NB201 pair problem '${spec.note}': energy '${spec.energy}'; expected two latency columns and no energy`);
  const a = loadHw360Table(hw360File(spec), spec);
  const b = loadHw360Table(hw360File(spec), { ...spec, latency: spec.latency2 });
  const t = new NasTable(a.space, ['accuracy', 'latency_ms', 'latency2_ms'], `${a.source} (${spec.latency}, ${spec.latency2})`);
  for (const arch of a.archs()) {
    const [accuracy, latency] = a.values(arch, ['accuracy', 'latency_ms']) as [number, number];
    t.add(arch, { accuracy, latency_ms: latency, latency2_ms: b.values(arch, ['latency_ms'])[0] as number });
  }
  return t;
}

/**
 * Session 33 (table10): NAS-Bench-Macro's CIFAR-10 mean accuracy (3 trainings) with a hardware cost computed by hwnas's
 * cost models from each architecture's IR graph (bench/data/nas-bench-macro-c10.csv, bench/nas-macro.ts); a macro space of
 * 8 layers x 3 choices, 6,561 architectures in 3,969 classes of equal computation.
 */
export const MACRO_PROBLEMS = {
  'macro-c10-edgetpu': {
    latency: 'edgetpu_int8_ms',
    note: 'NAS-Bench-Macro: CIFAR-10 accuracy (mean of 3 trainings), Edge TPU int8 latency (hwnas cost model), unseen (session 33)',
  },
  'macro-c10-a76': {
    latency: 'a76_fp32_ms',
    note: 'NAS-Bench-Macro: CIFAR-10 accuracy (mean of 3 trainings), Cortex-A76 fp32 latency (hwnas cost model), unseen (session 33)',
  },
  'macro-c10-eyeriss-energy': {
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy, latency and energy on the Eyeriss-like systolic target (hwnas cost model), unseen (session 33)',
  },
  // Session 39 (table16), pre-registered before any search run on them (bench/data/table16-prereg.md): cost columns of
  // targets never paired with this table (bench/hw-columns.ts), the accuracy column as above.
  'macro-c10-myriadx': {
    latency: 'myriadx_fp32_ms',
    note: 'NAS-Bench-Macro: CIFAR-10 accuracy (mean of 3 trainings), Myriad X VPU latency (hwnas cost model, fp32 policy), unseen pairing (session 39)',
  },
  'macro-c10-bitfusion-energy': {
    latency: 'bitfusion_ms',
    energy: 'bitfusion_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy, latency and energy on the BitFusion-style edge accelerator (hwnas cost model, w8a8), unseen pairing (session 39)',
  },
  'macro-c10-bismo': {
    latency: 'bismo_ms',
    note: 'NAS-Bench-Macro: CIFAR-10 accuracy (mean of 3 trainings), latency on the BISMO-style bit-serial overlay (hwnas cost model, w8a8), unseen pairing (session 39)',
  },
  // Session 43 (table20), pre-registered before any search run on it (bench/data/table20-prereg.md; drawn by bench/table20.ts).
  'macro-c10-jetson-eyeriss-energy': {
    latency: 'jetson_fp32_ms',
    energy: 'eyeriss_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy, Jetson Nano fp32 latency and Eyeriss-like energy (hwnas cost models), unseen pairing (session 43)',
  },
} as const;
export type MacroProblem = keyof typeof MACRO_PROBLEMS;

/**
 * Session 34 (table11): TransNAS-Bench-101 micro (bench/transnas-micro.ts, bench/data/transnas-micro.csv), 4,096 cells of
 * NB201's layout with 4 operations (1,666 classes of equal computation), a task's final validation metric (each class's
 * mean) with hardware costs computed by hwnas's cost models from each cell's encoder graph (3x256x256 input).
 */
export const TNB_PROBLEMS = {
  'tnb-object-edgetpu': {
    metric: 'object_top1',
    latency: 'edgetpu_int8_ms',
    note: 'TransNAS-Bench-101 micro: object classification top-1 (Taskonomy), Edge TPU int8 latency of the encoder (hwnas cost model), unseen (session 34)',
  },
  'tnb-jigsaw-a76': {
    metric: 'jigsaw_top1',
    latency: 'a76_fp32_ms',
    note: 'TransNAS-Bench-101 micro: jigsaw top-1 (Taskonomy), Cortex-A76 fp32 latency of the encoder (hwnas cost model), unseen (session 34)',
  },
  'tnb-room-eyeriss-energy': {
    metric: 'room_negloss',
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: room layout negative L2 loss (Taskonomy), latency and energy of the encoder on the Eyeriss-like systolic target (hwnas cost model), unseen (session 34)',
  },
  // Session 36 (table13), pre-registered before any search run on them: three task columns no problem used (scene
  // classification, surface normals, semantic segmentation), each with a cost target its task type was not paired with.
  'tnb-scene-eyeriss': {
    metric: 'scene_top1',
    latency: 'eyeriss_ms',
    note: 'TransNAS-Bench-101 micro: scene classification top-1 (Taskonomy), latency of the encoder on the Eyeriss-like systolic target (hwnas cost model), unseen (session 36)',
  },
  'tnb-normal-edgetpu': {
    metric: 'normal_ssim',
    latency: 'edgetpu_int8_ms',
    note: 'TransNAS-Bench-101 micro: surface normal SSIM (Taskonomy, a score kept as is), Edge TPU int8 latency of the encoder (hwnas cost model), unseen (session 36)',
  },
  'tnb-segment-eyeriss-energy': {
    metric: 'segment_acc',
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: semantic segmentation pixel accuracy (Taskonomy), latency and energy of the encoder on the Eyeriss-like systolic target (hwnas cost model), unseen (session 36)',
  },
  // Session 37 (table14), pre-registered before any search run on them (bench/data/table14-prereg.md): the last task
  // column no problem used (autoencoding SSIM, a score kept as is), with three cost targets.
  'tnb-autoenc-a76': {
    metric: 'autoenc_ssim',
    latency: 'a76_fp32_ms',
    note: 'TransNAS-Bench-101 micro: autoencoding SSIM (Taskonomy, a score kept as is), Cortex-A76 fp32 latency of the encoder (hwnas cost model), unseen (session 37)',
  },
  'tnb-autoenc-edgetpu': {
    metric: 'autoenc_ssim',
    latency: 'edgetpu_int8_ms',
    note: 'TransNAS-Bench-101 micro: autoencoding SSIM (Taskonomy, a score kept as is), Edge TPU int8 latency of the encoder (hwnas cost model), unseen (session 37)',
  },
  'tnb-autoenc-eyeriss-energy': {
    metric: 'autoenc_ssim',
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: autoencoding SSIM (Taskonomy, a score kept as is), latency and energy of the encoder on the Eyeriss-like systolic target (hwnas cost model), unseen (session 37)',
  },
  // Session 39 (table16), pre-registered before any search run on them (bench/data/table16-prereg.md): the A100 cost
  // column (bench/hw-columns.ts; the one new target whose column is not near rank-identical to a used one here) with a
  // classification task and a dense-prediction task.
  'tnb-object-a100': {
    metric: 'object_top1',
    latency: 'a100_fp32_ms',
    note: 'TransNAS-Bench-101 micro: object classification top-1 (Taskonomy), A100 latency of the encoder (hwnas cost model, fp32 policy), unseen pairing (session 39)',
  },
  'tnb-normal-a100': {
    metric: 'normal_ssim',
    latency: 'a100_fp32_ms',
    note: 'TransNAS-Bench-101 micro: surface normal SSIM (Taskonomy, a score kept as is), A100 latency of the encoder (hwnas cost model, fp32 policy), unseen pairing (session 39)',
  },
  // Session 43 (table20), pre-registered before any search run on it (bench/data/table20-prereg.md; drawn by bench/table20.ts).
  'tnb-autoenc-a100-eyeriss-energy': {
    metric: 'autoenc_ssim',
    latency: 'a100_fp32_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: autoencoding SSIM (Taskonomy, a score kept as is), A100 fp32 latency and Eyeriss-like energy of the encoder (hwnas cost models), unseen pairing (session 43)',
  },
} as const;
export type TnbProblem = keyof typeof TNB_PROBLEMS;

/**
 * Session 42 (table19), pre-registered before any search run on them (bench/data/table19-prereg.md): TransNAS-Bench-101
 * macro (bench/transnas-macro.ts, bench/data/transnas-macro.csv), the benchmark's layer-sequence space; NASLib's published
 * sample of it (725 networks, 662 on the classification tasks), the space's other codes a failed query on both sides.
 * Costs from hwnas's cost models of each network's encoder graph (3x256x256 input). In the pre-registered order.
 */
export const TNBM_PROBLEMS = {
  'tnbm-scene-edgetpu': {
    metric: 'scene_top1',
    latency: 'edgetpu_int8_ms',
    note: 'TransNAS-Bench-101 macro (NASLib sample): scene classification top-1 (Taskonomy), Edge TPU int8 latency of the encoder (hwnas cost model), unseen (session 42)',
  },
  'tnbm-object-a100': {
    metric: 'object_top1',
    latency: 'a100_fp32_ms',
    note: 'TransNAS-Bench-101 macro (NASLib sample): object classification top-1 (Taskonomy), A100 fp32 latency of the encoder (hwnas cost model), unseen (session 42)',
  },
  'tnbm-jigsaw-bismo': {
    metric: 'jigsaw_top1',
    latency: 'bismo_ms',
    note: 'TransNAS-Bench-101 macro (NASLib sample): jigsaw top-1 (Taskonomy), latency of the encoder on the BISMO-style bit-serial overlay (hwnas cost model, w8a8), unseen (session 42)',
  },
  'tnbm-room-eyeriss': {
    metric: 'room_negloss',
    latency: 'eyeriss_ms',
    note: 'TransNAS-Bench-101 macro (NASLib sample): room layout negative L2 loss (Taskonomy, a score kept as is), latency of the encoder on the Eyeriss-like systolic target (hwnas cost model), unseen (session 42)',
  },
  'tnbm-segment-jetson': {
    metric: 'segment_acc',
    latency: 'jetson_fp32_ms',
    note: 'TransNAS-Bench-101 macro (NASLib sample): semantic segmentation pixel accuracy (Taskonomy), Jetson Nano fp32 latency of the encoder (hwnas cost model), unseen (session 42)',
  },
  'tnbm-normal-edgetpu-bismo-energy': {
    metric: 'normal_ssim',
    latency: 'edgetpu_int8_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 macro (NASLib sample), 3 objectives: surface normal SSIM (Taskonomy, a score kept as is), Edge TPU int8 latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen (session 42)',
  },
} as const;
export type TnbmProblem = keyof typeof TNBM_PROBLEMS;

/** The path of TransNAS-Bench-101 macro's CSV (bench/data/transnas-macro.csv). */
export function tnbmFile(): string {
  return join(process.cwd(), 'bench', 'data', 'transnas-macro.csv');
}

/**
 * Session 35 (table12): NAS-Bench-Graph (bench/nas-bench-graph.ts, bench/data/nas-bench-graph.csv), a graph-neural-network
 * space of 59,049 points (26,206 classes, each trained by the benchmark), its stored test performance with the measured
 * latency and the parameter count of each class on one dataset.
 */
export const NBG_PROBLEMS = {
  'nbg-arxiv-latency': {
    dataset: 'arxiv',
    note: 'NAS-Bench-Graph: ogbn-arxiv test accuracy, measured latency (the benchmark), unseen (session 35)',
  },
  'nbg-computers-latency': {
    dataset: 'computers',
    note: 'NAS-Bench-Graph: Amazon Computers test accuracy, measured latency (the benchmark), unseen (session 35)',
  },
  'nbg-pubmed-latency-params': {
    dataset: 'pubmed',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: PubMed test accuracy, measured latency and parameter count (the benchmark), unseen (session 35)',
  },
  // Session 36 (table13), pre-registered before any search run on them: three more datasets of the same space, one per
  // graph kind (citation, co-authorship, co-purchase), from bench/data/nas-bench-graph-2.csv.
  'nbg-cora-latency': {
    dataset: 'cora',
    note: 'NAS-Bench-Graph: Cora test accuracy, measured latency (the benchmark), unseen (session 36)',
  },
  'nbg-cs-latency': {
    dataset: 'cs',
    note: 'NAS-Bench-Graph: Coauthor CS test accuracy, measured latency (the benchmark), unseen (session 36)',
  },
  'nbg-photo-latency-params': {
    dataset: 'photo',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: Amazon Photo test accuracy, measured latency and parameter count (the benchmark), unseen (session 36)',
  },
  // Session 37 (table14), pre-registered before any search run on them (bench/data/table14-prereg.md): the two datasets of
  // bench/data/nas-bench-graph-2.csv no problem used. ogbn-proteins is left out: its benchmark file covers 5 of the 9
  // operations only (see the pre-registration), so the builder's checks fail on the space.
  'nbg-citeseer-latency': {
    dataset: 'citeseer',
    note: 'NAS-Bench-Graph: CiteSeer test accuracy, measured latency (the benchmark), unseen (session 37)',
  },
  'nbg-citeseer-latency-params': {
    dataset: 'citeseer',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: CiteSeer test accuracy, measured latency and parameter count (the benchmark), unseen (session 37)',
  },
  'nbg-physics-latency-params': {
    dataset: 'physics',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: Coauthor Physics test accuracy, measured latency and parameter count (the benchmark), unseen (session 37)',
  },
  // Session 38 (table15), pre-registered before any search run on them (bench/data/table15-prereg.md): ogbn-proteins on
  // the 5-operation sub-space its light file covers (bench/data/nas-bench-graph-proteins.csv; 5,625 points, 2,021 classes).
  'nbg-proteins-latency': {
    dataset: 'proteins',
    note: 'NAS-Bench-Graph, 5-operation sub-space: ogbn-proteins test ROC-AUC, measured latency (the benchmark), unseen (session 38)',
  },
  'nbg-proteins-latency-params': {
    dataset: 'proteins',
    params: true,
    note: 'NAS-Bench-Graph, 5-operation sub-space, 3 objectives: ogbn-proteins test ROC-AUC, measured latency and parameter count (the benchmark), unseen (session 38)',
  },
  // Session 43 (table20), pre-registered before any search run on it (bench/data/table20-prereg.md; drawn by bench/table20.ts).
  'nbg-cs-latency-params': {
    dataset: 'cs',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: Coauthor CS test accuracy, measured latency and parameter count (the benchmark), unseen pairing (session 43)',
  },
} as const;
export type NbgProblem = keyof typeof NBG_PROBLEMS;

/**
 * Session 38 (table15), pre-registered before any search run on them (bench/data/table15-prereg.md): EC-NAS-Bench
 * (bench/ec-nas-bench.ts, bench/data/ec-nas-bench-5v.csv), NAS-Bench-101's cell space cut to 5 vertices (27,648 points,
 * 22,680 valid in 2,532 classes), each class trained 4 epochs on CIFAR-10 on a Quadro RTX 6000 with measured energy.
 */
export const ECNAS_PROBLEMS = {
  'ecnas-energy': {
    costs: ['energy_kwh'],
    note: 'EC-NAS-Bench (NAS-Bench-101 5-vertex cells): CIFAR-10 validation accuracy after 4 epochs, measured energy of the run (kWh), unseen (session 38)',
  },
  'ecnas-energy-params': {
    costs: ['energy_kwh', 'params_m'],
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured energy of the run (kWh), parameter count, unseen (session 38)',
  },
  'ecnas-predict': {
    costs: ['predict_s'],
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, measured test-set prediction time (s, as latency_s), unseen (session 38)',
  },
} as const;
export type EcnasProblem = keyof typeof ECNAS_PROBLEMS;

/**
 * Session 41 (table18), pre-registered before any search run on them (bench/data/table18-prereg.md): EC-NAS-Bench's
 * validation accuracy paired with hwnas cost models of the NAS-Bench-101 network of each cell (bench/ecnas-hwnas-cost.ts,
 * bench/data/ecnas-hwnas-cost.csv, keyed by the class hash). In the pre-registered order.
 */
export const ECNAS_HW_PROBLEMS = {
  'ecnas-edgetpu': {
    latency: 'edgetpu_int8_ms',
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, Edge TPU int8 latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 41)',
  },
  'ecnas-a100-eyeriss-energy': {
    latency: 'a100_fp32_ms',
    energy: 'eyeriss_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, A100 fp32 latency and Eyeriss-like energy of the NAS-Bench-101 network (hwnas cost models), unseen pairing (session 41)',
  },
  'ecnas-bismo': {
    latency: 'bismo_ms',
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, latency of the NAS-Bench-101 network on the BISMO-style bit-serial overlay (hwnas cost model, w8a8), unseen pairing (session 41)',
  },
  'ecnas-bitfusion-energy': {
    energy: 'bitfusion_mj',
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, energy of the NAS-Bench-101 network on the BitFusion-style edge accelerator (hwnas cost model, w8a8), unseen pairing (session 41)',
  },
  'ecnas-eyeriss-energy': {
    energy: 'eyeriss_mj',
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, Eyeriss-like energy of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 41)',
  },
} as const;
export type EcnasHwProblem = keyof typeof ECNAS_HW_PROBLEMS;

/**
 * Session 43 (table20), pre-registered before any search run on them (bench/data/table20-prereg.md; drawn by
 * bench/table20.ts from the unused pairings of the committed tables): two more EC-NAS-Bench problems with hwnas costs,
 * registered as {@link ECNAS_HW_PROBLEMS}'s (kept apart because table18's test pins that object to its five).
 */
export const TABLE20_ECNAS_HW_PROBLEMS = {
  'ecnas-myriadx': {
    latency: 'myriadx_fp32_ms',
    note: 'EC-NAS-Bench: CIFAR-10 validation accuracy after 4 epochs, Myriad X VPU fp32 latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 43)',
  },
  'ecnas-edgetpu-bitfusion-energy': {
    latency: 'edgetpu_int8_ms',
    energy: 'bitfusion_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, Edge TPU int8 latency and BitFusion-style energy (w8a8) of the NAS-Bench-101 network (hwnas cost models), unseen pairing (session 43)',
  },
} as const;

/**
 * Session 45 (table22), pre-registered before any search run on them (bench/data/table22-prereg.md; drawn by
 * bench/table22.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the family objects table20 / table21 read, so that their used sets stay those of their draws.
 */
export const TABLE22_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-predict-bitfusion': {
    measured: ['predict_s'],
    latency: 'bitfusion_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured test-set prediction time (s, as latency_s), BitFusion-style latency (w8a8) of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 45)',
  },
  'ecnas-a76-bitfusion-energy': {
    latency: 'a76_fp32_ms',
    energy: 'bitfusion_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, Cortex-A76 fp32 latency and BitFusion-style energy (w8a8) of the NAS-Bench-101 network (hwnas cost models), unseen pairing (session 45)',
  },
};
/** Session 45 (table22): NAS-Bench-Graph, see {@link TABLE22_ECNAS_HW_PROBLEMS}. */
export const TABLE22_NBG_PROBLEMS: Readonly<Record<string, NbgProblemSpec>> = {
  'nbg-arxiv-latency-params': {
    dataset: 'arxiv',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: ogbn-arxiv test accuracy, measured latency and parameter count (the benchmark), unseen pairing (session 45)',
  },
};
/** Session 45 (table22): TransNAS-Bench-101 micro, see {@link TABLE22_ECNAS_HW_PROBLEMS}. */
export const TABLE22_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-scene-bitfusion': {
    metric: 'scene_top1',
    latency: 'bitfusion_ms',
    note: 'TransNAS-Bench-101 micro: scene classification top-1 (Taskonomy), BitFusion-style latency (w8a8) of the encoder (hwnas cost model), unseen pairing (session 45)',
  },
};
/** Session 45 (table22): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE22_ECNAS_HW_PROBLEMS}. */
export const TABLE22_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-c10-help-titanx-32-titanxp-1': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_titanx_32_ms',
    latency2: 'help_titanxp_1_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), Titan X GPU latency at batch 32 and Titan Xp GPU latency at batch 1 as HELP ships them, unseen pairing (session 45)',
  },
};

/**
 * Session 46 (table23), pre-registered before any search run on them (bench/data/table23-prereg.md; drawn by
 * bench/table23.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the family objects table20 / table21 / table22 read, so that their used sets stay those of their draws.
 */
export const TABLE23_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-kwh-bitfusion': {
    measured: ['energy_kwh'],
    latency: 'bitfusion_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), BitFusion-style latency (w8a8) of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 46)',
  },
  'ecnas-predict-a76': {
    measured: ['predict_s'],
    latency: 'a76_fp32_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured test-set prediction time (s, as latency_s), Cortex-A76 fp32 latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 46)',
  },
  'ecnas-predict-a100': {
    measured: ['predict_s'],
    latency: 'a100_fp32_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured test-set prediction time (s, as latency_s), A100 fp32 latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 46)',
  },
};
/** Session 46 (table23): NAS-Bench-Graph, see {@link TABLE23_ECNAS_HW_PROBLEMS}. */
export const TABLE23_NBG_PROBLEMS: Readonly<Record<string, NbgProblemSpec>> = {
  'nbg-cora-latency-params': {
    dataset: 'cora',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: Cora test accuracy, measured latency and parameter count (the benchmark), unseen pairing (session 46)',
  },
};
/** Session 46 (table23): TransNAS-Bench-101 micro, see {@link TABLE23_ECNAS_HW_PROBLEMS}. */
export const TABLE23_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-normal-bismo-bitfusion-energy': {
    metric: 'normal_ssim',
    latency: 'bismo_ms',
    energy: 'bitfusion_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: surface normal SSIM (Taskonomy), BISMO-style latency (w8a8) and BitFusion-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 46)',
  },
};
/** Session 46 (table23): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE23_ECNAS_HW_PROBLEMS}. */
export const TABLE23_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-c100-help-1080ti-32-titanxp-32': {
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar100',
    latency: 'help_1080ti_32_ms',
    latency2: 'help_titanxp_32_ms',
    note: 'NB201, 3 objectives: CIFAR-100 accuracy, GTX 1080 Ti GPU latency at batch 32 and Titan Xp GPU latency at batch 32 as HELP ships them, unseen pairing (session 46)',
  },
};

/**
 * Session 47 (table24), pre-registered before any search run on them (bench/data/table24-prereg.md; drawn by
 * bench/table24.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the family objects table20-23 read, so that their used sets stay those of their draws.
 */
export const TABLE24_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-jigsaw-bismo-eyeriss-energy': {
    metric: 'jigsaw_top1',
    latency: 'bismo_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: jigsaw top-1 (Taskonomy), BISMO-style latency (w8a8) and Eyeriss-like energy of the encoder (hwnas cost models), unseen pairing (session 47)',
  },
  'tnb-normal-a100-eyeriss-energy': {
    metric: 'normal_ssim',
    latency: 'a100_fp32_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: surface normal SSIM (Taskonomy), A100 fp32 latency and Eyeriss-like energy of the encoder (hwnas cost models), unseen pairing (session 47)',
  },
};
/**
 * Session 48 (table25), pre-registered before any search run on them (bench/data/table25-prereg.md; drawn by
 * bench/table25.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the objects table20-24 read, so that their used sets stay those of their draws.
 */
export const TABLE25_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-jigsaw-a100-eyeriss-energy': {
    metric: 'jigsaw_top1',
    latency: 'a100_fp32_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: jigsaw top-1 (Taskonomy), A100 fp32 latency and Eyeriss-like energy of the encoder (hwnas cost models), unseen pairing (session 48)',
  },
  'tnb-normal-a76': {
    metric: 'normal_ssim',
    latency: 'a76_fp32_ms',
    note: 'TransNAS-Bench-101 micro: surface normal SSIM (Taskonomy), Cortex-A76 fp32 latency of the encoder (hwnas cost model), unseen pairing (session 48)',
  },
  'tnb-scene-eyeriss-energy': {
    metric: 'scene_top1',
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: scene classification top-1 (Taskonomy), Eyeriss-like latency and energy of the encoder (hwnas cost models), unseen pairing (session 48)',
  },
};
/**
 * Session 49 (table26), pre-registered before any search run on them (bench/data/table26-prereg.md; drawn by
 * bench/table26.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the objects table20-25 read, so that their used sets stay those of their draws.
 */
export const TABLE26_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-object-eyeriss-bismo-energy': {
    metric: 'object_top1',
    latency: 'eyeriss_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: object classification top-1 (Taskonomy), Eyeriss-like latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 49)',
  },
  'tnb-scene-a76-bismo-energy': {
    metric: 'scene_top1',
    latency: 'a76_fp32_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: scene classification top-1 (Taskonomy), Cortex-A76 fp32 latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 49)',
  },
  'tnb-jigsaw-a76-bismo-energy': {
    metric: 'jigsaw_top1',
    latency: 'a76_fp32_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: jigsaw top-1 (Taskonomy), Cortex-A76 fp32 latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 49)',
  },
};
/**
 * Session 50 (table27), pre-registered before any search run on them (bench/data/table27-prereg.md; drawn by
 * bench/table27.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the objects table20-26 read, so that their used sets stay those of their draws.
 */
export const TABLE27_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-normal-eyeriss-energy': {
    metric: 'normal_ssim',
    latency: 'eyeriss_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: surface normal SSIM (Taskonomy), Eyeriss-like latency and energy of the encoder (hwnas cost models), unseen pairing (session 50)',
  },
  'tnb-object-bismo-eyeriss-energy': {
    metric: 'object_top1',
    latency: 'bismo_ms',
    energy: 'eyeriss_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: object classification top-1 (Taskonomy), BISMO-style latency (w8a8) and Eyeriss-like energy of the encoder (hwnas cost models), unseen pairing (session 50)',
  },
  'tnb-autoenc-bitfusion': {
    metric: 'autoenc_ssim',
    latency: 'bitfusion_ms',
    note: 'TransNAS-Bench-101 micro: autoencoding SSIM (Taskonomy, a score kept as is), BitFusion-style latency (w8a8) of the encoder (hwnas cost model), unseen pairing (session 50)',
  },
};
/**
 * Session 51 (table28), pre-registered before any search run on them (bench/data/table28-prereg.md; drawn by
 * bench/table28.ts): new pairings of committed tables, 3 objectives allowed, in the pre-registered order. Kept apart from
 * the objects table20-27 read, so that their used sets stay those of their draws.
 */
export const TABLE28_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-normal-a100-bismo-energy': {
    metric: 'normal_ssim',
    latency: 'a100_fp32_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: surface normal SSIM (Taskonomy, a score kept as is), A100 fp32 latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 51)',
  },
  'tnb-room-a100-bismo-energy': {
    metric: 'room_negloss',
    latency: 'a100_fp32_ms',
    energy: 'bismo_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: room layout negative L2 loss (Taskonomy, a score kept as is), A100 fp32 latency and BISMO-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 51)',
  },
  'tnb-scene-eyeriss-bitfusion-energy': {
    metric: 'scene_top1',
    latency: 'eyeriss_ms',
    energy: 'bitfusion_mj',
    note: 'TransNAS-Bench-101 micro, 3 objectives: scene classification top-1 (Taskonomy), Eyeriss-like latency and BitFusion-style energy (w8a8) of the encoder (hwnas cost models), unseen pairing (session 51)',
  },
};
/**
 * Session 56 (table30), pre-registered before any search run on them (bench/data/table30-prereg.md; drawn by
 * bench/table30.ts): new TransNAS micro pairings, 2 objectives, in the pre-registered order. Kept apart from the objects
 * table20-30 read, so that their used sets stay those of their draws.
 */
export const TABLE30_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  'tnb-autoenc-jetson': {
    metric: 'autoenc_ssim',
    latency: 'jetson_fp32_ms',
    note: 'TransNAS-Bench-101 micro: autoencoding SSIM (Taskonomy, a score kept as is), Jetson Nano fp32 latency of the encoder (hwnas cost model), unseen pairing (session 56)',
  },
  'tnb-segment-edgetpu': {
    metric: 'segment_acc',
    latency: 'edgetpu_int8_ms',
    note: 'TransNAS-Bench-101 micro: semantic segmentation pixel accuracy (Taskonomy), Edge TPU int8 latency of the encoder (hwnas cost model), unseen pairing (session 56)',
  },
  'tnb-scene-a100': {
    metric: 'scene_top1',
    latency: 'a100_fp32_ms',
    note: 'TransNAS-Bench-101 micro: scene classification top-1 (Taskonomy), A100 fp32 latency of the encoder (hwnas cost model), unseen pairing (session 56)',
  },
};
/** Every TransNAS-Bench-101 micro problem (sessions 34-56), as the bench registers them. */
export const ALL_TNB_PROBLEMS: Readonly<Record<string, TnbProblemSpec>> = {
  ...TNB_PROBLEMS,
  ...TABLE22_TNB_PROBLEMS,
  ...TABLE23_TNB_PROBLEMS,
  ...TABLE24_TNB_PROBLEMS,
  ...TABLE25_TNB_PROBLEMS,
  ...TABLE26_TNB_PROBLEMS,
  ...TABLE27_TNB_PROBLEMS,
  ...TABLE28_TNB_PROBLEMS,
  ...TABLE30_TNB_PROBLEMS,
};
/** Session 47 (table24): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE24_TNB_PROBLEMS}. */
export const TABLE24_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-c100-help-titanx-1-titanx-32': {
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar100',
    latency: 'help_titanx_1_ms',
    latency2: 'help_titanx_32_ms',
    note: 'NB201, 3 objectives: CIFAR-100 accuracy, Titan X GPU latency at batch 1 and at batch 32 as HELP ships them, unseen pairing (session 47)',
  },
  'nb201-c10-help-titan-rtx-1-titan-rtx-256': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_titan_rtx_1_ms',
    latency2: 'help_titan_rtx_256_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), Titan RTX GPU latency at batch 1 and at batch 256 as HELP ships them, unseen pairing (session 47)',
  },
};
/** Session 47 (table24): NAS-Bench-Graph, see {@link TABLE24_TNB_PROBLEMS}. */
export const TABLE24_NBG_PROBLEMS: Readonly<Record<string, NbgProblemSpec>> = {
  'nbg-computers-latency-params': {
    dataset: 'computers',
    params: true,
    note: 'NAS-Bench-Graph, 3 objectives: Amazon Computers test accuracy, measured latency and parameter count (the benchmark), unseen pairing (session 47)',
  },
};
/** Session 47 (table24): EC-NAS-Bench, see {@link TABLE24_TNB_PROBLEMS}. */
export const TABLE24_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-edgetpu-eyeriss-energy': {
    latency: 'edgetpu_int8_ms',
    energy: 'eyeriss_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, Edge TPU int8 latency and Eyeriss-like energy of the NAS-Bench-101 network (hwnas cost models), unseen pairing (session 47)',
  },
  'ecnas-kwh-bismo': {
    measured: ['energy_kwh'],
    latency: 'bismo_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), BISMO-style latency (w8a8) of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 47)',
  },
};

/** Session 48 (table25): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE25_TNB_PROBLEMS}. */
export const TABLE25_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-in16-help-2080ti-32-titanxp-256': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_2080ti_32_ms',
    latency2: 'help_titanxp_256_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), RTX 2080 Ti GPU latency at batch 32 and Titan Xp GPU latency at batch 256 as HELP ships them, unseen pairing (session 48)',
  },
  'nb201-in16-help-gold-6226-pixel3': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_gold_6226_ms',
    latency2: 'help_pixel3_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), Intel Xeon Gold 6226 CPU latency and Pixel 3 phone latency as HELP ships them, unseen pairing (session 48)',
  },
};
/** Session 48 (table25): EC-NAS-Bench, see {@link TABLE25_TNB_PROBLEMS}. */
export const TABLE25_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-predict-eyeriss-energy': {
    measured: ['predict_s'],
    energy: 'eyeriss_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured test-set prediction time (s, as latency_s), Eyeriss-like energy of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 48)',
  },
  'ecnas-kwh-bitfusion-energy': {
    measured: ['energy_kwh'],
    energy: 'bitfusion_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), BitFusion-style energy (w8a8) of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 48)',
  },
};

/** Session 49 (table26): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE26_TNB_PROBLEMS}. */
export const TABLE26_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-c10-help-gold-6240-eyeriss': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_gold_6240_ms',
    latency2: 'help_eyeriss_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), Intel Xeon Gold 6240 CPU latency and Eyeriss (ASIC) latency as HELP ships them, unseen pairing (session 49)',
  },
  'nb201-in16-help-1080ti-32-2080ti-32': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_1080ti_32_ms',
    latency2: 'help_2080ti_32_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), GTX 1080 Ti GPU latency at batch 32 and RTX 2080 Ti GPU latency at batch 32 as HELP ships them, unseen pairing (session 49)',
  },
};
/** Session 49 (table26): EC-NAS-Bench with hwnas costs, see {@link TABLE26_TNB_PROBLEMS}. */
export const TABLE26_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-kwh-eyeriss': {
    measured: ['energy_kwh'],
    latency: 'eyeriss_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), Eyeriss-like latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 49)',
  },
};
/** Session 49 (table26): EC-NAS-Bench with two of its measured columns ({@link ECNAS_PROBLEMS}' loader), see {@link TABLE26_TNB_PROBLEMS}. */
export const TABLE26_ECNAS_PROBLEMS: Readonly<Record<string, EcnasProblemSpec>> = {
  'ecnas-kwh-predict': {
    costs: ['energy_kwh', 'predict_s'],
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh) and measured test-set prediction time (s, as latency_s), unseen pairing (session 49)',
  },
};

/** Session 50 (table27): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE27_TNB_PROBLEMS}. */
export const TABLE27_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-in16-help-titan-rtx-32-titanx-32': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_titan_rtx_32_ms',
    latency2: 'help_titanx_32_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), Titan RTX GPU latency at batch 32 and Titan X GPU latency at batch 32 as HELP ships them, unseen pairing (session 50)',
  },
  'nb201-c10-help-titanx-1-silver-4114': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_titanx_1_ms',
    latency2: 'help_silver_4114_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), Titan X GPU latency at batch 1 and Intel Xeon Silver 4114 CPU latency as HELP ships them, unseen pairing (session 50)',
  },
  'nb201-in16-help-2080ti-1-2080ti-32': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_2080ti_1_ms',
    latency2: 'help_2080ti_32_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), RTX 2080 Ti GPU latency at batch 1 and at batch 32 as HELP ships them, unseen pairing (session 50)',
  },
};
/** Session 50 (table27): EC-NAS-Bench with hwnas costs, see {@link TABLE27_TNB_PROBLEMS}. */
export const TABLE27_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-kwh-eyeriss-energy': {
    measured: ['energy_kwh'],
    energy: 'eyeriss_mj',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), Eyeriss-like energy of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 50)',
  },
};

/** Session 51 (table28): NB201 with two of HELP's latencies ({@link loadHw360PairTable}), see {@link TABLE28_TNB_PROBLEMS}. */
export const TABLE28_HW360_PAIR_PROBLEMS: Readonly<Record<string, Hw360PairSpec>> = {
  'nb201-c10-help-1080ti-256-essential-ph-1': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_1080ti_256_ms',
    latency2: 'help_essential_ph_1_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), GTX 1080 Ti GPU latency at batch 256 and Essential Phone latency as HELP ships them, unseen pairing (session 51)',
  },
  'nb201-in16-help-1080ti-32-samsung-s7': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_imagenet16',
    latency: 'help_1080ti_32_ms',
    latency2: 'help_samsung_s7_ms',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), GTX 1080 Ti GPU latency at batch 32 and Samsung Galaxy S7 phone latency as HELP ships them, unseen pairing (session 51)',
  },
  'nb201-c10-help-1080ti-1-titan-rtx-256': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-help-latency.csv',
    accuracy: 'acc_cifar10',
    latency: 'help_1080ti_1_ms',
    latency2: 'help_titan_rtx_256_ms',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), GTX 1080 Ti GPU latency at batch 1 and Titan RTX GPU latency at batch 256 as HELP ships them, unseen pairing (session 51)',
  },
};
/** Session 51 (table28): EC-NAS-Bench with a measured column and an hwnas cost, see {@link TABLE28_TNB_PROBLEMS}. */
export const TABLE28_ECNAS_HW_PROBLEMS: Readonly<Record<string, EcnasHwProblemSpec>> = {
  'ecnas-kwh-a100': {
    measured: ['energy_kwh'],
    latency: 'a100_fp32_ms',
    note: 'EC-NAS-Bench, 3 objectives: CIFAR-10 validation accuracy after 4 epochs, measured training energy (kWh), A100 fp32 latency of the NAS-Bench-101 network (hwnas cost model), unseen pairing (session 51)',
  },
};

/**
 * Session 52 (table29), pre-registered before any search run on them (bench/data/table29-prereg.md): NB201 with hwnas cost
 * models of its own network (bench/data/nb201-hwnas-cost.csv, as table17's), one problem per accuracy column, drawn by the
 * rule of bench/table29.ts. Kept apart from {@link HW360_PROBLEMS} so that the draws of bench/table20.ts to table29.ts,
 * which read that object, stay the same after the registration.
 */
export const TABLE29_HW360_PROBLEMS: Readonly<Record<string, Hw360Spec>> = {
  'nb201-c10-eyeriss-energy': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar10',
    latency: 'c10_eyeriss_ms',
    energy: 'c10_eyeriss_mj',
    note: 'NB201, 3 objectives: CIFAR-10 accuracy (12 epochs), latency and energy of the CIFAR-10 network on the Eyeriss-like systolic target (hwnas cost model), unseen pairing (session 52)',
  },
  'nb201-c100-a76-bismo-energy': {
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_cifar100',
    latency: 'c100_a76_fp32_ms',
    energy: 'c100_bismo_mj',
    note: 'NB201, 3 objectives: CIFAR-100 accuracy, Cortex-A76 fp32 latency and BISMO-style energy (w8a8) of the CIFAR-100 network (hwnas cost models), unseen pairing (session 52)',
  },
  'nb201-in16-a100-bitfusion-energy': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_imagenet16',
    latency: 'in16_a100_fp32_ms',
    energy: 'in16_bitfusion_mj',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), A100 fp32 latency and BitFusion-style energy (w8a8) of the 16x16 ImageNet16-120 network (hwnas cost models), unseen pairing (session 52)',
  },
};
/**
 * Session 56 (table30), pre-registered before any search run on them (bench/data/table30-prereg.md; drawn by
 * bench/table30.ts): NB201 with hwnas cost models of its own network, as {@link TABLE29_HW360_PROBLEMS}, apart from it
 * so that table30's draw, which reads that object, stays the same after the registration.
 */
export const TABLE30_HW360_PROBLEMS: Readonly<Record<string, Hw360Spec>> = {
  'nb201-in16-eyeriss': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_imagenet16',
    latency: 'in16_eyeriss_ms',
    note: 'NB201: ImageNet16-120 accuracy (12 epochs), latency of the 16x16 ImageNet16-120 network on the Eyeriss-like systolic target (hwnas cost model), unseen pairing (session 56)',
  },
  'nb201-in16-eyeriss-bismo-energy': {
    file: 'nb201-c10-in16.csv',
    costFile: 'nb201-hwnas-cost.csv',
    accuracy: 'acc_imagenet16',
    latency: 'in16_eyeriss_ms',
    energy: 'in16_bismo_mj',
    note: 'NB201, 3 objectives: ImageNet16-120 accuracy (12 epochs), Eyeriss-like latency and BISMO-style energy (w8a8) of the 16x16 ImageNet16-120 network (hwnas cost models), unseen pairing (session 56)',
  },
};
/** Session 52 (table29): NAS-Bench-Macro with hwnas cost models, see {@link TABLE29_HW360_PROBLEMS}; apart from {@link MACRO_PROBLEMS} for the same reason. */
export const TABLE29_MACRO_PROBLEMS: Readonly<Record<string, MacroProblemSpec>> = {
  'macro-c10-a76-bismo-energy': {
    latency: 'a76_fp32_ms',
    energy: 'bismo_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy (mean of 3 trainings), Cortex-A76 fp32 latency and BISMO-style energy (w8a8) (hwnas cost models), unseen pairing (session 52)',
  },
  'macro-c10-myriadx-bismo-energy': {
    latency: 'myriadx_fp32_ms',
    energy: 'bismo_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy (mean of 3 trainings), Myriad X VPU latency (fp32 policy) and BISMO-style energy (w8a8) (hwnas cost models), unseen pairing (session 52)',
  },
  'macro-c10-bitfusion-eyeriss-energy': {
    latency: 'bitfusion_ms',
    energy: 'eyeriss_mj',
    note: 'NAS-Bench-Macro, 3 objectives: CIFAR-10 accuracy (mean of 3 trainings), BitFusion-style latency (w8a8) and Eyeriss-like energy (hwnas cost models), unseen pairing (session 52)',
  },
};

/** The path of the hwnas cost table of EC-NAS-Bench's classes (bench/data/ecnas-hwnas-cost.csv). */
export function ecnasCostFile(): string {
  return join(process.cwd(), 'bench', 'data', 'ecnas-hwnas-cost.csv');
}

/** The path of EC-NAS-Bench's CSV (bench/data/ec-nas-bench-5v.csv). */
export function ecnasFile(): string {
  return join(process.cwd(), 'bench', 'data', 'ec-nas-bench-5v.csv');
}

/**
 * The path of the NAS-Bench-Graph CSV holding a dataset: bench/data/nas-bench-graph.csv (arxiv, computers, pubmed; the
 * default), bench/data/nas-bench-graph-2.csv (cora, citeseer, photo, cs, physics; session 36) or
 * bench/data/nas-bench-graph-proteins.csv (proteins, on its 5-operation sub-space; session 38).
 */
export function nbgFile(dataset: NbgDataset = 'arxiv'): string {
  if (!(NBG_DATASETS as readonly string[]).includes(dataset))
    throw new ConfigError(`nas-bench-graph dataset '${dataset}': expected one of ${NBG_DATASETS.join(', ')}`);
  if (dataset === 'proteins') return join(process.cwd(), 'bench', 'data', 'nas-bench-graph-proteins.csv');
  const second = (NBG_DATASETS_2 as readonly string[]).includes(dataset);
  return join(process.cwd(), 'bench', 'data', second ? 'nas-bench-graph-2.csv' : 'nas-bench-graph.csv');
}

/** The path of TransNAS-Bench-101 micro's CSV (bench/data/transnas-micro.csv). */
export function tnbFile(): string {
  return join(process.cwd(), 'bench', 'data', 'transnas-micro.csv');
}

/** The path of NAS-Bench-Macro's CSV (bench/data/nas-bench-macro-c10.csv). */
export function macroFile(): string {
  return join(process.cwd(), 'bench', 'data', 'nas-bench-macro-c10.csv');
}

/** An hw360 problem's spec: its own, or the one registered under its name. */
function hw360Spec(problem: Hw360Problem | Hw360Spec): Hw360Spec {
  return typeof problem === 'string' ? (HW360_PROBLEMS[problem] as Hw360Spec) : problem;
}

/** The path of the CSV that holds an hw360 problem's columns (a problem's name or its spec). */
export function hw360File(problem: Hw360Problem | Hw360Spec): string {
  return join(process.cwd(), 'bench', 'data', hw360Spec(problem).file ?? 'nb201-hw360.csv');
}

/** A table problem's objectives: accuracy:max, latency_ms:min and, with an energy column, energy_mj:min. */
export function accuracyLatencyObjectives(spec: { readonly energy?: unknown }): string {
  return spec.energy ? 'accuracy:max,latency_ms:min,energy_mj:min' : 'accuracy:max,latency_ms:min';
}

/** The objectives of an hw360 problem ({@link accuracyLatencyObjectives}). */
export function hw360Objectives(problem: Hw360Problem | Hw360Spec): string {
  return accuracyLatencyObjectives(hw360Spec(problem));
}

/**
 * Loads one problem's columns of its CSV (bench/data/nb201-hw360.csv or nb201-c10-in16.csv, see {@link hw360File}; a problem's name or its spec) as a table with columns accuracy (a percentage's
 * fraction; a score such as Darcy Flow's as it is, in [-1, 1]), latency_ms and, for 3-objective problems, energy_mj.
 */
export function loadHw360Table(path: string, problem: Hw360Problem | Hw360Spec): NasTable {
  const pair = hw360Spec(problem);
  const costPath = pair.costFile === undefined ? undefined : join(dirname(path), pair.costFile);
  // the rows and their checks are kept per file content (bench/hw360-rows.ts); the problem's columns are checked here
  const checked = hw360Rows(path, costPath);
  const space = nb201Space();
  const t = new NasTable(space, pair.energy ? ['accuracy', 'latency_ms', 'energy_mj'] : ['accuracy', 'latency_ms'], costPath ? `${path} + ${costPath}` : path);
  const costFrom = costPath ?? path;
  const accs = checked.column(pair.accuracy, false);
  const lats = checked.column(pair.latency, true);
  const energies = pair.energy ? checked.column(pair.energy, true) : undefined;
  for (let i = 0; i < checked.rows.length; i++) {
    const { cell, arch, row: r, costRow: cr } = checked.rows[i] as Hw360Row;
    const acc = accs[i] as number;
    const lat = lats[i] as number;
    if (pair.score) {
      if (!(acc >= -1 && acc <= 1)) throw new Error(`${path}: ${pair.accuracy} '${r[pair.accuracy]}' of cell ${cell}: expected a score in [-1, 1]`);
    } else if (!(acc >= 0 && acc <= 100)) throw new Error(`${path}: ${pair.accuracy} '${r[pair.accuracy]}' of cell ${cell}: expected a percentage in [0, 100]`);
    if (!(lat >= 0 && Number.isFinite(lat)))
      throw new Error(`${costFrom}: ${pair.latency} '${cr[pair.latency]}' of cell ${cell}: expected a latency >= 0 in ms`);
    const values: Record<string, number> = { accuracy: pair.score ? acc : acc / 100, latency_ms: lat };
    if (pair.energy) {
      const e = (energies as Float64Array)[i] as number;
      if (!(e >= 0 && Number.isFinite(e))) throw new Error(`${costFrom}: ${pair.energy} '${cr[pair.energy]}' of cell ${cell}: expected an energy >= 0 in mJ`);
      values.energy_mj = e;
    }
    t.add(arch, values);
  }
  if (checked.bad) throw checked.bad();
  if (t.size !== 15625) throw new Error(`${path}: ${t.size} cells; expected all 15625 NB201 cells`);
  return t;
}

/**
 * The table with each cell's accuracy replaced by the mean accuracy of its repeat class (`nb201RepeatClasses`: the
 * same computation and the same NB201 isomorphism class, so the same measured latency; other columns unchanged).
 * NB201 / NAS-Bench-360 trained cells of one class separately, so their accuracies differ by training noise; this
 * table scores what a computation is expected to reach, not its luckiest training run (a diagnostic, session 31).
 */
export function classMeanAccuracy(t: NasTable): NasTable {
  const rc = nb201RepeatClasses();
  const sum = new Float64Array(rc.sizes.length);
  const n = new Int32Array(rc.sizes.length);
  const classOf = new Map<string, number>();
  rc.cells.forEach((c, i) => {
    classOf.set(t.space.format(t.space.parse(formatNb201(c))), rc.classOf[i] as number);
  });
  const key = (a: string): number => classOf.get(t.space.format(t.space.parse(a))) as number;
  for (const a of t.archs()) {
    const k = key(a);
    sum[k] = (sum[k] as number) + (t.values(a, ['accuracy'])[0] as number);
    n[k] = (n[k] as number) + 1;
  }
  const out = new NasTable(t.space, t.metrics, `${t.source} (accuracy: mean of each repeat class)`);
  for (const a of t.archs()) {
    const k = key(a);
    const v = t.values(a, t.metrics);
    v[t.metrics.indexOf('accuracy')] = (sum[k] as number) / (n[k] as number);
    out.add(a, Object.fromEntries(t.metrics.map((m, i) => [m, v[i] as number])));
  }
  return out;
}

/**
 * Whether an NB201 cell's output node is cut off from its input: every path from node 0 to node 3 has a 'none'
 * edge (edges in NB201_EDGES order: 0->1, 0->2, 1->2, 0->3, 1->3, 2->3). Such a cell computes a constant.
 */
export function nb201OutputCutOff(cell: readonly string[]): boolean {
  const on = cell.map((op) => op !== 'none');
  const reach1 = on[0];
  const reach2 = on[1] || (reach1 && on[2]);
  return !(on[3] || (reach1 && on[4]) || (reach2 && on[5]));
}

/** The rows of a table whose cell's output is connected to its input (see {@link nb201OutputCutOff}). */
export function connectedCells(t: NasTable): NasTable {
  const out = new NasTable(t.space, t.metrics, `${t.source} (connected cells)`);
  for (const a of t.archs()) if (!nb201OutputCutOff(parseNb201(a))) out.add(a, t.values(a, t.metrics));
  return out;
}

/**
 * The strategy `hwnas nas --table` would build, for a table problem whose space object the bench holds itself
 * (NAS-Bench-Macro, registered as `nas-bench-macro` since session 34; TransNAS-Bench-101 micro, bench/transnas-micro.ts,
 * not registered): the same NAS defaults (`nasStrategyConfig`), with the repeat filter applied directly
 * (`distinctComputations`, as the registry's 'distinct' does) instead of through the registry, which looks the space up
 * by name (the same filter either way). With extra options (a bench label's), the strategy with those options in the
 * repeat filter.
 */
async function unregisteredSpaceStrategy(
  n: string,
  options: Record<string, unknown>,
  space: ArchSpace,
  budget: number,
  seed: number,
  sensitivityCost: (p: Params) => number,
): Promise<SearchStrategy> {
  if (Object.keys(options).length > 0) return distinctComputations(createStrategy(n, options), space);
  const config = await nasStrategyConfig(n, space, { budget, seed, sensitivityCost });
  if (config.name !== DISTINCT) return createStrategy(config.name, config.options);
  const inner = config.options.inner as { name: string; options: Record<string, unknown> };
  return distinctComputations(createStrategy(inner.name, inner.options), space);
}

/**
 * A table problem. With `frameTable`, the true front, its nadir (the reference) and the true hypervolume come from
 * those rows only, and the share against the whole table's true front is reported as `alt`. `missing` lists points of
 * the space that the table has no row for (NAS-Bench-Graph's points without a computing operation): a query of one is
 * a failed trial on both sides (hwnas: the table lookup's error; Optuna: NaN values), every other absent point an error.
 */
function tableProblem(
  name: string,
  note: string,
  table: NasTable,
  dir: string,
  frameTable?: NasTable,
  objectiveSpec = 'accuracy:max,latency_ms:min',
  space: ArchSpace = nb201Space() as ArchSpace,
  missing: readonly string[] = [],
): Problem {
  const objectives = parseObjectives(objectiveSpec);
  const names = objectives.map((o) => o.name);
  const truth = tableHv(frameTable ?? table, objectives);
  const frame: HvFrame = truth.frame;
  const whole = frameTable ? tableHv(table, objectives) : undefined;
  const lookup: Record<string, number[]> = {};
  for (const a of table.archs()) {
    const p = space.toParams(space.parse(a));
    lookup[space.space.names.map((n) => p[n]).join(',')] = table.values(a, names);
  }
  const path = join(dir, `${name}.json`);
  const directions = objectives.map((o) => o.direction);
  // Optuna gets one list of choices when every parameter has the same (NB201: the 5 ops; NAS-Bench-Macro: the 3 layer
  // choices), else each parameter's own (NAS-Bench-Graph: the link patterns and the operations)
  const specs = space.space.names.map((n) => space.space.spec(n));
  const first = specs[0];
  if (!first || specs.some((sp) => sp.kind !== 'categorical')) throw new Error(`table problem ${name}: the Optuna side expects categorical parameters only`);
  const shared = specs.every((sp) => JSON.stringify(sp) === JSON.stringify(first));
  const choiceLists = Object.fromEntries(space.space.names.map((n, i) => [n, (specs[i] as { choices: readonly unknown[] }).choices]));
  const missingKeys = missing.map((s) => {
    const a = space.parse(s);
    if (table.has(space.format(a))) throw new Error(`table problem ${name}: point ${s} is listed as missing but has a row`);
    const p = space.toParams(a);
    return space.space.names.map((n) => p[n]).join(',');
  });
  writeFileSync(
    path,
    JSON.stringify({
      names: space.space.names,
      ...(shared ? { choices: (first as { choices: readonly unknown[] }).choices } : { choicesPer: choiceLists }),
      lookup,
      directions,
      ...(missingKeys.length > 0 ? { missing: missingKeys } : {}),
    }),
  );
  return {
    name,
    note,
    objectives,
    trueFront: truth.front.map((a) => (frameTable ?? table).values(a, names)),
    ratio: (values) =>
      hypervolume(
        normalise(values, objectives, frame),
        objectives.map(() => 1),
      ) / truth.trueHypervolume,
    ...(whole
      ? {
          alt: {
            label: "reference at the whole table's true front's nadir (cut-off cells included)",
            ratio: (values: readonly (readonly number[])[]) =>
              hypervolume(
                normalise(values, objectives, whole.frame),
                objectives.map(() => 1),
              ) / whole.trueHypervolume,
          },
        }
      : {}),
    async runHwnas(label, budget, seed) {
      // session 54 (search54): '<method>^synflow' wraps the method's strategy in a proxy-ranked first ask per MACs group
      // (bench/nb201-proxy-first.ts; SynFlow is free, no accuracy query), on NB201 problems only
      const [strategy, proxy] = label.split('^') as [string, string | undefined];
      if (proxy !== undefined && (proxy !== 'synflow' || space.name !== 'nb201'))
        throw new Error(`method '${label}': '^${proxy}' on space '${space.name}'; expected '^synflow' on an NB201 problem`);
      const [n, labelOpts, screen] = strategySpec(strategy);
      // a label's options go on top of the strategy's NAS defaults (a population from the budget; `auto`: its sides'),
      // as `hwnas nas` sets them without options
      const options = Object.keys(labelOpts).length > 0 ? { ...defaultStrategyOptions(n, budget, space.space.encodedDimension), ...labelOpts } : labelOpts;
      // As `hwnas nas --table` builds it (NAS defaults, the repeat filter); extra options go to the wrapped strategy.
      const sensitivityCost = (p: Params) => table.values(space.format(space.fromParams(p)), ['latency_ms'])[0] as number;
      const s0 =
        space.name !== 'nb201'
          ? await unregisteredSpaceStrategy(n, options, space, budget, seed, sensitivityCost)
          : Object.keys(options).length > 0
            ? createStrategy('distinct', { archSpace: space.name, inner: { name: n, options } })
            : (await createNasStrategy(n, space, { budget, seed, sensitivityCost })).strategy;
      const s1 = proxy === undefined ? s0 : nb201SynflowFirst(s0, name.startsWith('nb201-in16-') ? 'in16' : 'c10');
      const s = screen ? new Prescreen(s1, screen) : s1;
      // the free costs (the table's cost columns): read by the pre-screen's costAware and by TPE's same-cost asks
      // (`sameCostEvery`, session 55); every other strategy ignores them, so its trials are those it gave without them
      const cheap = screen?.costAware || /sameCost/.test(strategy) ? tableCheapObjectives(table, objectives) : undefined;
      const r = await runNas({
        ...(cheap ? { cheapObjectives: cheap } : {}),
        space,
        objectives,
        strategy: s,
        evaluate: tabularEvaluator(table, objectives),
        budget,
        seed,
        frame,
        trueHypervolume: truth.trueHypervolume,
      });
      // r.trials holds complete trials only: a failed query (a point the table has no row for, see `missing`) gives no point
      return r.trials.map((t) => objectives.map((o) => t.values[o.name] as number));
    },
    python: { kind: 'table', path },
  };
}

function unitSpace(n: number): SearchSpace {
  const params: Record<string, { kind: 'float'; low: number; high: number }> = {};
  for (let i = 0; i < n; i++) params[`x${i}`] = { kind: 'float', low: 0, high: 1 };
  return new SearchSpace(params);
}

export type SyntheticName = 'zdt1' | 'zdt2' | 'dtlz2' | 'wfg1' | 'wfg4';

/** WFG problems here: M = 2 objectives, k = 4 position and l = 4 distance parameters (n = 8). */
const WFG_K = 4;

/** Per-objective scale dividing a synthetic problem's values so that its true front's nadir is (1, ..., 1) (WFG: f_m in [0, 2m]). */
function nadirScale(name: SyntheticName, m: number): number[] {
  return name.startsWith('wfg') ? Array.from({ length: m }, (_, i) => 2 * (i + 1)) : Array.from({ length: m }, () => 1);
}

/** Hypervolume of WFG1's true front (M = 2, normalised by (2, 4), reference (1, 1)), by integration over x1. */
function wfg1TrueHv(): number {
  // front: a(x) = 1 - cos(x pi / 2), b(x) = 1 - x + sin(10 pi x) / (10 pi) (mixed, A = 5, alpha = 1); a increases, b does not.
  const steps = 200_000;
  let hv = 0;
  for (let i = 0; i < steps; i++) {
    const x = (i + 0.5) / steps;
    const da = ((Math.PI / 2) * Math.sin((x * Math.PI) / 2)) / steps;
    hv += (1 - (1 - x + Math.sin(10 * Math.PI * x) / (10 * Math.PI))) * da;
  }
  return hv;
}

export function syntheticProblem(name: SyntheticName, n: number): Problem {
  const m = name === 'dtlz2' ? 3 : 2;
  const objectives: Objective[] = Array.from({ length: m }, (_, k) => ({ name: `f${k + 1}`, direction: 'minimize' }));
  const trueHv = name === 'zdt1' ? 2 / 3 : name === 'zdt2' ? 1 / 3 : name === 'dtlz2' ? 1 - Math.PI / 6 : name === 'wfg4' ? 1 - Math.PI / 4 : wfg1TrueHv();
  const scale = nadirScale(name, m);
  const space = unitSpace(n);
  const evaluate = (p: Params): number[] => {
    const x = space.names.map((k) => p[k] as number);
    return syntheticValues(name, x);
  };
  return {
    name,
    note:
      name === 'dtlz2'
        ? `${n} variables, 3 objectives, reference (1, 1, 1)`
        : name.startsWith('wfg')
          ? `${n} variables (k = ${WFG_K} position, ${n - WFG_K} distance), 2 objectives, reference the true front's nadir (2, 4)`
          : `${n} variables, reference (1, 1)`,
    objectives,
    ratio: (values) =>
      hypervolume(
        values.map((v) => v.map((x, i) => x / (scale[i] as number))),
        objectives.map(() => 1),
      ) / trueHv,
    async runHwnas(strategy, budget, seed) {
      const [n0, options, screen] = strategySpec(strategy);
      if (screen?.costAware && name !== 'zdt1' && name !== 'zdt2')
        throw new Error(`method '${strategy}': ${name} has no cheap objective (every objective depends on every variable)`);
      const inner = createStrategy(n0, options);
      const trials = await runTrials({
        // ZDT's f1 = x1 is the cheap objective of a cost-aware run.
        ...(screen?.costAware ? { cheapObjectives: { indices: [0], values: (p: Params) => [p.x0 as number] } } : {}),
        strategy: screen ? new Prescreen(inner, screen) : inner,
        space,
        objectives,
        evaluate: (p) => ({ values: evaluate(p) }),
        nTrials: budget,
        seed,
      });
      return trials.map((t) => t.values as number[]);
    },
    python: { kind: name, n },
  };
}

/** WFG shift / bias / reduction transformations (Huband et al. 2006, section V). */
const sLinear = (y: number, a: number): number => Math.abs(y - a) / Math.abs(Math.floor(a - y) + a);
const sMulti = (y: number, a: number, b: number, c: number): number => {
  const t = Math.abs(y - c) / (2 * (Math.floor(c - y) + c));
  return (1 + Math.cos((4 * a + 2) * Math.PI * (0.5 - t)) + 4 * b * t * t) / (b + 2);
};
const bFlat = (y: number, a: number, b: number, c: number): number =>
  a + (Math.min(0, Math.floor(y - b)) * a * (b - y)) / b - (Math.min(0, Math.floor(c - y)) * (1 - a) * (y - c)) / (1 - c);
const rSum = (y: readonly number[], w: readonly number[]): number => {
  let num = 0;
  let den = 0;
  y.forEach((v, i) => {
    num += (w[i] as number) * v;
    den += w[i] as number;
  });
  return num / den;
};
/** Clamps rounding noise into [0, 1] as the WFG reference code does (correct_to_01). */
const to01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * WFG1 and WFG4 with M = 2 objectives and k = {@link WFG_K} position parameters. The inputs are the
 * WFG paper's z_i / (2 i), so every variable lies in [0, 1] (the paper's domains z_i in [0, 2 i] scaled).
 * Degeneracy constants A = 1, D = 1, S = (2, 4). WFG1: shift s_linear(0.35) and flat region b_flat(0.8,
 * 0.75, 0.85) on the distance parameters, polynomial bias b_poly(0.02) on all, weighted sums (w_i = 2 i),
 * convex + mixed (A = 5, alpha = 1) front. WFG4: multi-modal shift s_multi(30, 10, 0.35) on all, plain
 * sums, concave front (a quarter ellipse).
 */
export function wfgValues(name: 'wfg1' | 'wfg4', x: readonly number[]): number[] {
  const n = x.length;
  const k = WFG_K;
  let y = [...x];
  let tPos: number;
  let tDist: number;
  if (name === 'wfg1') {
    y = y.map((v, i) => (i < k ? v : to01(sLinear(v, 0.35))));
    y = y.map((v, i) => (i < k ? v : to01(bFlat(v, 0.8, 0.75, 0.85))));
    y = y.map((v) => to01(v ** 0.02));
    const w = y.map((_, i) => 2 * (i + 1));
    tPos = to01(rSum(y.slice(0, k), w.slice(0, k)));
    tDist = to01(rSum(y.slice(k, n), w.slice(k, n)));
  } else {
    y = y.map((v) => to01(sMulti(v, 30, 10, 0.35)));
    tPos = to01(rSum(y.slice(0, k), new Array<number>(k).fill(1)));
    tDist = to01(rSum(y.slice(k, n), new Array<number>(n - k).fill(1)));
  }
  // x_1 = max(t_M, A_1) (t_1 - 0.5) + 0.5 with A_1 = 1 is t_1; x_M = t_M
  const x1 = tPos;
  const h1 = name === 'wfg1' ? 1 - Math.cos((x1 * Math.PI) / 2) : Math.sin((x1 * Math.PI) / 2);
  const h2 = name === 'wfg1' ? 1 - x1 - Math.cos(10 * Math.PI * x1 + Math.PI / 2) / (10 * Math.PI) : Math.cos((x1 * Math.PI) / 2);
  return [tDist + 2 * h1, tDist + 4 * h2];
}

/** ZDT1, ZDT2 (2 objectives), DTLZ2 (3 objectives, k = n - 2) and WFG1 / WFG4 (see {@link wfgValues}) at x in [0, 1]^n. */
export function syntheticValues(name: SyntheticName, x: readonly number[]): number[] {
  const n = x.length;
  if (name === 'wfg1' || name === 'wfg4') return wfgValues(name, x);
  if (name === 'dtlz2') {
    let g = 0;
    for (let i = 2; i < n; i++) g += ((x[i] as number) - 0.5) ** 2;
    const a = ((x[0] as number) * Math.PI) / 2;
    const b = ((x[1] as number) * Math.PI) / 2;
    return [(1 + g) * Math.cos(a) * Math.cos(b), (1 + g) * Math.cos(a) * Math.sin(b), (1 + g) * Math.sin(a)];
  }
  let s = 0;
  for (let i = 1; i < n; i++) s += x[i] as number;
  const g = 1 + (9 * s) / (n - 1);
  const f1 = x[0] as number;
  return [f1, g * (1 - (name === 'zdt1' ? Math.sqrt(f1 / g) : (f1 / g) ** 2))];
}

/** A label part 'name~key=value~...' split into its name and options; a value is a number, true / false or a bare word. */
function labelOptions(part: string, label: string): [string, Record<string, unknown>] {
  const [name, ...pairs] = part.split('~') as [string, ...string[]];
  const opts: Record<string, unknown> = {};
  for (const pair of pairs) {
    // a key may name a part's option ('auto~small.frontLocalEvery=2': the option of auto's `small`), or a part's
    // part's ('auto~mid.second.populationSize=30': of the `second` member of auto's `mid` portfolio)
    const m = /^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*){0,2})=([A-Za-z0-9.-]+)$/.exec(pair);
    if (!m) throw new Error(`method '${label}': option '~${pair}': expected ~key=value (a number, true, false or a word)`);
    const [, key, raw] = m as unknown as [string, string, string];
    opts[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?[0-9.]+(e-?[0-9]+)?$/.test(raw) ? Number(raw) : raw;
  }
  return [name, opts];
}

/**
 * Registry name, options and pre-screening of a method label: 'tpe-uni' is univariate TPE (hwnas 'tpe' is
 * multivariate by default); a suffix wraps the strategy in 'prescreen': '+ca' cost-aware with the GP
 * predictor, '+skip' cost-aware skipping only (no model), '+pred' the GP predictor on every objective; '+predpath' /
 * '+capath' as '+pred' / '+ca' with the GP over NB201's path encoding instead of the adjacency (one-hot) one.
 */
export function strategySpec(label: string): [string, Record<string, unknown>, PrescreenOptions | undefined] {
  // session 36 (issue 18, ca13): 'ehvi' cost-aware with the exact-cost expected hypervolume improvement; '5' / '2': ehviShare
  // 0.5 / 0.2. (The extra-candidate variants ehvid, ehvin, ehviu, ehvinu, can, ehvi5d measured worse and were removed with their options.)
  const SUFFIXES: Record<string, PrescreenOptions> = {
    ca: { costAware: true },
    skip: { costAware: true, surrogate: 'none' },
    pred: {},
    predpath: { encoding: 'path' },
    capath: { costAware: true, encoding: 'path' },
    ehvi: { costAware: true, acquisition: 'ehvi' },
    ehvi5: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5 },
    ehvi2: { costAware: true, acquisition: 'ehvi', ehviShare: 0.2 },
    // session 37 (ca14): the EHVI's frame from the current front, outliers of the expensive objective dropped
    ehvi5f: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, ehviReference: 'front' },
    ehvif: { costAware: true, acquisition: 'ehvi', ehviReference: 'front' },
    // ... and a candidate with an evaluated trial's exact costs predicted as a repeat of it
    ehvi5r: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, costRepeats: true },
    ehvi5fr: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, ehviReference: 'front', costRepeats: true },
    // ... and the model choosing on every second ask only (the others: the inner strategy's first candidate not skipped)
    ehvi5fa: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, ehviReference: 'front', ehviEvery: 2 },
    ehvi5fra: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, ehviReference: 'front', costRepeats: true, ehviEvery: 2 },
    // ... the other asks keeping the inner strategy's first proposal not evaluated yet (dominated or not)
    ehvi5fri: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, ehviReference: 'front', costRepeats: true, ehviEvery: 2, ehviOthers: 'inner' },
    // session 38 (ca15): end asks, from 100 complete trials every n-th ask picks, by EHVI, among the points within 2
    // changes of the front's ends (the two most accurate points / the cheapest per cost), alternately
    ehvi5e2: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 2 },
    ehvi5e3: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 3 },
    ehvi5e4: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 4 },
    ehvi5e5: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 5 },
    // ... the top end only
    ehvi5e6t: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 6, endSide: 'top' },
    ehvi5e3t: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 3, endSide: 'top' },
    ehvi5e6tr3: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 6, endSide: 'top', endRadius: 3 },
    ehvi5e4tr3: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 4, endSide: 'top', endRadius: 3 },
    ehvi5e3r3: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 3, endRadius: 3 },
    ehvi5e3a50: { costAware: true, acquisition: 'ehvi', ehviShare: 0.5, endEvery: 3, endAfter: 50 },
  };
  const [head, suffixPart] = label.split('+') as [string, string | undefined];
  // Options spelled out in the label (session 39): 'tpe~endEvery=4~endObjectives=first' gives the strategy's options,
  // '+ehvi5~endEvery=4' the pre-screen's on top of the suffix's; each value a number, true / false or a bare word.
  const [base, baseOpts] = labelOptions(head, label);
  const [suffix, suffixOpts] = suffixPart === undefined ? [undefined, {}] : labelOptions(suffixPart, label);
  if (suffix !== undefined && !Object.hasOwn(SUFFIXES, suffix))
    throw new Error(
      `method '${label}': unknown suffix '+${suffix}'; expected one of ${Object.keys(SUFFIXES)
        .map((k) => `+${k}`)
        .join(', ')}`,
    );
  const screen = suffix === undefined ? undefined : ({ ...SUFFIXES[suffix], ...suffixOpts } as PrescreenOptions);
  // Named labels: a registry name and options (the label's own ~options go on top).
  const NAMED: Record<string, [string, Record<string, unknown>]> = {
    'tpe-uni': ['tpe', { multivariate: false }],
    // The start-up of TPE: 'tpe-iid' / 'tpe-uni-iid' independent uniform draws (the default before session 30), 'tpe-strat' stratified (the default since).
    'tpe-iid': ['tpe', { startup: 'random' }],
    'tpe-strat': ['tpe', { startup: 'stratified' }],
    'tpe-uni-iid': ['tpe', { multivariate: false, startup: 'random' }],
    // session 35: class-aware densities and class-level candidate choice (tpe option classAware; the repeat filter gives
    // the class key)
    'tpe-cls': ['tpe', { classAware: true }],
    // session 36 (search13), 3+ objectives only: the whole first front in the below set (tpe option wholeFront)
    'tpe-wf': ['tpe', { wholeFront: true }],
    // session 37 (search14), 2+ objectives: the below trials weighted by the square root of MOTPE's hypervolume share
    // ('tpe-bws') or all alike ('tpe-bwf') (tpe option belowWeighting)
    'tpe-bws': ['tpe', { belowWeighting: 'sqrt' }],
    'tpe-bwf': ['tpe', { belowWeighting: 'flat' }],
    // session 38 (search15), 2+ objectives: from 100 complete trials every 3rd ask is an end ask, one objective in turn
    // ('tpe-end1': the first objective only), with l / g fitted on the best trials on that objective alone and candidates
    // drawn from that l ('tpe-end', 'tpe-end1') or the best unevaluated 1-3-choice neighbour of that objective's best trial
    // by that l / g ('tpe-endn', frozen for the blind test) (tpe options endEvery, endObjectives, endProposal)
    'tpe-end': ['tpe', { endEvery: 3 }],
    'tpe-end1': ['tpe', { endEvery: 3, endObjectives: 'first' }],
    'tpe-endn': ['tpe', { endEvery: 3, endProposal: 'neighbours' }],
  };
  const [name, opts] = Object.hasOwn(NAMED, base) ? (NAMED[base] as [string, Record<string, unknown>]) : [base, {}];
  return [name, { ...opts, ...baseOpts }, screen];
}

export const OPTUNA_SCRIPT = `
import json, math, sys, time, warnings
warnings.filterwarnings("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
job = json.load(open(sys.argv[1]))
prob = job["problem"]
if prob["kind"] == "table":
    t = json.load(open(prob["path"]))
    names, lookup = t["names"], t["lookup"]
    # one list of choices for every parameter, or each parameter's own ("choicesPer")
    choices_of = t["choicesPer"] if "choicesPer" in t else {n: t["choices"] for n in names}
    # points of the space the table has no row for: a failed trial (NaN values), never a number
    missing = set(t.get("missing", []))
    directions = t.get("directions", ["maximize", "minimize"])
    bad = [k for k, v in lookup.items() if len(v) != len(directions)]
    if bad:
        raise SystemExit("table %s: row %s has %d values; expected one per direction (%d)" % (prob["path"], bad[0], len(lookup[bad[0]]), len(directions)))
    def objective(trial):
        key = ",".join(trial.suggest_categorical(n, choices_of[n]) for n in names)
        if key in missing:
            return tuple(float("nan") for _ in directions)
        return tuple(lookup[key])
else:
    n = prob["n"]
    kind = prob["kind"]
    K = 4
    def s_linear(y, a): return abs(y - a) / abs(math.floor(a - y) + a)
    def s_multi(y, a, b, c):
        t = abs(y - c) / (2 * (math.floor(c - y) + c))
        return (1 + math.cos((4 * a + 2) * math.pi * (0.5 - t)) + 4 * b * t * t) / (b + 2)
    def b_flat(y, a, b, c):
        return a + min(0, math.floor(y - b)) * a * (b - y) / b - min(0, math.floor(c - y)) * (1 - a) * (y - c) / (1 - c)
    def r_sum(y, w): return sum(wi * yi for wi, yi in zip(w, y)) / sum(w)
    def c01(v): return min(1.0, max(0.0, v))
    def wfg(kind, x):
        y = list(x)
        if kind == "wfg1":
            y = [v if i < K else c01(s_linear(v, 0.35)) for i, v in enumerate(y)]
            y = [v if i < K else c01(b_flat(v, 0.8, 0.75, 0.85)) for i, v in enumerate(y)]
            y = [c01(v ** 0.02) for v in y]
            w = [2 * (i + 1) for i in range(len(y))]
            tp, td = c01(r_sum(y[:K], w[:K])), c01(r_sum(y[K:], w[K:]))
            h1 = 1 - math.cos(tp * math.pi / 2)
            h2 = 1 - tp - math.cos(10 * math.pi * tp + math.pi / 2) / (10 * math.pi)
        else:
            y = [c01(s_multi(v, 30, 10, 0.35)) for v in y]
            tp, td = c01(r_sum(y[:K], [1] * K)), c01(r_sum(y[K:], [1] * (len(y) - K)))
            h1, h2 = math.sin(tp * math.pi / 2), math.cos(tp * math.pi / 2)
        return (td + 2 * h1, td + 4 * h2)
    directions = ["minimize"] * (3 if kind == "dtlz2" else 2)
    def objective(trial):
        x = [trial.suggest_float("x%d" % i, 0.0, 1.0) for i in range(n)]
        if kind in ("wfg1", "wfg4"):
            return wfg(kind, x)
        if kind == "dtlz2":
            g = sum((v - 0.5) ** 2 for v in x[2:])
            a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
            return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a))
        g = 1 + 9 * sum(x[1:]) / (n - 1)
        f1 = x[0]
        return (f1, g * (1 - (math.sqrt(f1 / g) if kind == "zdt1" else (f1 / g) ** 2)))
if "points" in job:
    # conformance check of the Python problems against the TypeScript ones (compare-optuna.test.ts)
    print(json.dumps([list(objective(optuna.trial.FixedTrial({"x%d" % i: v for i, v in enumerate(p)}))) for p in job["points"]]))
    sys.exit(0)
def sampler(name, seed):
    if name == "random": return optuna.samplers.RandomSampler(seed=seed)
    if name == "nsga2": return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "tpe": return optuna.samplers.TPESampler(seed=seed)
    if name == "tpe-mv": return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    raise SystemExit("unknown sampler " + name)
out = {"version": optuna.__version__, "runs": []}
# finished runs of the same problem, budget and Optuna version, one JSON line each (--optuna-cache): resumable
cache, done = job.get("cache"), {}
if cache:
    try:
        with open(cache) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # a line cut short by an interrupted run
                if r.get("problem") == job["name"] and r.get("budget") == job["budget"] and r.get("version") == optuna.__version__:
                    done[(r["sampler"], r["seed"])] = r
    except FileNotFoundError:
        pass
    # a run interrupted while writing leaves a line without its end: start the next one on a line of its own
    try:
        with open(cache, "rb") as f:
            f.seek(0, 2)
            if f.tell() > 0:
                f.seek(-1, 2)
                if f.read(1) != b"\\n":
                    with open(cache, "a") as g:
                        g.write("\\n")
    except FileNotFoundError:
        pass
for name in job["samplers"]:
    for seed in job["seeds"]:
        if (name, seed) in done:
            out["runs"].append(done[(name, seed)])
            print("optuna", job["name"], name, "seed", seed, "(cached)", file=sys.stderr, flush=True)
            continue
        t0 = time.time()
        c0 = time.process_time()
        study = optuna.create_study(directions=directions, sampler=sampler(name, seed))
        study.optimize(objective, n_trials=job["budget"])
        run = {"problem": job["name"], "budget": job["budget"], "version": optuna.__version__, "sampler": name, "seed": seed,
               "seconds": time.time() - t0, "cpuSeconds": time.process_time() - c0,
               "values": [list(tr.values) for tr in study.trials if tr.values is not None]}
        out["runs"].append(run)
        if cache:
            with open(cache, "a") as f:
                f.write(json.dumps(run) + "\\n")
        print("optuna", job["name"], name, "seed", seed, "%.1f s" % run["seconds"], file=sys.stderr, flush=True)
print(json.dumps(out))
`;

/** The first of `python3`, `/usr/bin/python3` that imports optuna, or undefined. */
export function pythonWithOptuna(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import optuna'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Options of {@link benchCompareOptuna}. */
export interface CompareOptions {
  readonly budget?: number;
  readonly seeds?: readonly number[];
  readonly problems?: readonly string[];
  readonly strategies?: readonly string[];
  readonly samplers?: readonly string[];
  readonly optuna?: boolean;
  /**
   * A JSON-lines file where every finished Optuna run is appended (problem, budget, Optuna version, sampler,
   * seed, values); runs found there are not run again, so an interrupted comparison resumes.
   */
  readonly optunaCache?: string;
  /**
   * A JSON-lines file where every hwnas run is appended (problem, method, seed, budget, share, and the objective vectors
   * of its complete trials in the order they were evaluated), to trace what a run found and missed.
   */
  readonly trialsOut?: string;
  readonly onProgress?: (msg: string) => void;
}

/** Runs the comparison; rows per (problem, method), methods 'hwnas <strategy>' and 'optuna <sampler>'. */
export async function benchCompareOptuna(o: CompareOptions = {}): Promise<{ rows: CompareRow[]; optuna: string; problems: Record<string, string> }> {
  const budget = o.budget ?? 300;
  const seeds = o.seeds ?? [1, 2, 3, 4, 5];
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-compare-'));
  const say = o.onProgress ?? (() => {});
  try {
    const all: Record<string, () => Problem> = {
      'nb201-heldout': () => tableProblem('nb201-heldout', 'synthetic NB201 table, seed 20261203, held out', heldOutTable(), dir),
      ...Object.fromEntries(
        (Object.keys(HW360_PROBLEMS) as Hw360Problem[]).map((k) => [
          k,
          () => {
            const t = loadHw360Table(hw360File(k), k);
            return tableProblem(k, HW360_PROBLEMS[k].note, t, dir, connectedCells(t), hw360Objectives(k));
          },
        ]),
      ),
      // Session 44 (table21), pre-registered before any search run on them: NB201 with HELP's latencies (the same loader).
      ...Object.fromEntries(
        Object.entries(TABLE21_HW360_PROBLEMS).map(([k, spec]) => [
          k,
          () => {
            const t = loadHw360Table(hw360File(spec), spec);
            return tableProblem(k, spec.note, t, dir, connectedCells(t), hw360Objectives(spec));
          },
        ]),
      ),
      // Sessions 52 and 56 (table29, table30), pre-registered before any search run on them: NB201 with hwnas costs (the same loader).
      ...Object.fromEntries(
        Object.entries({ ...TABLE29_HW360_PROBLEMS, ...TABLE30_HW360_PROBLEMS }).map(([k, spec]) => [
          k,
          () => {
            const t = loadHw360Table(hw360File(spec), spec);
            return tableProblem(k, spec.note, t, dir, connectedCells(t), hw360Objectives(spec));
          },
        ]),
      ),
      // Sessions 45-51 (table22-28), pre-registered before any search run on them: NB201 with two of HELP's latencies.
      ...Object.fromEntries(
        Object.entries({
          ...TABLE22_HW360_PAIR_PROBLEMS,
          ...TABLE23_HW360_PAIR_PROBLEMS,
          ...TABLE24_HW360_PAIR_PROBLEMS,
          ...TABLE25_HW360_PAIR_PROBLEMS,
          ...TABLE26_HW360_PAIR_PROBLEMS,
          ...TABLE27_HW360_PAIR_PROBLEMS,
          ...TABLE28_HW360_PAIR_PROBLEMS,
        }).map(([k, spec]) => [
          k,
          () => {
            const t = loadHw360PairTable(spec);
            return tableProblem(k, spec.note, t, dir, connectedCells(t), HW360_PAIR_OBJECTIVES);
          },
        ]),
      ),
      // diagnostics: '<problem>-classmean' for every NB201 problem, the table with each repeat class's mean accuracy (see
      // classMeanAccuracy; session 31 for NinaPro, session 40 for all): training noise between equal computations averaged
      // out; not held-out figures
      ...Object.fromEntries(
        (Object.keys(HW360_PROBLEMS) as Hw360Problem[]).map((k) => [
          `${k}-classmean`,
          () => {
            const t = classMeanAccuracy(loadHw360Table(hw360File(k), k));
            return tableProblem(
              `${k}-classmean`,
              `diagnostic: ${k} with each repeat class mean accuracy (training noise between equal computations averaged out)`,
              t,
              dir,
              connectedCells(t),
              hw360Objectives(k),
            );
          },
        ]),
      ),
      // Session 33 (table10), pre-registered before any run on them: NAS-Bench-Macro (bench/nas-macro.ts), a macro space
      // (not NB201's cell), with hardware costs from hwnas's cost models of each architecture's IR graph.
      ...Object.fromEntries(
        (Object.keys(MACRO_PROBLEMS) as MacroProblem[]).map((k) => [
          k,
          () => {
            const spec = MACRO_PROBLEMS[k] as MacroProblemSpec;
            return tableProblem(k, spec.note, loadMacroTable(macroFile(), spec), dir, undefined, accuracyLatencyObjectives(spec), macroSpace() as ArchSpace);
          },
        ]),
      ),
      // Session 52 (table29), pre-registered before any search run on them: NAS-Bench-Macro, new pairings of its cost columns.
      ...Object.fromEntries(
        Object.entries(TABLE29_MACRO_PROBLEMS).map(([k, spec]) => [
          k,
          () => tableProblem(k, spec.note, loadMacroTable(macroFile(), spec), dir, undefined, accuracyLatencyObjectives(spec), macroSpace() as ArchSpace),
        ]),
      ),
      // Session 34 (table11), pre-registered before any run on them: TransNAS-Bench-101 micro (bench/transnas-micro.ts), a
      // cell space with zero / skip operations; the true front and its nadir from the cells whose output is not cut off (as
      // the NB201 problems), the whole table's share as alt.
      ...Object.fromEntries(
        Object.entries(ALL_TNB_PROBLEMS).map(([k, v]) => [
          k,
          () => {
            const spec = v as TnbProblemSpec;
            const t = loadTnbTable(tnbFile(), spec);
            return tableProblem(k, spec.note, t, dir, tnbConnectedCells(t), accuracyLatencyObjectives(spec), tnbMicroSpace() as ArchSpace);
          },
        ]),
      ),
      // Session 42 (table19), pre-registered before any run on them: TransNAS-Bench-101 macro (bench/transnas-macro.ts),
      // NASLib's sample of it; the space's codes without a row a failed query on both sides.
      ...Object.fromEntries(
        (Object.keys(TNBM_PROBLEMS) as TnbmProblem[]).map((k) => [
          k,
          () => {
            const spec = TNBM_PROBLEMS[k] as TnbProblemSpec;
            const t = loadTnbmTable(tnbmFile(), spec);
            return tableProblem(k, spec.note, t, dir, undefined, accuracyLatencyObjectives(spec), tnbmMacroSpace() as ArchSpace, tnbmMissing(t));
          },
        ]),
      ),
      // Session 35 (table12), pre-registered before any run on them: NAS-Bench-Graph (bench/nas-bench-graph.ts), a GNN space
      // with per-parameter choices (a link pattern and 4 operations); its 9 points without a computing operation are not in
      // the table (a failed query on both sides).
      ...Object.fromEntries(
        Object.entries({ ...NBG_PROBLEMS, ...TABLE22_NBG_PROBLEMS, ...TABLE23_NBG_PROBLEMS, ...TABLE24_NBG_PROBLEMS }).map(([k, v]) => [
          k,
          () => {
            const spec = v as NbgProblemSpec;
            const t = loadNbgTable(nbgFile(spec.dataset), spec);
            return tableProblem(k, spec.note, t, dir, undefined, nbgObjectives(spec), t.space, enumerateNbg(nbgOps(spec.dataset)).filter(nbgNoComputation));
          },
        ]),
      ),
      // Session 38 (table15), pre-registered before any run on them: EC-NAS-Bench (bench/ec-nas-bench.ts), NAS-Bench-101's
      // 5-vertex cells as edge bits and operations; its invalid points (no input-output path, or 10 edges) are not in the
      // table (a failed query on both sides). Session 49 (table26): one more, pre-registered before any run on it.
      ...Object.fromEntries(
        Object.entries({ ...ECNAS_PROBLEMS, ...TABLE26_ECNAS_PROBLEMS }).map(([k, v]) => [
          k,
          () => {
            const spec = v as EcnasProblemSpec;
            const t = loadEcnasTable(ecnasFile(), spec);
            return tableProblem(
              k,
              spec.note,
              t,
              dir,
              undefined,
              ecnasObjectives(spec),
              t.space,
              enumerateEcnas().filter((a) => ecnasClass(a) === undefined),
            );
          },
        ]),
      ),
      // Session 41 (table18), pre-registered before any run on them: EC-NAS-Bench's accuracy with hwnas cost models of the
      // NAS-Bench-101 network (bench/ecnas-hwnas-cost.ts); invalid points a failed query on both sides, as above.
      ...Object.fromEntries(
        Object.entries({
          ...ECNAS_HW_PROBLEMS,
          ...TABLE20_ECNAS_HW_PROBLEMS,
          ...TABLE22_ECNAS_HW_PROBLEMS,
          ...TABLE23_ECNAS_HW_PROBLEMS,
          ...TABLE24_ECNAS_HW_PROBLEMS,
          ...TABLE25_ECNAS_HW_PROBLEMS,
          ...TABLE26_ECNAS_HW_PROBLEMS,
          ...TABLE27_ECNAS_HW_PROBLEMS,
          ...TABLE28_ECNAS_HW_PROBLEMS,
        }).map(([k, v]) => [
          k,
          () => {
            const spec = v as EcnasHwProblemSpec;
            const t = loadEcnasHwTable(ecnasFile(), ecnasCostFile(), spec);
            return tableProblem(
              k,
              spec.note,
              t,
              dir,
              undefined,
              ecnasHwObjectives(spec),
              t.space,
              enumerateEcnas().filter((a) => ecnasClass(a) === undefined),
            );
          },
        ]),
      ),
      'nb201-fmnist': () =>
        tableProblem('nb201-fmnist', 'committed NB201 table (tuned on)', loadNasTable(join(process.cwd(), 'bench', 'nb201-fmnist.csv'), nb201Space()), dir),
      'nb201-fmnist-v2': () =>
        tableProblem(
          'nb201-fmnist-v2',
          'own NB201 table v2 (220 trained classes, session 29; not tuned on)',
          loadNasTable(join(process.cwd(), 'bench', 'nb201-fmnist-v2.csv'), nb201Space()),
          dir,
        ),
      zdt1: () => syntheticProblem('zdt1', 6),
      zdt2: () => syntheticProblem('zdt2', 6),
      dtlz2: () => syntheticProblem('dtlz2', 12),
      wfg1: () => syntheticProblem('wfg1', 8),
      wfg4: () => syntheticProblem('wfg4', 8),
    };
    const names = o.problems ?? Object.keys(all);
    const rows: CompareRow[] = [];
    const problems: Record<string, string> = {};
    const py = o.optuna === false ? undefined : pythonWithOptuna();
    let optunaNote =
      o.optuna === false ? 'skipped (--no-optuna)' : py === undefined ? 'skipped: no python3 with optuna found (apt-get install python3-optuna)' : '';
    for (const pn of names) {
      const make = all[pn];
      if (!make) throw new Error(`unknown problem '${pn}'; expected one of ${Object.keys(all).join(', ')}`);
      const p = make();
      problems[pn] = p.note;
      const strategies = (o.strategies ?? ['random', 'nsga2', 'evolution', 'two-stage', 'tpe', 'tpe-uni']).filter(
        (s) => s !== 'two-stage' || p.python.kind === 'table',
      );
      if (o.trialsOut && p.trueFront) appendFileSync(o.trialsOut, `${JSON.stringify({ problem: pn, trueFront: p.trueFront })}\n`);
      for (const s of strategies) {
        const runs: number[][][] = [];
        const t0 = performance.now();
        for (const seed of seeds) {
          const values = await p.runHwnas(s, budget, seed);
          runs.push(values);
          const share = p.ratio(values);
          if (o.trialsOut) appendFileSync(o.trialsOut, `${JSON.stringify({ problem: pn, method: `hwnas ${s}`, seed, budget, share, values })}\n`);
          say(`${pn}: hwnas ${s} seed ${seed}: ${share.toFixed(4)}`);
        }
        rows.push(row(p, `hwnas ${s}`, runs, (performance.now() - t0) / 1000 / seeds.length));
      }
      if (py !== undefined) {
        const job = join(dir, `${pn}-job.json`);
        const script = join(dir, 'compare.py');
        writeFileSync(script, OPTUNA_SCRIPT);
        const samplers = o.samplers ?? ['random', 'nsga2', 'tpe', 'tpe-mv'];
        writeFileSync(
          job,
          JSON.stringify({ name: pn, problem: p.python, samplers, seeds, budget, ...(o.optunaCache ? { cache: resolve(o.optunaCache) } : {}) }),
        );
        say(`${pn}: optuna ${samplers.join(', ')} x ${seeds.length} seeds ...`);
        // Python's per-run progress lines go straight to our stderr
        const r = spawnSync(py, [script, job], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', o.onProgress ? 'inherit' : 'pipe'] });
        if (r.status !== 0) throw new Error(`optuna run failed (exit ${r.status})${r.stderr ? `: ${r.stderr}` : ''}`);
        const out = JSON.parse(r.stdout) as { version: string; runs: { sampler: string; seed: number; seconds: number; values: number[][] }[] };
        optunaNote = `optuna ${out.version} (${py})`;
        for (const sm of samplers) {
          const runs = out.runs.filter((x) => x.sampler === sm);
          rows.push(
            row(
              p,
              `optuna ${sm}`,
              runs.map((x) => x.values),
              runs.reduce((a, x) => a + x.seconds, 0) / runs.length,
            ),
          );
        }
      }
    }
    return { rows, optuna: optunaNote, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A result row from the evaluated objective vectors of each seed's run. */
function row(p: Problem, method: string, runs: readonly (readonly (readonly number[])[])[], secondsPerRun: number): CompareRow {
  const stats = (ratios: number[]) => ({ ratios, mean: ratios.reduce((a, b) => a + b, 0) / ratios.length, worst: Math.min(...ratios) });
  return {
    problem: p.name,
    method,
    ...stats(runs.map((v) => p.ratio(v))),
    secondsPerRun,
    ...(p.alt ? { alt: { label: p.alt.label, ...stats(runs.map((v) => (p.alt as NonNullable<Problem['alt']>).ratio(v))) } } : {}),
  };
}

/** The bench's command line (printed by `--help`). */
export const COMPARE_USAGE = `usage: node dist/bench/compare-optuna.js [--problems p,...] [--strategies s,...] [--samplers s,...]
  [--budget N (>= 10; default 300)] [--seeds 1,2,... (default 1-5)] [--no-optuna] [--optuna-cache FILE]
  [--trials-out FILE] [--json]
Without --problems / --strategies / --samplers: every problem, hwnas strategy and Optuna sampler.`;

/** Flags taking a value, and flags alone. */
const VALUE_FLAGS = ['--problems', '--strategies', '--samplers', '--budget', '--seeds', '--optuna-cache', '--trials-out'];
const SWITCHES = ['--json', '--no-optuna'];

/** The first unusable argument of the command line, as an error line, or undefined when every argument is a known flag. */
export function compareArgsError(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (SWITCHES.includes(a)) continue;
    if (!VALUE_FLAGS.includes(a)) return `argument '${a}': expected one of ${[...VALUE_FLAGS, ...SWITCHES].join(', ')} (--help for the usage)`;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) return `${a}: expected a value after it`;
    i++;
  }
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${COMPARE_USAGE}\n`);
    process.exit(0);
  }
  const bad = compareArgsError(args);
  if (bad !== undefined) {
    console.error(`compare-optuna: ${bad}`);
    process.exit(2);
  }
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const list = (name: string): string[] | undefined => flag(name)?.split(',').filter(Boolean);
  const json = args.includes('--json');
  const budget = flag('--budget') !== undefined ? Number(flag('--budget')) : 300;
  if (!(Number.isInteger(budget) && budget >= 10)) {
    console.error(`--budget ${flag('--budget')}: expected an integer >= 10`);
    process.exit(2);
  }
  const seeds = list('--seeds')?.map(Number) ?? [1, 2, 3, 4, 5];
  if (seeds.some((s) => !Number.isInteger(s))) {
    console.error(`--seeds ${flag('--seeds')}: expected integers separated by commas`);
    process.exit(2);
  }
  const strategies = list('--strategies');
  const samplers = list('--samplers');
  const problems = list('--problems');
  const res = await benchCompareOptuna({
    budget,
    seeds,
    ...(strategies ? { strategies } : {}),
    ...(samplers ? { samplers } : {}),
    ...(problems ? { problems } : {}),
    optuna: !args.includes('--no-optuna'),
    ...(flag('--optuna-cache') !== undefined ? { optunaCache: flag('--optuna-cache') as string } : {}),
    ...(flag('--trials-out') !== undefined ? { trialsOut: flag('--trials-out') as string } : {}),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
  if (json) process.stdout.write(`${JSON.stringify({ budget, seeds, ...res }, null, 2)}\n`);
  else {
    process.stdout.write(
      `budget ${budget}, seeds ${seeds.join(',')}; ${res.optuna}\nshare of the true front's hypervolume (reference: the true front's nadir)\n`,
    );
    for (const [pn, note] of Object.entries(res.problems)) {
      process.stdout.write(`\n${pn} (${note})\nmethod\tmean\tworst\tper seed\ts/run\n`);
      for (const r of res.rows.filter((x) => x.problem === pn))
        process.stdout.write(
          `${r.method}\t${r.mean.toFixed(4)}\t${r.worst.toFixed(4)}\t${r.ratios.map((x) => x.toFixed(3)).join(' ')}\t${r.secondsPerRun.toFixed(2)}\n`,
        );
      const alts = res.rows.filter((x) => x.problem === pn && x.alt);
      if (alts.length > 0) {
        process.stdout.write(`${alts[0]?.alt?.label}:\nmethod\tmean\tworst\tper seed\n`);
        for (const r of alts) {
          const a = r.alt as NonNullable<CompareRow['alt']>;
          process.stdout.write(`${r.method}\t${a.mean.toFixed(4)}\t${a.worst.toFixed(4)}\t${a.ratios.map((x) => x.toFixed(3)).join(' ')}\n`);
        }
      }
    }
  }
}
