import type { Command } from 'commander';
import { loadDataset } from '../../data/index.js';
import { ConfigError } from '../../errors.js';
import { defaultPolicy, policyPreset } from '../../hardware/precision.js';
import { getTarget } from '../../hardware/registry.js';
import { CapacityStrategy, checkCapacityArgs } from '../../nas/capacity.js';
import { type ArchLatencyOptions, archCost, archLatencyMs, archPolicy, type LatencyMode } from '../../nas/cost.js';
import { parseObjectives } from '../../nas/objectives.js';
import { createNasStrategy, NAS_STRATEGIES, type NasResult, nasDatasetOptions, runNas, tableHv } from '../../nas/run.js';
import { spaceInputShape } from '../../search/spaces/types.js';
import { loadNasTable, tabularEvaluator } from '../../nas/tabular.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import type { Store } from '../../store/types.js';
import type { Evaluator } from '../../study/run-study.js';
import { intOption, printJson } from '../io.js';
import { Rng } from '../../util/rng.js';
import { createProgress } from '../progress.js';

interface NasFlags {
  readonly space: string;
  readonly table?: string;
  readonly dataset?: string;
  readonly target?: string;
  readonly strategy: string;
  readonly budget: string;
  readonly objectives?: string;
  readonly seed?: string;
  readonly epochs?: string;
  readonly limit?: string;
  readonly policy?: string;
  readonly evaluator?: string;
  readonly supernetSteps?: string;
  readonly latency?: string;
  readonly maxLatency?: string;
  readonly capacityPoints?: string;
  readonly latencyAnchor?: boolean;
  readonly storage?: string;
  readonly store?: string;
  readonly study?: string;
  readonly json?: boolean;
  readonly distinct?: boolean;
}

/** Evaluators `hwnas nas` accepts without a table. */
const NAS_EVALUATORS = ['train', 'supernet'] as const;

/** `hwnas nas`: hardware-aware architecture search, on a tabular benchmark or by short training. */
export function registerNas(program: Command): void {
  program
    .command('nas')
    .description('hardware-aware architecture search over nb201 / mbv2 (+bits) spaces, from a table or by short training')
    .requiredOption('--space <name>', 'nb201 | mbv2 | mbv2-imagenet, optionally with +bits (joint precision)')
    .option('--table <file>', 'tabular benchmark (.csv with header arch,<metric>... or .json; see docs/nas.md)')
    .option('--dataset <spec>', 'data set for training-based evaluation (e.g. fashion-mnist)')
    .option('--target <name>', 'hardware target for latency (default bitfusion-edge)')
    .requiredOption('--strategy <name>', NAS_STRATEGIES.join(' | '))
    .requiredOption('--budget <n>', 'number of architectures to evaluate (queries)')
    .option('--objectives <spec>', 'e.g. accuracy:max,latency_ms:min (the default)')
    .option('--seed <n>', 'study seed (default 0)')
    .option('--epochs <n>', 'training epochs per trial without --table (default 1)')
    .option('--limit <n>', 'training images without --table (default 2000; validation images: half, at least 500); or limit= in the dataset spec')
    .option('--policy <preset>', 'precision for latency, e.g. w8a8 (default fp32 where the target runs it, else w8a8)')
    .option('--evaluator <name>', `without --table: ${NAS_EVALUATORS.join(' | ')} (train: short training per trial; supernet: one SPOS supernet, inherited weights; mbv2 spaces) (default train)`)
    .option('--supernet-steps <n>', 'SPOS training steps of the supernet evaluator (default 1000)')
    .option('--latency <mode>', "model (the target's cost model, default) | network (host-cpu: the whole network timed with onnxruntime)")
    .option('--no-latency-anchor', '--latency network: time each architecture alone instead of interleaved with a fixed anchor network of the space')
    .option('--max-latency <ms>', 'latency constraint: trials above it are infeasible (--strategy capacity: the line it repairs architectures under)')
    .option('--capacity-points <n>', '--strategy capacity: random architectures repaired per (width, input size) stratum (default 30)')
    .option('--storage <file>', 'SQLite store to record the trials in (with --study; then `hwnas report <study> --store <file>`)')
    .option('--store <file>', 'same as --storage')
    .option('--study <name>', 'study name in the store (default nas-<space>-<strategy>-<seed>); an existing study of the same space resumes')
    .option('--no-distinct', 'allow proposals that repeat an architecture (or an isomorphic one) already evaluated')
    .option('--json', 'print the result as JSON')
    .action(async (f: NasFlags) => {
      const space = getArchSpace(f.space);
      if (!(NAS_STRATEGIES as readonly string[]).includes(f.strategy)) throw new ConfigError(`--strategy '${f.strategy}': expected one of ${NAS_STRATEGIES.join(', ')}`);
      const budget = intOption('--budget', f.budget, 0, 1);
      const seed = intOption('--seed', f.seed, 0, 0);
      const objectives = parseObjectives(f.objectives ?? 'accuracy:max,latency_ms:min');
      const epochs = intOption('--epochs', f.epochs, 1, 1);
      const target = getTarget(f.target ?? 'bitfusion-edge');
      const policy = f.policy !== undefined ? policyPreset(f.policy) : undefined;
      const evaluatorName = f.evaluator ?? 'train';
      if (!(NAS_EVALUATORS as readonly string[]).includes(evaluatorName)) throw new ConfigError(`--evaluator '${evaluatorName}': expected one of ${NAS_EVALUATORS.join(', ')}`);
      const latencyMode = (f.latency ?? 'model') as LatencyMode;
      if (latencyMode !== 'model' && latencyMode !== 'network') throw new ConfigError(`--latency '${f.latency}': expected 'model' or 'network'`);
      // network timing: a fixed point of the space (seeded) is timed with every architecture, against drift
      const anchor = latencyMode === 'network' && f.latencyAnchor !== false ? space.fromParams(space.space.sample(new Rng(0))) : undefined;
      const latency: ArchLatencyOptions = anchor !== undefined ? { mode: latencyMode, anchor: space.graph(anchor) } : { mode: latencyMode };
      const maxLatency = f.maxLatency === undefined ? undefined : Number(f.maxLatency);
      if (maxLatency !== undefined && !(maxLatency > 0)) throw new ConfigError(`--max-latency '${f.maxLatency}': expected a positive number of milliseconds`);
      if (f.strategy === 'capacity') checkCapacityArgs(space, maxLatency); // before loading data
      if (f.storage !== undefined && f.store !== undefined && f.storage !== f.store) throw new ConfigError(`--storage '${f.storage}' and --store '${f.store}' name different files: give one`);
      const storePath = f.storage ?? f.store;
      let evaluate: Evaluator;
      let extra: { frame?: ReturnType<typeof tableHv>['frame']; trueHypervolume?: number } = {};
      if (f.table !== undefined) {
        if (f.dataset !== undefined) throw new ConfigError('give either --table or --dataset, not both');
        const table = loadNasTable(f.table, space);
        evaluate = tabularEvaluator(table, objectives);
        const hv = tableHv(table, objectives);
        extra = { frame: hv.frame, trueHypervolume: hv.trueHypervolume };
      } else {
        if (f.dataset === undefined) throw new ConfigError('give --table <file> (tabular benchmark) or --dataset <spec> (short training per trial)');
        const d = nasDatasetOptions(f.dataset, f.limit === undefined ? undefined : intOption('--limit', f.limit, 2000, 1), spaceInputShape(space));
        const dataset = await loadDataset(d.spec, d.options);
        const common = { space, dataset, target, objectives, ...(policy ? { policy } : {}), latency, ...(maxLatency !== undefined ? { maxLatencyMs: maxLatency } : {}) };
        if (evaluatorName === 'supernet') {
          const { supernetEvaluator } = await import('../../nas/supernet.js'); // loads the engine
          const steps = intOption('--supernet-steps', f.supernetSteps, 1000, 1);
          evaluate = supernetEvaluator({ ...common, steps, seed });
        } else {
          const { trainingEvaluator } = await import('../../nas/train-eval.js'); // loads the engine
          evaluate = trainingEvaluator({ ...common, epochs });
        }
      }
      let store: Store | undefined;
      if (storePath !== undefined) {
        const { SqliteStore } = await import('../../store/sqlite-store.js');
        store = new SqliteStore(storePath);
      } else if (f.study !== undefined) throw new ConfigError(`--study '${f.study}' needs --storage <file> (the SQLite store to record it in)`);
      if (f.strategy === 'two-stage' && target.kind === 'measured') throw new ConfigError(`--strategy two-stage ranks parameters by the latency of 200 random architectures from the target's cost model; '${target.name}' is measured per architecture: use another strategy or a modelled target`);
      const capacityBar = f.strategy === 'capacity' ? createProgress({ total: 1, label: 'capacity search', quiet: !!f.json }) : undefined;
      const { strategy, sensitive } = createNasStrategy(f.strategy, space, {
        budget,
        seed,
        distinct: f.distinct !== false,
        sensitivityCost: (p) => archCost(space, p, target, policy ? { policy } : {}).latencyMs,
        capacity: {
          latency: async (a) => {
            const g = space.graph(a);
            return (await archLatencyMs(target, g, archPolicy(space, a, g, policy ?? defaultPolicy(target)), latency)).latencyMs;
          },
          ...(maxLatency !== undefined ? { line: maxLatency } : {}),
          perStratum: intOption('--capacity-points', f.capacityPoints, 30, 1),
          onProgress: (done, total) => {
            if (done === 1) capacityBar?.setTotal(total);
            capacityBar?.update(done);
          },
        },
      });
      if (strategy instanceof CapacityStrategy) {
        // the repairs run before the study so that their progress has its own bar
        try {
          const c = await strategy.search();
          if (!f.json) process.stderr.write(`capacity search: ${c.picks.length} strata with a point under ${maxLatency} ms, ${c.feasible.length} distinct feasible points, ${c.latencyCalls} latencies taken\n`);
        } finally {
          capacityBar?.stop();
        }
      }
      const bar = createProgress({ total: budget, label: 'nas', fields: ['best'], quiet: !!f.json });
      let r: NasResult;
      try {
        r = await runNas({
          space,
          objectives,
          strategy,
          evaluate,
          budget,
          seed,
          ...extra,
          ...(sensitive ? { sensitive } : {}),
          ...(store ? { store } : {}),
          ...(f.study !== undefined ? { studyName: f.study } : {}),
          studyUserAttrs: { strategy: f.strategy, target: target.name, evaluator: f.table !== undefined ? 'table' : evaluatorName, ...(f.dataset !== undefined ? { dataset: f.dataset } : {}), ...(anchor !== undefined ? { latencyAnchor: space.format(anchor) } : {}) },
          onProgress: (p) => bar.update(p.done, { best: `${p.best.length} on front` }),
        });
      } finally {
        bar.stop();
        (store as { close?: () => void } | undefined)?.close?.();
      }
      if (f.json) {
        printJson({
          space: space.name,
          strategy: f.strategy,
          target: target.name,
          objectives,
          seed,
          trials: r.trials.map((t) => ({ arch: t.arch, values: t.values })),
          pareto: r.pareto.map((t) => ({ arch: t.arch, values: t.values })),
          hypervolume: r.hypervolume,
          hypervolumeCurve: r.hypervolumeCurve,
          ...(r.trueHypervolume !== undefined ? { trueHypervolume: r.trueHypervolume, hypervolumeRatio: r.hypervolumeRatio } : {}),
          ...(r.sensitive ? { sensitive: r.sensitive } : {}),
          failed: r.failed,
          infeasible: r.infeasible,
          ...(store ? { store: storePath, study: f.study ?? `nas-${space.name}-${strategy.name}-${seed}` } : {}),
        });
        return;
      }
      const out = process.stdout;
      out.write(`${space.name} / ${f.strategy}: ${r.trials.length} architectures evaluated${r.infeasible > 0 ? ` (${r.infeasible} over the constraint)` : ''}, ${r.pareto.length} on the Pareto front\n`);
      if (storePath !== undefined) out.write(`trials recorded in ${storePath}, study '${f.study ?? `nas-${space.name}-${strategy.name}-${seed}`}' (hwnas report <study> --store ${storePath})\n`);
      out.write(`hypervolume ${r.hypervolume.toFixed(4)}${r.hypervolumeRatio !== undefined ? ` (${(r.hypervolumeRatio * 100).toFixed(1)}% of the table's true front)` : ''}\n`);
      if (r.sensitive) out.write(`stage 1 (hardware-sensitive) parameters: ${r.sensitive.join(', ')}\n`);
      const names = objectives.map((o) => o.name);
      out.write(`${names.join('\t')}\tarch\n`);
      for (const t of [...r.pareto].sort((a, b) => (a.values[names[0] as string] as number) - (b.values[names[0] as string] as number))) {
        out.write(`${names.map((n) => Number(t.values[n]).toPrecision(5)).join('\t')}\t${t.arch}\n`);
      }
    });
}
