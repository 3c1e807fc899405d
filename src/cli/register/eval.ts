import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas eval`. */
export function registerEval(program: Command): void {
  program
    .command('eval <model.onnx>')
    .description('test accuracy of an ONNX model in onnxruntime-node')
    .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:... | npy:...')
    .option('--split <name>', 'test | val (default test)')
    .option('--batch-size <n>', 'inference batch (default 256; a model whose file fixes the batch, as torch.onnx.export does, runs in chunks of it)')
    .option(
      '--policy <p>',
      'post-training accuracy under a precision policy (preset such as w8a2, or policy.json): engine fake-quant, activations calibrated on training images, beside the float accuracy',
    )
    .option('--calibration-images <n>', 'with --policy: training images that calibrate activation ranges (default 512)')
    .option(
      '--ptq <steps>',
      'with --policy: post-training steps, comma-separated: fold, cle, clip[=mse|percentile], bias, adaround[=<sweeps>], all, none (docs/quantization.md)',
    )
    .option('--json', 'print JSON')
    .option('--task <name>', 'classification | retrieval (default classification; retrieval: mAP / recall@k, see docs/retrieval.md)')
    .option('--gallery-model <g.onnx>', '--task retrieval: the gallery model (adds galleryModel and crossModel figures)')
    .action(
      lazy(
        () => import('../commands/eval.js'),
        (m) => m.evalAction,
      ),
    );
}
