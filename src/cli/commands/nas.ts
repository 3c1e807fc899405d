import type { Command } from 'commander';
import { loadDataset } from '../../data/index.js';
import { ConfigError } from '../../errors.js';
import { policyPreset } from '../../hardware/precision.js';
import { getTarget } from '../../hardware/registry.js';
import { archCost } from '../../nas/cost.js';
import { parseObjectives } from '../../nas/objectives.js';
import { createNasStrategy, NAS_STRATEGIES, type NasResult, runNas, tableHv } from '../../nas/run.js';
import { loadNasTable, tabularEvaluator } from '../../nas/tabular.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import type { Evaluator } from '../../study/run-study.js';
import { Rng } from '../../util/rng.js';
import { intOption, printJson } from '../io.js';
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
  readonly json?: boolean;
}

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
    .option('--limit <n>', 'training images per trial without --table (default 2000)')
    .option('--policy <preset>', 'precision for latency, e.g. w8a8 (default fp32 where the target runs it, else w8a8)')
    .option('--json', 'print the result as JSON')
    .action(async (f: NasFlags) => {
      const space = getArchSpace(f.space);
      if (!(NAS_STRATEGIES as readonly string[]).includes(f.strategy)) throw new ConfigError(`--strategy '${f.strategy}': expected one of ${NAS_STRATEGIES.join(', ')}`);
      const budget = intOption('--budget', f.budget, 0, 1);
      const seed = intOption('--seed', f.seed, 0, 0);
      const objectives = parseObjectives(f.objectives ?? 'accuracy:max,latency_ms:min');
      const epochs = intOption('--epochs', f.epochs, 1, 1);
      const limit = intOption('--limit', f.limit, 2000, 1);
      const target = getTarget(f.target ?? 'bitfusion-edge');
      const policy = f.policy !== undefined ? policyPreset(f.policy) : undefined;
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
        const probe = space.graph(space.fromParams(space.space.sample(new Rng(0))));
        const shape = probe.nodes[0]?.op === 'input' ? probe.nodes[0].shape : [1, 28, 28];
        const dataset = await loadDataset(f.dataset, { size: shape[1] as number, channels: shape[0] as number, limit: { train: limit, test: Math.max(500, Math.round(limit / 2)) } });
        const { trainingEvaluator } = await import('../../nas/train-eval.js'); // loads the engine
        evaluate = trainingEvaluator({ space, dataset, target, objectives, epochs, ...(policy ? { policy } : {}) });
      }
      const { strategy, sensitive } = createNasStrategy(f.strategy, space, {
        budget,
        seed,
        sensitivityCost: (p) => archCost(space, p, target, policy ? { policy } : {}).latencyMs,
      });
      const bar = createProgress({ total: budget, label: 'nas', fields: ['best'], quiet: !!f.json });
      const r: NasResult = await runNas({
        space,
        objectives,
        strategy,
        evaluate,
        budget,
        seed,
        ...extra,
        ...(sensitive ? { sensitive } : {}),
        onProgress: (p) => bar.update(p.done, { best: `${p.best.length} on front` }),
      });
      bar.stop();
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
        });
        return;
      }
      const out = process.stdout;
      out.write(`${space.name} / ${f.strategy}: ${r.trials.length} architectures evaluated, ${r.pareto.length} on the Pareto front\n`);
      out.write(`hypervolume ${r.hypervolume.toFixed(4)}${r.hypervolumeRatio !== undefined ? ` (${(r.hypervolumeRatio * 100).toFixed(1)}% of the table's true front)` : ''}\n`);
      if (r.sensitive) out.write(`stage 1 (hardware-sensitive) parameters: ${r.sensitive.join(', ')}\n`);
      const names = objectives.map((o) => o.name);
      out.write(`${names.join('\t')}\tarch\n`);
      for (const t of [...r.pareto].sort((a, b) => (a.values[names[0] as string] as number) - (b.values[names[0] as string] as number))) {
        out.write(`${names.map((n) => Number(t.values[n]).toPrecision(5)).join('\t')}\t${t.arch}\n`);
      }
    });
}
