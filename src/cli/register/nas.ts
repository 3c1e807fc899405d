import type { Command } from 'commander';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { checkNasFlags, NAS_EVALUATORS } from '../commands/nas-flags.js';
import { describeOption, helpDetails, lazy } from './lazy.js';
import { AS_FINISHED_HELP } from './study.js';

/** Help of a flag that names a registry's entries, set by the command's help loader. */
const PENDING = '(loaded with the command)';

/** `hwnas nas`: hardware-aware architecture search, on a tabular benchmark or by short training. */
export function registerNas(program: Command): void {
  const nas = program
    .command('nas')
    .description('hardware-aware architecture search over nb201 / mbv2 / nas-bench-macro (+bits) spaces, from a table or by short training')
    .requiredOption('--space <name>', PENDING)
    .option('--table <file>', 'tabular benchmark (.csv with header arch,<metric>... or .json; see docs/nas.md)')
    .option(
      '--table-columns <map>',
      "with --table: read each metric from a named column, 'metric=column[%],...' (% = a percentage read as a fraction; other columns ignored), e.g. accuracy=acc_mean%,latency_ms=edgetpu_int8_ms (default for nas-bench-macro's CSV: accuracy=acc_mean%,latency_ms=a76_fp32_ms,energy_mj=eyeriss_mj,params,flops,macs; docs/nas.md)",
    )
    .option('--table-delay <ms>', 'with --table: pause this long per lookup (to try interruption, resume and remote workers on a table)')
    .option(
      '--dataset <spec>',
      'data set for training-based evaluation (e.g. fashion-mnist); with --evaluator command, each trial network takes its channels, size and classes, and the command gets its spec (architecture.json)',
    )
    .option(
      '--target <name>',
      'hardware target for latency (default bitfusion-edge); with --table only for --strategy two-stage / capacity (the table holds the costs)',
    )
    .option('--strategy <name>', PENDING, 'auto')
    .requiredOption('--budget <n>', 'number of architectures to evaluate (queries)')
    .option('--objectives <spec>', 'e.g. accuracy:max,latency_ms:min (the default)')
    .option('--seed <n>', 'study seed (default 0)')
    .option('--epochs <n>', 'training epochs per trial without --table (default 1)')
    .option('--limit <n>', 'training images without --table (default 2000; validation images: half, at least 500); or limit= in the dataset spec')
    .option(
      '--policy <preset>',
      'precision for latency, e.g. w8a8 (default fp32 where the target runs it, else w8a8); with --table only for --strategy two-stage / capacity',
    )
    .option(
      '--evaluator <name>',
      `without --table: ${NAS_EVALUATORS.join(' | ')} (train: short training per trial; supernet: one SPOS supernet, inherited weights; mbv2 spaces) (default train)`,
    )
    .option('--cmd <line>', '--evaluator command: the shell line that evaluates a trial folder ({dir}, or $HWNAS_TRIAL_DIR; see docs/evaluators.md)')
    .option('--cmd-timeout <s>', '--evaluator command: seconds before the process group is killed (default 3600)')
    .option('--supernet-steps <n>', 'SPOS training steps of the supernet evaluator (default 1000)')
    .option('--supernet-sampling <mode>', "supernet evaluator: uniform (default) | macs-bins (SPOS's sampling: a MACs bin uniformly, then a path in it)")
    .option('--bn-images <n>', 'supernet evaluator: training images batch norm is recalibrated on per candidate (default 512)')
    .option('--latency <mode>', "model (the target's cost model, default) | network (host-cpu: the whole network timed with onnxruntime)")
    .option('--no-latency-anchor', '--latency network: time each architecture alone instead of interleaved with a fixed anchor network of the space')
    .option('--max-latency <ms>', 'latency constraint: trials above it are infeasible (--strategy capacity: the line it repairs architectures under)')
    .option('--capacity-points <n>', '--strategy capacity: random architectures repaired per (width, input size) stratum (default 30)')
    .option('--store <file>', `store the study is recorded in (default ${DEFAULT_STORE_PATH}); then hwnas report <study> / hwnas study resume <study>`)
    .option('--storage <file>', 'same as --store')
    .option('--study <name>', 'study name (default nas-<space>-<strategy>-<hash of the settings>: the same command run again continues its study)')
    .option(
      '--threads <n>',
      'worker threads evaluating trials, 0-64, at most the budget (default 0: in this process); with --redis: trials in flight on the queue (default 4)',
    )
    .option('--as-finished', AS_FINISHED_HELP)
    .option('--redis <url>', 'enqueue trials on this Redis (redis://host:port) for hwnas worker processes')
    .option('--queue <name>', 'queue name with --redis (default hwnas-trials)')
    .option('--teacher <arch>', "--strategy blockwise: the teacher architecture (default: the space's largest)")
    .option('--teacher-epochs <n>', '--strategy blockwise: teacher training epochs (default 2)')
    .option('--candidates <n>', "--strategy blockwise: candidate configurations distilled per stage, the teacher's own included (default 12)")
    .option('--distill-steps <n>', '--strategy blockwise: distillation steps per candidate (default 200)')
    .option('--finetune-epochs <n>', '--strategy blockwise: end-to-end fine-tuning epochs of each assembled student (default 1)')
    .option(
      '--precisions <list>',
      '+bits spaces: the precision labels each slot chooses among, some of w8a8,w4a8,w4a4,w2a8,w2a2 (default all five; stored with the study). --strategy blockwise: the precisions each stage candidate is scored at (default w8a8,w4a8,w4a4,w2a8; the first is the reference)',
    )
    .option(
      '--qa-steps <n>',
      '--strategy blockwise on a +bits space: quantization-aware distillation steps per candidate and precision (default 50; 0: post-training quantization)',
    )
    .option(
      '--fit-trials <n>',
      '--strategy blockwise: random students measured before the accuracy predictor is fitted (default 8 on +bits spaces, else 0: the plain sum of losses)',
    )
    .option(
      '--split <mode>',
      "--strategy two-stage: stage 1's part: position (HURRICANE: the early or late stages carrying most latency effect, plus input size and width; default where the space has stages) | effect (parameters by their own latency effect)",
    )
    .option('--no-op-preselection', '--strategy two-stage: keep every operator (default: drop operators slow on the target for their MACs and parameters)')
    .option('--qaft-epochs <n>', '+bits spaces: quantization-aware fine-tuning epochs after the float training (default 1)')
    .option('--ptq', '+bits spaces: score the float-trained net by post-training quantization instead of fine-tuning it')
    .option(
      '--max-fault-drop <spec>',
      'resilience constraint: trials losing more accuracy under weight bit flips are infeasible, e.g. 1pp@1e-5 (injection per trial)',
    )
    .option('--fault-ber <x>', 'bit error rate of the fault_drop / fault_score objectives (default 1e-5)')
    .option('--fault-runs <n>', 'weight-fault injection runs per trial for fault_drop (default 5)')
    .option('--fault-images <n>', 'validation images per injection run (default 1000)')
    .option(
      '--protect <p>',
      "ecc: protection as a choice of each trial (+bits spaces, --evaluator train, nsga2 / random / tpe / evolution): the trial's ecc_share (0, 0.25, 0.5, 1) hardens that share of its layers with SEC-DED ECC, the predictor's most vulnerable first; the ECC cost on the target is in latency_ms / energy_mj, the fault runs see it (docs/resilience.md)",
    )
    .option('--no-distinct', 'allow proposals that repeat an architecture (or an isomorphic one) already evaluated')
    .option(
      '--out <file.onnx|folder>',
      '--evaluator train: after the search, train the front network(s) again as their trials were (same data, epochs and seed) and write them as ONNX (QDQ at each trial precision for a +bits space): a .onnx path gets the front trial of the best first objective, a folder trial-<n>.onnx per front trial (docs/nas.md)',
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--cost-aware',
      "screen 16 proposals per query by their hardware cost (the table's cost columns, or with --evaluator train the target's cost model: no query spent), skip surely dominated ones, pick by a GP of accuracy (strategy 'prescreen'; docs/search-strategies.md)",
    )
    .option(
      '--predictor',
      'screen 16 proposals per query with a GP predictor of accuracy over the architecture encoding (implied by --cost-aware, which then predicts accuracy only)',
    )
    .option('--no-predictor', 'with --cost-aware: only skip surely dominated proposals, no GP (measured worse than plain search; docs/search-strategies.md)')
    .option(
      '--predictor-encoding <name>',
      "with --predictor / --cost-aware: what the GP sees, 'onehot' (the default: one-hot per parameter, the adjacency encoding on NB201) or 'path' (--space nb201 only: BANANAS-style path encoding)",
    )
    .option(
      '--acquisition <name>',
      "with --cost-aware (GP on): how the GP's prediction ranks proposals, 'optimistic' (the default: the hypervolume mean - 0.5 sd adds) or 'ehvi' (expected hypervolume improvement, exact since the costs are known; docs/search-strategies.md)",
    )
    .option(
      '--ehvi-share <x>',
      "with --acquisition ehvi: keep the search strategy's first proposal whose expected improvement is at least x times the best one's (0 < x <= 1; default 1: the best)",
    )
    .option('--task <name>', 'classification | retrieval (CMP-NAS: query models compatible with --gallery-model; docs/retrieval.md)')
    .option('--gallery-model <g.onnx>', '--task retrieval: the frozen gallery (paragon) retrieval model')
    .option(
      '--align-weight <x>',
      "--task retrieval: weight λ >= 0 of the alignment term in each trial's compatible training (default 1; stored with the study)",
    )
    .action(
      lazy(
        () => import('../commands/nas.js'),
        (m) => m.nasAction,
        checkNasFlags,
      ),
    );
  // the registries' names, loaded with the command (its action needs them) or for the reference page
  helpDetails(nas, async () => {
    const [{ archSpaceDescriptions }, { nasStrategyNames }] = await Promise.all([
      import('../../search/spaces/registry.js'),
      import('../../nas/strategy-config.js'),
      import('../plugins.js'),
    ]);
    describeOption(nas, '--space', `${Object.keys(archSpaceDescriptions()).join(' | ')}, optionally with +bits (joint precision); see docs/nas.md`);
    describeOption(
      nas,
      '--strategy',
      `a registered strategy: ${nasStrategyNames().join(' | ')} (alias: evolution); default auto (NSGA-II on spaces of large classes of equal computation, TPE elsewhere)`,
    );
  });
}
