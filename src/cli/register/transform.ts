import type { Command } from 'commander';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { ALT_FAMILIES } from '../../transform/alt-families.js';
import { lazy } from './lazy.js';

/** `hwnas transform`: HANT operator substitution under a latency budget. */
export function registerTransform(program: Command): void {
  program
    .command('transform <model>')
    .description('replace layers of a trained model by cheaper distilled alternatives (HANT) under a latency budget on a target')
    .requiredOption('--dataset <spec>', 'data set for distillation, fine-tuning and accuracy (mnist | fashion-mnist | ...)')
    .requiredOption('--target <t>', 'hardware target (see hwnas targets)')
    .option('--budget <b>', 'latency budget: latency=<ratio>x of the model, or latency=<ms>ms', 'latency=0.5x')
    .option('--out <file.onnx>', 'where to write the transformed model (ONNX)')
    .option('--precision <preset>', 'precision the latency is costed at (default fp32 if the target runs it, else w8a8)')
    .option('--steps <n>', 'screening distillation steps per alternative (default 40)')
    .option('--distill-samples <n>', 'training images used for distillation (default 1024, or all when fewer; more than the training split holds is refused)')
    .option(
      '--distill-lr <x>',
      'peak learning rate of the screening distillation (default 3e-2: with few steps a high rate ranks alternatives by how well they fit, see docs/transform.md)',
    )
    .option('--families <list>', `comma-separated alternative families (default all: ${ALT_FAMILIES.join(',')})`)
    .option('--units <list>', 'comma-separated units (first-node names) to transform (default all)')
    .option('--finetune-epochs <n>', 'end-to-end fine-tuning epochs (default 4; 0 skips)')
    .option('--finetune-lr <x>', 'fine-tuning peak learning rate, cosine schedule (default 3e-3)')
    .option(
      '--finetune-loss <l>',
      "labels (cross-entropy), logits (regress the teacher's logits) or kd (cross-entropy on labels mixed with the teacher's softmax); default labels",
    )
    .option('--finetune-label-smoothing <x>', 'label smoothing of the fine-tune cross-entropy (default 0.1)')
    .option('--kd-weight <w>', "--finetune-loss kd: weight of the teacher's softmax in the target, 0..1 (default 0.5)")
    .option('--refine <which>', "after screening, distil further: 'pareto' (every unit's loss/latency front, then the ILP again) or 'chosen'; default pareto")
    .option(
      '--scoring <mode>',
      "what the ILP minimises per alternative: local (feature-map distillation loss, default) | network (HANT's: the teacher's held-out loss change with that one unit swapped in)",
    )
    .option('--refine-steps <n>', 'extra distillation steps for the refined alternatives (default 150; 0: none)')
    .option('--refine-lr <x>', 'peak learning rate of the refinement (default 1e-2)')
    .option('--limit <n>', 'use only the first N training images')
    .option('--train-epochs <n>', 'for zoo: models, epochs of float training first (default 2)')
    .option('--seed <n>', 'seed (default 0)')
    .option(
      '--trials <n>',
      "trials of the selection study: 1 = the ILP's choice (default); more = its next-best solutions too, the most accurate on validation images kept",
    )
    .option('--val-samples <n>', 'validation images a trial is scored on (default 1000, or all when fewer; more than the data set has is an error)')
    .option('--store <file>', `store file of the study (default ${DEFAULT_STORE_PATH}); the screening is saved next to it in transform/<study>-<uid>/`)
    .option('--study <name>', 'study name (default transform-<model>-<hash of the settings>: the same command continues its study)')
    .option('--threads <n>', 'worker threads for the trials (default 0: in this process)')
    .option('--redis <url>', 'send the trials to Redis workers (hwnas worker); they need the screening folder at the same path (shared disk)')
    .option('--json', 'print a final JSON object')
    .action(
      lazy(
        () => import('../commands/transform.js'),
        (m) => m.transformAction,
      ),
    );
}
