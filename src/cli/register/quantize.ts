import type { Command } from 'commander';
import type { QuantStrategy } from '../../quant/index.js';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { lazy } from './lazy.js';
import { AS_FINISHED_HELP } from './study.js';

/** The strategies of `hwnas quantize --strategy`. */
export const STRATEGIES: readonly QuantStrategy[] = ['haq', 'ilp', 'cw-hawq', 'greedy', 'uniform', 'random', 'nsga2'];

/** `hwnas quantize` and `hwnas sensitivity`. */
export function registerQuantize(program: Command): void {
  program
    .command('quantize <model>')
    .description(
      'mixed-precision search on a hardware target under a budget (HAQ, HAWQ-style ILP, CW-HAWQ, greedy, uniform, random) as a resumable study in the store (the same command continues it), then QAT and QDQ ONNX export of the best feasible trial',
    )
    .requiredOption(
      '--dataset <spec>',
      "mnist | fashion-mnist | cifar10:<dir> | imagefolder:<dir> | idx:... | npy:...; ';limit=<n>' or ';limit=train:<n>,val:<n>,test:<n>' uses fewer images (the counts are printed)",
    )
    .requiredOption('--target <t>', "hardware target (see 'hwnas targets')")
    .option('--strategy <s>', `${STRATEGIES.join(' | ')} (default ilp)`)
    .requiredOption(
      '--budget <b>',
      'latency=0.8x | energy=0.5x | size=<bytes> | bops=<n> (x = relative to uniform W8A8 on the target; without x the number is absolute: latency in ms, energy in mJ, size in bytes)',
    )
    .option('--bits <list>', 'candidate bit-widths, each once (default 2,3,4,5,6,7,8 within what the target runs)')
    .option('--episodes <n>', 'search episodes for haq / cw-hawq / random (default 40)')
    .option('--finetune-epochs <n>', 'quantization-aware fine-tuning epochs (default 1; 0 = post-training only)')
    .option('--train-epochs <n>', 'for zoo: models, epochs of float training first (default 2)')
    .option('--search-images <n>', 'validation images that score each candidate (default 1000, or all when fewer; more than the data set has is an error)')
    .option(
      '--reward <r>',
      'how a candidate is scored: ptq (post-training accuracy, default) | finetune (HAQ: accuracy after 1 epoch of QAT on 2000 training images, much slower)',
    )
    .option(
      '--ptq <steps>',
      'post-training steps for the chosen policy before its PTQ accuracy and QAT, comma-separated: fold, cle, clip[=mse|percentile], bias, adaround[=<sweeps>], all, none (docs/quantization.md)',
    )
    .option('--seed <n>', 'seed (default 0)')
    .option(
      '--trials <n>',
      'trials of ilp (further solutions at budgets tightened by 2% steps) and uniform (next uniform widths), default 1; for greedy, a cap (default: the bound on its path; it stops when the budget is met)',
    )
    .option('--out <q.onnx>', 'write the quantized model as QDQ ONNX and check it in onnxruntime')
    .option('--policy-out <policy.json>', 'write the chosen precision policy (usable by hwnas cost --policy)')
    .option('--store <file>', `experiment store (default ${DEFAULT_STORE_PATH}); a trained zoo: model is kept next to it in models/<study>-<uid>.json`)
    .option('--study <name>', 'study name (default quantize-<strategy>-<hash of the settings>: the same command continues its study)')
    .option('--threads <n>', 'worker threads that evaluate trials (default 0: in this process)')
    .option('--as-finished', AS_FINISHED_HELP)
    .option('--redis <url>', 'enqueue trials on this Redis (redis://host:port) for hwnas worker processes')
    .option('--evaluator <name>', 'quant-policy (post-training accuracy in hwnas, the default) | command (your own program scores each policy: --cmd)')
    .option('--cmd <line>', '--evaluator command: the shell line that evaluates a trial folder ({dir}, or $HWNAS_TRIAL_DIR; see docs/evaluators.md)')
    .option('--cmd-timeout <s>', '--evaluator command: seconds before the process group is killed (default 3600)')
    .option(
      '--max-fault-score <x>',
      "resilience constraint: the topology predictor's expected damage of a policy from weight bit flips must not exceed x (docs/resilience.md); with --strategy ilp it is also a row of the integer program",
    )
    .option('--fault-ber <x>', 'bit error rate of --max-fault-score, the fault_drop / fault_score objectives and --max-fault-drop (default 1e-5)')
    .option(
      '--objectives <list>',
      'with --strategy nsga2 (or random): accuracy:max first, then any of latency_ms, energy_mj, size_kb, fault_drop (measured weight-fault drop), fault_score (the predictor) :min; the text and the JSON list the feasible front (default accuracy:max)',
    )
    .option(
      '--max-fault-drop <spec>',
      'resilience constraint measured by injection: <points>pp[@<ber>] (e.g. 1pp@1e-3) or a fraction; trials whose weight-fault accuracy drop exceeds it are infeasible (docs/resilience.md)',
    )
    .option('--fault-runs <n>', 'weight-fault runs per trial for fault_drop / --max-fault-drop (default 5; the same fault positions for every trial)')
    .option('--fault-images <n>', 'validation images of each fault run (default 500, or all when fewer; more than the validation split holds is refused)')
    .option(
      '--protect <list>',
      'with --strategy ilp and --max-fault-score: protection the ILP may choose to meet the line, costed on the target: ecc (SEC-DED ECC per layer), range (range restriction), or ecc,range (docs/resilience.md)',
    )
    .option(
      '--act-damage <m>',
      "cw-hawq: how lowering a layer's input activation is weighed: hessian (activation Hessian traces per channel, default) | measured (loss increase when only that input is quantized; docs/quantization.md)",
    )
    .option(
      '--act-channels',
      "cw-hawq: channel-wise activation bits: each conv layer's input channels (when no other layer reads that input) ordered by their own activation Hessian traces, the agent setting the share one activation width up (docs/quantization.md)",
    )
    .option(
      '--recheck <k>',
      "greedy: after the first step, each step re-evaluates the moved layer's moves and the k best other moves by their last measured ratio (default 8; 0 = every move at every step)",
    )
    .option('--json', 'print a JSON result')
    .action(
      lazy(
        () => import('../commands/quantize.js'),
        (m) => m.quantizeAction,
      ),
    );

  program
    .command('sensitivity <model>')
    .description('Hessian-trace sensitivity per layer (Hutchinson, exact Hessian-vector products), optionally per output channel')
    .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:... | npy:...')
    .option('--samples <n>', 'training images in the loss (default 256)')
    .option('--per-channel', 'also per output channel traces')
    .option('--tol <x>', "stop probing a layer once its trace's standard error is at most this fraction of the trace (default 0.05; at most 100 probes)")
    .option('--seed <n>', 'seed (default 0)')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/quantize.js'),
        (m) => m.sensitivityAction,
      ),
    );
}
