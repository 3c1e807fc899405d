import type { Command } from 'commander';
import { lazy } from './lazy.js';

/**
 * Training defaults of `hwnas train` and the demo: batch 64, Adam at a peak lr of 3e-3 with a cosine schedule. (A zoo
 * model that quantize, transform or faults trains first goes through {@link trainedModel}: batch 128, lr 2e-3.) On the MNIST reference CNN one epoch reaches 98.40 /
 * 98.46 / 98.24% test accuracy (seeds 1-3, 1 worker; BENCHMARKS.md "Training defaults"); the engine's
 * library defaults (batch 128, lr 1e-3) reached 96.4%.
 */
export const CLI_TRAIN_DEFAULTS = { batchSize: 64, adamLr: 3e-3, sgdLr: 0.05 } as const;

/** Common training flags. */
export function addTrainFlags(c: Command): Command {
  return c
    .option('--epochs <n>', 'training epochs')
    .option('--batch-size <n>', `batch size (default ${CLI_TRAIN_DEFAULTS.batchSize})`)
    .option('--optimizer <name>', 'adam | sgd (default adam)')
    .option('--lr <x>', `peak learning rate (default ${CLI_TRAIN_DEFAULTS.adamLr} adam, ${CLI_TRAIN_DEFAULTS.sgdLr} sgd)`)
    .option('--schedule <name>', 'cosine | step | constant (default cosine)')
    .option('--weight-decay <x>', 'L2 weight decay (default 0)')
    .option('--label-smoothing <x>', 'label smoothing (default 0)')
    .option('--augment [px]', 'random-crop augmentation: pad by px (default 2) and crop back; plus horizontal flips for fashion-mnist')
    .option('--workers <n>', '1 | 2 | auto: data-parallel gradient threads (default auto)')
    .option('--limit <n>', 'use only the first N training images')
    .option('--seed <n>', 'seed of initial weights, shuffling, augmentation (default 0)');
}

/** `hwnas train`. */
export function registerTrain(program: Command): void {
  addTrainFlags(
    program
      .command('train <model>')
      .description(
        "train a model (zoo:<name>, .onnx, .json, or 'space:<space>:<arch>': an architecture string hwnas nas prints, built for the data set's classes) on a data set and export it to ONNX",
      )
      .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:... | npy:... (see docs/data.md)')
      .option('--out <file.onnx>', 'where to write the trained model (ONNX)')
      .option('--json', 'print a final JSON object')
      .option('--task <name>', 'classification | retrieval (default classification; see docs/retrieval.md)')
      .option('--embedding-dim <d>', "--task retrieval: embedding dimension (default 64, or the gallery model's)")
      .option('--loss <name>', '--task retrieval: norm-softmax | proxy-anchor (default norm-softmax)')
      .option('--compatible-with <g.onnx>', '--task retrieval: train compatibly with this frozen gallery model (its proxies + alignment)')
      .option('--align-weight <x>', '--task retrieval with --compatible-with: weight λ of the alignment term (default 100; docs/retrieval.md)')
      .option('--compat <mode>', '--task retrieval with --compatible-with: both | head (frozen gallery proxies only) | align (alignment only); default both')
      .option(
        '--val-every <n>',
        '--task retrieval: every n epochs (and after the last) print validation mAP and recall@1 (validation queries against the training split; cross-model with --compatible-with); default 0 = off',
      ),
  ).action(
    lazy(
      () => import('../commands/train.js'),
      (m) => m.trainAction,
    ),
  );
}
