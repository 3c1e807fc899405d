/**
 * A MobileNetV2-style macro space (as searched by the Movidius VPU NAS and HURRICANE): a stem conv,
 * stages of inverted-residual blocks, a 1x1 head conv, global pool and a classifier. Per block:
 * depthwise kernel 3/5/7, expansion 1/3/6, optional squeeze-excite, activation ReLU or hard-swish;
 * per stage: depth; global: width multiplier and input size.
 *
 * Architecture string: `r<input>-w<width>:<stage>|<stage>|...`, each stage a comma-separated list of
 * blocks `k<kernel>e<expansion><r|h>[s]` (`r` ReLU, `h` hard-swish, trailing `s` = squeeze-excite).
 * Example (small preset): `r28-w1:k3e1r|k5e6h,k3e3rs|k3e6r,k7e6h|k5e6hs`.
 */
import { ConfigError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import { makeDivisible } from '../../ir/zoo/imagenet.js';
import { type ParamSpec, SearchSpace } from '../space.js';
import type { JsonValue, Params } from '../types.js';
import type { ArchGraphOptions, ArchSpace } from './types.js';

/** Activation of a block. */
export type Mbv2Act = 'relu' | 'hswish';

/** One inverted-residual block. */
export interface Mbv2Block {
  readonly kernel: number;
  readonly expansion: number;
  readonly se: boolean;
  readonly act: Mbv2Act;
}

/** A point of the space. */
export interface Mbv2Arch {
  readonly inputSize: number;
  readonly width: number;
  /** Blocks per stage (the stage's depth is the array's length). */
  readonly stages: readonly (readonly Mbv2Block[])[];
}

/** A stage of the skeleton: output channels (before the width multiplier), first-block stride, depth range. */
export interface Mbv2StageSpec {
  readonly channels: number;
  readonly stride: number;
  readonly minDepth: number;
  readonly maxDepth: number;
}

/** The skeleton and choices of a MobileNetV2-style space. */
export interface Mbv2SpaceOptions {
  /** Registry name (default 'mbv2'). */
  readonly name?: string;
  readonly stemChannels: number;
  readonly stemStride: number;
  readonly stages: readonly Mbv2StageSpec[];
  /** Channels of the 1x1 head conv (scaled by width only when width > 1, as in MobileNetV2). */
  readonly headChannels: number;
  readonly kernels: readonly number[];
  readonly expansions: readonly number[];
  readonly widths: readonly number[];
  readonly inputSizes: readonly number[];
  /** Squeeze-excite allowed (default true). */
  readonly se?: boolean;
  /** Activations allowed (default both). */
  readonly acts?: readonly Mbv2Act[];
  readonly inChannels?: number;
  readonly classes?: number;
}

/** For 28x28 / 32x32 inputs (Fashion-MNIST, CIFAR): stem 16/s2, four stages to 80 channels, head 256. */
export const MBV2_SMALL: Mbv2SpaceOptions = {
  name: 'mbv2',
  stemChannels: 16,
  stemStride: 2,
  stages: [
    { channels: 16, stride: 1, minDepth: 1, maxDepth: 2 },
    { channels: 24, stride: 2, minDepth: 1, maxDepth: 3 },
    { channels: 40, stride: 2, minDepth: 1, maxDepth: 3 },
    { channels: 80, stride: 1, minDepth: 1, maxDepth: 3 },
  ],
  headChannels: 256,
  kernels: [3, 5, 7],
  expansions: [1, 3, 6],
  widths: [0.5, 0.75, 1],
  inputSizes: [28],
  inChannels: 1,
  classes: 10,
};

/**
 * For 28x28 inputs under a tight latency budget (Fashion-MNIST against `mbnet32`): stem 16/s2, four stages
 * to 64 channels (depth 1, 1-2, 1-2, 1-2), head 128, widths 0.35-1, inputs 16-28 (resampled). Same block
 * choices as {@link MBV2_SMALL}; about 15% of uniform points cost <= mbnet32/1.3 on bitfusion-edge.
 */
export const MBV2_MICRO: Mbv2SpaceOptions = {
  name: 'mbv2-micro',
  stemChannels: 16,
  stemStride: 2,
  stages: [
    { channels: 16, stride: 1, minDepth: 1, maxDepth: 1 },
    { channels: 24, stride: 2, minDepth: 1, maxDepth: 2 },
    { channels: 32, stride: 2, minDepth: 1, maxDepth: 2 },
    { channels: 64, stride: 1, minDepth: 1, maxDepth: 2 },
  ],
  headChannels: 128,
  kernels: [3, 5, 7],
  expansions: [1, 3, 6],
  widths: [0.35, 0.5, 0.75, 1],
  inputSizes: [16, 20, 24, 28],
  inChannels: 1,
  classes: 10,
};

/**
 * mbnet32's skeleton as a MobileNetV2 space (Fashion-MNIST, 28x28): stem 32/s2, stages 64 / 128 (s2) /
 * 128 / 128 (s2) of depth 1-2, head 128, kernels 3/5, expansions 1/2/3, widths 0.5-1, inputs 20-28. With
 * expansion 1 a block is mbnet32's depthwise-separable block (plus a residual where shapes allow), so the
 * space holds mbnet32's neighbourhood: narrower, lower-resolution, differently expanded variants of it.
 */
export const MBV2_MBNET: Mbv2SpaceOptions = {
  name: 'mbv2-mbnet',
  stemChannels: 32,
  stemStride: 2,
  stages: [
    { channels: 64, stride: 1, minDepth: 1, maxDepth: 2 },
    { channels: 128, stride: 2, minDepth: 1, maxDepth: 2 },
    { channels: 128, stride: 1, minDepth: 1, maxDepth: 2 },
    { channels: 128, stride: 2, minDepth: 1, maxDepth: 2 },
  ],
  headChannels: 128,
  kernels: [3, 5],
  expansions: [1, 2, 3],
  widths: [0.5, 0.75, 1],
  inputSizes: [20, 24, 28],
  inChannels: 1,
  classes: 10,
};

/** ImageNet sizes: MobileNetV2's skeleton (stem 32/s2, seven stages, head 1280), inputs 160-224. */
export const MBV2_IMAGENET: Mbv2SpaceOptions = {
  name: 'mbv2-imagenet',
  stemChannels: 32,
  stemStride: 2,
  stages: [
    { channels: 16, stride: 1, minDepth: 1, maxDepth: 1 },
    { channels: 24, stride: 2, minDepth: 2, maxDepth: 4 },
    { channels: 32, stride: 2, minDepth: 2, maxDepth: 4 },
    { channels: 64, stride: 2, minDepth: 2, maxDepth: 4 },
    { channels: 96, stride: 1, minDepth: 2, maxDepth: 4 },
    { channels: 160, stride: 2, minDepth: 2, maxDepth: 4 },
    { channels: 320, stride: 1, minDepth: 1, maxDepth: 1 },
  ],
  headChannels: 1280,
  kernels: [3, 5, 7],
  expansions: [1, 3, 6],
  widths: [0.75, 1, 1.4],
  inputSizes: [160, 192, 224],
  inChannels: 3,
  classes: 1000,
};

/** A block's token in the architecture string (`k3e6hs`). */
export const blockToken = (b: Mbv2Block): string => `k${b.kernel}e${b.expansion}${b.act === 'relu' ? 'r' : 'h'}${b.se ? 's' : ''}`;

/** Adds one inverted-residual block; names `<p>_expand`, `<p>_dw`, `<p>_se_*`, `<p>_project` (+ `_bn`, `_act`). */
export function addInvertedResidual(b: GraphBuilder, x: string, out: number, stride: number, blk: Mbv2Block, p: string): string {
  const cin = b.channels(x);
  const act = (y: string, n: string): string => b.act(y, blk.act === 'relu' ? 'relu' : 'hardswish', n);
  let y = x;
  const hidden = cin * blk.expansion;
  if (blk.expansion !== 1)
    y = act(b.bn(b.conv(y, { out: hidden, kernel: 1, bias: false, name: `${p}_expand` }), { name: `${p}_expand_bn` }), `${p}_expand_act`);
  y = b.conv(y, { out: hidden, kernel: blk.kernel, stride, groups: hidden, bias: false, pad: 'same', name: `${p}_dw` });
  y = act(b.bn(y, { name: `${p}_dw_bn` }), `${p}_dw_act`);
  if (blk.se) {
    const sq = makeDivisible(hidden / 4);
    let s = b.globalAvgPool(y, `${p}_se_pool`);
    s = b.relu(b.conv(s, { out: sq, kernel: 1, name: `${p}_se_reduce` }), `${p}_se_relu`);
    s = b.act(b.conv(s, { out: hidden, kernel: 1, name: `${p}_se_expand` }), 'hardsigmoid', `${p}_se_gate`);
    y = b.mul(y, s, `${p}_se_scale`);
  }
  y = b.bn(b.conv(y, { out, kernel: 1, bias: false, name: `${p}_project` }), { name: `${p}_project_bn` });
  return stride === 1 && cin === out ? b.addOp(x, y, `${p}_add`) : y;
}

/** A MobileNetV2-style space with the given skeleton (default: {@link MBV2_SMALL}). */
export function mbv2Space(o: Mbv2SpaceOptions = MBV2_SMALL): ArchSpace<Mbv2Arch> & { readonly options: Mbv2SpaceOptions } {
  const acts: readonly Mbv2Act[] = o.acts ?? ['relu', 'hswish'];
  const seChoices = o.se === false ? [false] : [false, true];
  const name = o.name ?? 'mbv2';
  const params: Record<string, ParamSpec> = {
    input: { kind: 'categorical', choices: o.inputSizes },
    width: { kind: 'categorical', choices: o.widths },
  };
  o.stages.forEach((st, i) => {
    if (!(st.minDepth >= 1 && st.maxDepth >= st.minDepth))
      throw new ConfigError(`${name} stage ${i + 1}: depth range [${st.minDepth}, ${st.maxDepth}] is invalid (expected 1 <= min <= max)`);
    params[`s${i + 1}_depth`] = { kind: 'int', low: st.minDepth, high: st.maxDepth };
    for (let j = 1; j <= st.maxDepth; j++) {
      const p = `s${i + 1}b${j}`;
      params[`${p}_k`] = { kind: 'categorical', choices: o.kernels };
      params[`${p}_e`] = { kind: 'categorical', choices: o.expansions };
      params[`${p}_se`] = { kind: 'categorical', choices: seChoices };
      params[`${p}_act`] = { kind: 'categorical', choices: acts };
    }
  });
  const space = new SearchSpace(params);
  const check = (a: Mbv2Arch, src: string): Mbv2Arch => {
    const bad = (why: string): never => {
      throw new ConfigError(`${name} architecture ${src}: ${why}`);
    };
    if (!o.inputSizes.includes(a.inputSize)) bad(`input size ${a.inputSize} is not one of ${o.inputSizes.join(', ')}`);
    if (!o.widths.includes(a.width)) bad(`width ${a.width} is not one of ${o.widths.join(', ')}`);
    if (a.stages.length !== o.stages.length) bad(`has ${a.stages.length} stages, expected ${o.stages.length}`);
    a.stages.forEach((blocks, i) => {
      const st = o.stages[i] as Mbv2StageSpec;
      if (blocks.length < st.minDepth || blocks.length > st.maxDepth)
        bad(`stage ${i + 1} has ${blocks.length} blocks, expected ${st.minDepth}..${st.maxDepth}`);
      blocks.forEach((bk, j) => {
        const where = `stage ${i + 1} block ${j + 1} (${blockToken(bk)})`;
        if (!o.kernels.includes(bk.kernel)) bad(`${where}: kernel ${bk.kernel} is not one of ${o.kernels.join(', ')}`);
        if (!o.expansions.includes(bk.expansion)) bad(`${where}: expansion ${bk.expansion} is not one of ${o.expansions.join(', ')}`);
        if (!acts.includes(bk.act)) bad(`${where}: activation ${bk.act} is not one of ${acts.join(', ')}`);
        if (bk.se && !seChoices.includes(true)) bad(`${where}: squeeze-excite is not allowed in this space`);
      });
    });
    return a;
  };
  const format = (a: Mbv2Arch): string => `r${a.inputSize}-w${a.width}:${a.stages.map((s) => s.map(blockToken).join(',')).join('|')}`;
  const parse = (s: string): Mbv2Arch => {
    const m = typeof s === 'string' ? /^r(\d+)-w([0-9.]+):(.*)$/.exec(s.trim()) : null;
    if (!m)
      throw new ConfigError(
        `${name} architecture '${s}': expected 'r<input>-w<width>:<blocks>|<blocks>|...' with blocks like 'k3e6r' or 'k5e3hs', e.g. 'r28-w1:k3e1r|k5e6h,k3e3rs|k3e6r|k5e6hs'`,
      );
    const stages = (m[3] as string).split('|').map((st) =>
      st.split(',').map((tok) => {
        const t = /^k(\d+)e(\d+)([rh])(s?)$/.exec(tok.trim());
        if (!t) throw new ConfigError(`${name} architecture '${s}': block '${tok}' is not 'k<kernel>e<expansion><r|h>[s]' (e.g. k5e6hs)`);
        return { kernel: Number(t[1]), expansion: Number(t[2]), act: t[3] === 'r' ? 'relu' : 'hswish', se: t[4] === 's' } satisfies Mbv2Block;
      }),
    );
    return check({ inputSize: Number(m[1]), width: Number(m[2]), stages }, `'${s}'`);
  };
  const slots = ['stem', ...o.stages.flatMap((st, i) => Array.from({ length: st.maxDepth }, (_, j) => `s${i + 1}b${j + 1}`)), 'head', 'fc'];
  return {
    name,
    space,
    options: o,
    toParams: (a) => {
      const p: Record<string, JsonValue> = { input: a.inputSize, width: a.width };
      o.stages.forEach((st, i) => {
        const blocks = a.stages[i] ?? [];
        p[`s${i + 1}_depth`] = blocks.length;
        for (let j = 1; j <= st.maxDepth; j++) {
          const bk = blocks[j - 1] ?? { kernel: o.kernels[0] as number, expansion: o.expansions[0] as number, se: false, act: acts[0] as Mbv2Act };
          p[`s${i + 1}b${j}_k`] = bk.kernel;
          p[`s${i + 1}b${j}_e`] = bk.expansion;
          p[`s${i + 1}b${j}_se`] = bk.se;
          p[`s${i + 1}b${j}_act`] = bk.act;
        }
      });
      return p;
    },
    fromParams: (p: Params) => {
      const why = space.check(p);
      if (why !== null) throw new ConfigError(`${name} point: ${why}`);
      const stages = o.stages.map((_, i) =>
        Array.from({ length: p[`s${i + 1}_depth`] as number }, (_, j) => {
          const q = `s${i + 1}b${j + 1}`;
          return { kernel: p[`${q}_k`] as number, expansion: p[`${q}_e`] as number, se: p[`${q}_se`] as boolean, act: p[`${q}_act`] as Mbv2Act };
        }),
      );
      return { inputSize: p.input as number, width: p.width as number, stages };
    },
    format,
    parse,
    graph: (a, g: ArchGraphOptions = {}) => {
      const size = g.inputSize ?? a.inputSize;
      const b = new GraphBuilder(name, [g.inChannels ?? o.inChannels ?? 3, size, size]);
      const ch = (c: number): number => makeDivisible(c * a.width);
      let x = b.conv(b.input, { out: ch(o.stemChannels), kernel: 3, stride: o.stemStride, pad: 'same', bias: false, name: 'stem' });
      x = b.relu(b.bn(x, { name: 'stem_bn' }), 'stem_act');
      a.stages.forEach((blocks, i) => {
        const st = o.stages[i] as Mbv2StageSpec;
        blocks.forEach((bk, j) => {
          x = addInvertedResidual(b, x, ch(st.channels), j === 0 ? st.stride : 1, bk, `s${i + 1}b${j + 1}`);
        });
      });
      const head = a.width > 1 ? makeDivisible(o.headChannels * a.width) : o.headChannels;
      x = b.relu(b.bn(b.conv(x, { out: head, kernel: 1, bias: false, name: 'head' }), { name: 'head_bn' }), 'head_act');
      x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
      b.output(b.dense(x, g.classes ?? o.classes ?? 10, { name: 'fc' }));
      return b.build();
    },
    slots: () => slots,
    slotOf: (node) => {
      if (node === 'stem' || node === 'head' || node === 'fc') return node;
      const m = /^(s\d+b\d+)_/.exec(node);
      return m ? m[1] : undefined;
    },
    slotParams: (slot) => (/^s\d+b\d+$/.test(slot) ? ['_k', '_e', '_se', '_act'].map((s) => `${slot}${s}`) : []),
  };
}
