import type { Command } from 'commander';
import { lazy } from './lazy.js';
import { addTrainFlags } from './train.js';

/** `hwnas ensemble`: bitwise members, voted, costed on hardware targets, optionally exported to one ONNX file. */
export function registerEnsemble(program: Command): void {
  addTrainFlags(
    program
      .command('ensemble <model>')
      .description('train a 1-bit-weight model, sample K members (or train K), vote; accuracy, hardware cost, ONNX (docs/ensembles.md)')
      .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:... | npy:... (see docs/data.md)')
      .option('--members <k>', 'ensemble size K, 1..64 (default 5)')
      .option('--weight-bits <b>', 'weight bits of the inner layers, 1..8 (default 1)')
      .option('--act-bits <b>', 'activation bits of the inner layers, 1..8 or 32 = float (default 8)')
      .option('--edge-bits <b>', 'bits of the first and last conv/dense layers (default 8; 32 = float)')
      .option('--low-bit-edges', 'quantize the first and last layers like the others')
      .option('--low-bit-depthwise', 'quantize depthwise convolutions like the others (default: they stay at --edge-bits)')
      .option('--sampling <mode>', 'stochastic (K samples of one latent model) | independent (K latent models, seeds) (default stochastic)')
      .option('--target <names>', 'hardware target(s), comma-separated (default bismo-cloud)')
      .option('--bitwise-epochs <n>', 'bitwise training epochs of each latent model, from the float weights (default 2)')
      .option('--bitwise-lr <x>', 'peak learning rate of the bitwise training (default: --lr)')
      .option('--ste <variant>', 'identity | clipped straight-through estimator (default identity)')
      .option('--clip <x>', 'clipped STE: gradient where |w| <= clip x mean|w_c| (default 1)')
      .option('--train-binarize <mode>', 'sign | stochastic binarization while training (default: stochastic for --sampling stochastic, else sign)')
      .option('--temperature <t>', 'temperature of the 1-bit sampling probability (default 1)')
      .option('--rounding <mode>', 'activation rounding at inference: nearest | lfsr (stochastic, seeded LFSR) (default nearest)')
      .option('--compare-rounding', 'also evaluate the other rounding mode')
      .option('--vote <rule>', 'majority | mean (mean of softmax) for ensembleAccuracy (default majority)')
      .option('--out <file.onnx>', 'write one ONNX file with every member and the vote, and check it with onnxruntime')
      .option(
        '--weight-format <f>',
        'weights in the --out file: float (+-scale float32) | qdq (int8 codes, {-1,+1} at 1 bit, + DequantizeLinear) (default float)',
      )
      .option('--distill <w>', 'bitwise training target: (1 - w) labels + w float model softmax, w in [0, 1] (default 0)')
      .option('--json', 'print a final JSON object'),
  ).action(
    lazy(
      () => import('../commands/ensemble.js'),
      (m) => m.ensembleAction,
    ),
  );
}
