import type { Command } from 'commander';
import { lazy } from './lazy.js';

/** `hwnas targets`, `hwnas cost`, `hwnas measure`, `hwnas predictor fit|eval`. */
export function registerHardware(program: Command): void {
  program
    .command('targets')
    .description('list the registered hardware targets (use a name, name?param=value, lut:<file>, predictor:<file> or a target .json)')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/hardware.js'),
        (m) => m.targetsAction,
      ),
    );

  program
    .command('cost <model>')
    .description('hardware-aware complexity report: per layer MACs, bit ops, bytes, traffic, latency, energy, bound, area')
    .requiredOption('--target <t>', "hardware target (see 'hwnas targets')")
    .option(
      '--policy <p>',
      "precision: preset (w8a8, w4a4, fp32, ...), policy JSON file or inline JSON (default: a QDQ .onnx file's own precision, as quantize --out writes it; a lookup table's own precision, also with ?fallback=; else w8a8, or fp32 on targets without 8-bit support such as host-cpu)",
    )
    .option('--compare <spec>', "second target or policy to compare with: 'target=<t>' or 'policy=<p>'")
    .option('--totals', 'totals only, no per-layer table')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/hardware.js'),
        (m) => m.costAction,
      ),
    );

  program
    .command('measure <model>')
    .description('measure per-layer and whole-network latency on this CPU with onnxruntime-node; write a lookup table')
    .requiredOption('--out <lut.json>', 'lookup table to write (JSON, or CSV by extension)')
    .option('--repeats <n>', 'minimum timed runs per layer (default 30)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default 1)')
    .option(
      '--policy <p>',
      'also time the channel-group slices this policy asks for (policy JSON file or inline JSON), each at its own shape, so the table can cost it',
    )
    .option('--json', 'print the measurement as JSON')
    .action(
      lazy(
        () => import('../commands/hardware.js'),
        (m) => m.measureAction,
      ),
    );

  const pred = program.command('predictor').description('fit or evaluate a learned latency predictor on measured lookup tables');
  pred
    .command('fit <lut...>')
    .description('fit gradient-boosted trees on one or more measured lookup tables')
    .requiredOption('--out <model.json>', 'where to write the predictor')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/hardware.js'),
        (m) => m.predictorFitAction,
      ),
    );
  pred
    .command('eval <model.json> <lut...>')
    .description('RMSE, MAPE, Kendall tau and share within +-10% of a predictor on held-out measured tables')
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/hardware.js'),
        (m) => m.predictorEvalAction,
      ),
    );
}
