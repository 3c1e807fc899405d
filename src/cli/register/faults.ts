import type { Command } from 'commander';
import { FAULT_KINDS } from '../../resilience/fault-model.js';
import { parseFaultFlags } from '../commands/faults-flags.js';
import { lazy } from './lazy.js';

/** `hwnas faults`. */
export function registerFaults(program: Command): void {
  program
    .command('faults <model>')
    .description('fault injection: accuracy under random bit flips / stuck-at faults in weights and activations, per BER, with per-layer vulnerability')
    .requiredOption('--dataset <spec>', 'mnist | fashion-mnist | idx:... | npy:... (accuracy on its test split)')
    .option('--ber <list>', 'bit error rates, comma-separated (default 1e-6,1e-5,1e-4)')
    .option('--flips <list>', 'exact numbers of bits hit per run instead of --ber (weights only; at most the bits the weights hold)')
    .option('--sites <s>', 'weights | activations | both (default weights)')
    .option('--kind <k>', `fault kind: ${FAULT_KINDS.join(' | ')} (default flip)`)
    .option('--trials <n>', 'runs per site and rate (default 50)')
    .option(
      '--policy <p>',
      "precision policy of the deployed model: preset (w8a8, w4a4, ...), JSON file or inline JSON (default: a QDQ .onnx file's own precision, as quantize --out writes it; else float32)",
    )
    .option('--threshold <acc>', 'a run below this accuracy (0..1) is a critical failure (default 0.9 x baseline)')
    .option('--layer-trials <n>', 'runs per layer for the per-layer vulnerability (0 = skip; default min(trials, 10))')
    .option('--layer-rate <x>', 'BER in (0, 1] (or, with --flips, a bit count >= 1) of the per-layer runs (default the largest given)')
    .option('--images <n>', 'use only the first N test images')
    .option('--epochs <n>', 'zoo models are trained first for this many epochs (default 1)')
    .option('--batch-size <n>', 'inference batch (default 500)')
    .option('--seed <n>', 'seed of the faults (and of a zoo model training) (default 0)')
    .option('--range-restriction', 'protection: clip each layer block output to the [min, max] profiled on 2,000 training images')
    .option(
      '--harden <n|layers>',
      'protection: SEC-DED ECC on the weights of the N most vulnerable layers (topology predictor) or of the named layers (a,b,...)',
    )
    .option('--target <name>', 'hardware target the protection is costed on (default bitfusion-edge)')
    .option(
      '--weight-scale <g>',
      'integer weight codes scaled per-channel (default, as the QDQ export) | per-tensor | asymmetric (per channel, unsigned codes with a zero point)',
    )
    .option(
      '--sampling <s>',
      'weight faults at a BER: independent (default) | stratified (per layer and bit rank the expected count, same positions for every policy under one --seed: lower variance)',
    )
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/faults.js'),
        (m) => m.faultsCommandAction,
        (_model, f) => parseFaultFlags(f),
      ),
    );
}
