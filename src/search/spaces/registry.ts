/** Architecture spaces by name, for configs and the CLI. */
import { ConfigError } from '../../errors.js';
import { checkJointPrecisions, jointSpace } from './joint.js';
import { MACRO_SPACE, macroSpace } from './macro.js';
import { MBV2_IMAGENET, MBV2_MBNET, MBV2_MICRO, MBV2_SMALL, mbv2Space } from './mbv2.js';
import { nb201Space } from './nb201.js';
import type { ArchSpace } from './types.js';

interface SpaceEntry {
  readonly description: string;
  readonly create: () => ArchSpace;
  /**
   * The column mapping (`metric=column[%],...`, src/nas/tabular.ts parseTableColumns) `hwnas nas --table` reads the
   * space's published table with when `--table-columns` is not given and the CSV has those columns.
   */
  readonly tableColumns?: string;
}

/**
 * NAS-Bench-Macro's committed table (bench/data/nas-bench-macro-c10.csv): accuracy = the mean CIFAR-10 test accuracy of
 * 3 trainings (a percentage, read as a fraction), latency_ms = hwnas's Cortex-A76 fp32 latency, energy_mj = the
 * Eyeriss-like systolic target's energy, and the published parameters and FLOPs and the IR graph's MACs.
 */
export const MACRO_TABLE_COLUMNS = 'accuracy=acc_mean%,latency_ms=a76_fp32_ms,energy_mj=eyeriss_mj,params,flops,macs';

const SPACES: Readonly<Record<string, SpaceEntry>> = {
  nb201: { description: 'NAS-Bench-201 cells (15,625), published skeleton: 3x32x32, C=16, N=5', create: () => nb201Space() as ArchSpace },
  mbv2: { description: 'MobileNetV2-style macro space for 28x28 inputs (stem 16/s2, 4 stages, head 256)', create: () => mbv2Space(MBV2_SMALL) as ArchSpace },
  'mbv2-micro': {
    description: 'MobileNetV2-style macro space for tiny fast nets at 16-28 px (stages 16/24/32/64, head 128, widths 0.35-1)',
    create: () => mbv2Space(MBV2_MICRO) as ArchSpace,
  },
  'mbv2-mbnet': {
    description: "mbnet32's skeleton as a MobileNetV2 space at 20-28 px (stem 32, stages 64/128/128/128, head 128, kernels 3/5, expansions 1-3, widths 0.5-1)",
    create: () => mbv2Space(MBV2_MBNET) as ArchSpace,
  },
  'mbv2-imagenet': {
    description: 'MobileNetV2-style macro space at ImageNet sizes (160-224, 7 stages, head 1280)',
    create: () => mbv2Space(MBV2_IMAGENET) as ArchSpace,
  },
  [MACRO_SPACE]: {
    description:
      'NAS-Bench-Macro (6,561 nets, 3,969 distinct): CIFAR-10 3x32x32, stem 32, 8 layers in stages of 2/3/3 (64/128/256 ch), each identity | MBConv k3e3 | MBConv k5e6, head 1280',
    create: () => macroSpace() as ArchSpace,
    tableColumns: MACRO_TABLE_COLUMNS,
  },
};

/**
 * Names of the built-in architecture spaces; `<name>+bits` is the joint space with per-slot precision (also
 * `<name>+bits[w8a8,w4a8,w2a8]`: the same with only those labels per slot, see `hwnas nas --precisions`).
 */
export function archSpaceNames(): string[] {
  return Object.keys(SPACES).flatMap((n) => [n, `${n}+bits`]);
}

/**
 * The spaces made so far, by the name they were asked by: one (frozen) object per name and process, so that what is
 * keyed by the space object (the repeat filter's class key, TPE's and `auto`'s class index: on NB201 an 8.7 s
 * enumeration) is built once, not once per caller (before session 46 `hwnas nas --strategy auto` built it twice).
 */
const MADE = new Map<string, ArchSpace>();

/**
 * An architecture space by name (`nb201`, `mbv2`, `mbv2-micro`, `mbv2-mbnet`, `mbv2-imagenet`, `nas-bench-macro`, or any
 * of them with `+bits`). Every call with one name returns the same object (see {@link MADE}); spaces hold no state.
 */
export function getArchSpace(name: string): ArchSpace {
  const made = MADE.get(name);
  if (made) return made;
  const m = /^(.*)\+bits(?:\[([^\]]*)\])?$/.exec(name);
  const e = SPACES[m ? (m[1] as string) : name];
  if (!e) throw new ConfigError(`unknown architecture space '${name}': expected one of ${archSpaceNames().join(', ')}`);
  const base = e.create();
  const choices = m?.[2] === undefined ? undefined : checkJointPrecisions(m[2].split(','), `architecture space '${name}'`);
  const space = Object.freeze(m ? (jointSpace(base, choices ? { choices } : {}) as ArchSpace) : base);
  MADE.set(name, space);
  return space;
}

/** One-line descriptions of the built-in spaces. */
export function archSpaceDescriptions(): Record<string, string> {
  return Object.fromEntries(Object.entries(SPACES).map(([k, v]) => [k, v.description]));
}

/**
 * The default table column mapping of a space (`hwnas nas --table` without `--table-columns`; see {@link SpaceEntry}):
 * undefined for spaces without one and for joint (`+bits`) spaces.
 */
export function archSpaceTableColumns(name: string): string | undefined {
  return Object.hasOwn(SPACES, name) ? SPACES[name]?.tableColumns : undefined;
}
