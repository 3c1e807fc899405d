/**
 * The NAS-Bench-Macro space (Su et al., "Prioritized Architecture Sampling with Monte-Carlo Tree Search", CVPR 2021;
 * github.com/xiusu/NAS-Bench-Macro): a CIFAR-10 network of a 3x3 stem conv (32 channels, BN, ReLU), 8 searched layers
 * in three stages of 2, 3 and 3 layers (the first layer of a stage has stride 2 and doubles the channels: 64, 128,
 * 256), a 1x1 head conv to 1280 channels (BN, ReLU), global average pooling and a 10-way classifier. Each layer is one of
 * - `0` identity (at a stage's first layer a 1x1 stride-2 conv + BN, since the shape changes),
 * - `1` a MobileNetV2 inverted-residual block with kernel 3 and expansion 3,
 * - `2` the same with kernel 5 and expansion 6;
 * so 3^8 = 6,561 architecture strings such as `02012100` (layer 1 first).
 *
 * Equivalent architectures: an identity at a stage's non-first layer computes nothing, so architectures that differ
 * only in where a stage's identities sit compute the same network (3,969 distinct networks). The benchmark trained one
 * network per class and copied its figures to every member (its `get_real_arch`: the stage's identities moved to its
 * end); {@link macroRealArch} is that class, used as the space's `isomorphismKey`, and the graphs of a class are equal,
 * so hwnas's repeat filter never asks for a second member of a class.
 *
 * Its table, with hardware columns from hwnas's cost models, is bench/data/nas-bench-macro-c10.csv (built by
 * bench/nas-macro.ts); `hwnas nas --space nas-bench-macro --table <csv>` reads it through the registry's default
 * column mapping (registry.ts, docs/nas.md).
 */
import { ConfigError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import type { Graph } from '../../ir/types.js';
import { SearchSpace } from '../space.js';
import type { Params } from '../types.js';
import { addInvertedResidual } from './mbv2.js';
import type { ArchGraphOptions, ArchSpace } from './types.js';

/** Registry name of the space. */
export const MACRO_SPACE = 'nas-bench-macro';
/** Layers per stage (the benchmark's `stages=[2, 3, 3]`). */
export const MACRO_STAGES = [2, 3, 3] as const;
/** The parameter value of each layer choice, by the benchmark's digit (0 identity, 1 MB3_K3, 2 MB6_K5). */
export const MACRO_CHOICES = ['id', 'mb3k3', 'mb6k5'] as const;
/** Searched layers (parameters `l1` .. `l8`). */
export const MACRO_LAYERS = 8;
const STEM = 32;
const HEAD = 1280;

/** The benchmark's class of an architecture: each stage's identity layers after its first moved to the stage's end. */
export function macroRealArch(arch: string): string {
  let out = '';
  let i = 0;
  for (const n of MACRO_STAGES) {
    const stage = arch.slice(i, i + n);
    i += n;
    const rest = stage.slice(1);
    out += stage[0] + rest.replace(/0/g, '') + '0'.repeat(rest.length - rest.replace(/0/g, '').length);
  }
  return out;
}

/** Checks an architecture string (8 digits 0-2) and returns it trimmed (ConfigError quoting it otherwise). */
export function checkMacroArch(s: string): string {
  if (typeof s !== 'string' || !/^[012]{8}$/.test(s.trim()))
    throw new ConfigError(`nas-bench-macro architecture '${s}': expected 8 digits 0-2 (0 identity, 1 MB3_K3, 2 MB6_K5), e.g. '02012100'`);
  return s.trim();
}

/** The NAS-Bench-Macro space (see the module doc); points are 8-digit strings. */
export function macroSpace(): ArchSpace<string> {
  const names = Array.from({ length: MACRO_LAYERS }, (_, i) => `l${i + 1}`);
  const space = new SearchSpace(Object.fromEntries(names.map((n) => [n, { kind: 'categorical' as const, choices: [...MACRO_CHOICES] }])));
  return {
    name: MACRO_SPACE,
    space,
    toParams: (a) => Object.fromEntries(names.map((n, i) => [n, MACRO_CHOICES[Number(a[i])] as string])),
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`nas-bench-macro point: ${why}`);
      return names.map((n) => String(MACRO_CHOICES.indexOf(p[n] as (typeof MACRO_CHOICES)[number]))).join('');
    },
    format: (a) => a,
    parse: checkMacroArch,
    isomorphismKey: macroRealArch,
    graph: (a, opts) => macroGraph(a, opts),
    slots: () => ['stem', ...names, 'head', 'fc'],
    slotOf: (node) => {
      if (node === 'stem' || node === 'head' || node === 'fc') return node;
      const m = /^(l\d)_/.exec(node);
      return m ? m[1] : undefined;
    },
    slotParams: (slot) => (/^l\d$/.test(slot) ? [slot] : []),
  };
}

/**
 * The IR graph of an architecture, as the benchmark's train/model.py builds it: by default its CIFAR-10 shape (3x32x32
 * input, 10 classes); `opts` changes the input size, input channels and classes only.
 */
export function macroGraph(arch: string, opts: ArchGraphOptions = {}): Graph {
  const a = checkMacroArch(arch);
  const size = opts.inputSize ?? 32;
  const b = new GraphBuilder(`nas-bench-macro-${a}`, [opts.inChannels ?? 3, size, size]);
  let x = b.relu(b.bn(b.conv(b.input, { out: STEM, kernel: 3, pad: 'same', bias: false, name: 'stem' }), { name: 'stem_bn' }), 'stem_act');
  let ch = STEM;
  let k = 0;
  for (const n of MACRO_STAGES) {
    for (let j = 0; j < n; j++) {
      const op = a[k] as string;
      const p = `l${k + 1}`;
      k++;
      const out = j === 0 ? ch * 2 : ch;
      const stride = j === 0 ? 2 : 1;
      if (op === '0') {
        // identity; at a stage's first layer the shape changes, so a 1x1 stride-2 conv + BN (the benchmark's downsample)
        if (j === 0) x = b.bn(b.conv(x, { out, kernel: 1, stride, bias: false, name: `${p}_down` }), { name: `${p}_down_bn` });
      } else {
        const blk = op === '1' ? { kernel: 3, expansion: 3 } : { kernel: 5, expansion: 6 };
        x = addInvertedResidual(b, x, out, stride, { ...blk, se: false, act: 'relu' }, p);
      }
      ch = out;
    }
  }
  x = b.relu(b.bn(b.conv(x, { out: HEAD, kernel: 1, bias: false, name: 'head' }), { name: 'head_bn' }), 'head_act');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.dense(x, opts.classes ?? 10, { name: 'fc' }));
  return b.build();
}

/** Every architecture string, layer 1 the most significant digit (the benchmark's itertools.product order). */
export function enumerateMacro(): string[] {
  return Array.from({ length: 3 ** MACRO_LAYERS }, (_, i) => i.toString(3).padStart(MACRO_LAYERS, '0'));
}
