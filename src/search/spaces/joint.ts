/**
 * Joint architecture + mixed-precision space (BOMP-NAS): the parameters of an architecture space plus
 * one precision per slot (`q_<slot>`, a label like `w4a8`). Every conv/dense layer takes the precision
 * of its slot (see {@link ArchSpace.slotOf}); layers outside every slot take `defaultPrecision`.
 *
 * Architecture string: `<base arch>@<slot precisions in slot order, comma separated>`.
 * Space name: `<base>+bits` with the default labels, `<base>+bits[w8a8,w4a8,w2a8]` with other `choices` (so the
 * registry, strategies, workers and stored studies rebuild the same space from its name).
 */
import { ConfigError } from '../../errors.js';
import type { Precision, PrecisionPolicy } from '../../ir/precision.js';
import type { Graph } from '../../ir/types.js';
import { quantizableLayers } from '../../ir/workload.js';
import { type ParamSpec, SearchSpace } from '../space.js';
import type { JsonValue, Params } from '../types.js';
import type { ArchGraphOptions, ArchSpace } from './types.js';

/** A point of a joint space: the base architecture and a precision label per slot. */
export interface JointArch<A> {
  readonly arch: A;
  /** Precision label (`w<W>a<A>`) per slot, by slot name. */
  readonly bits: Readonly<Record<string, string>>;
}

/** The default precision labels per slot: BitFusion's 2/4/8 bits. */
export const JOINT_PRECISIONS: readonly string[] = ['w8a8', 'w4a8', 'w4a4', 'w2a8', 'w2a2'];

/**
 * Checks a list of per-slot labels of a joint space (`what` names its source in errors): non-empty, each one of
 * {@link JOINT_PRECISIONS}, no repeats. ConfigError naming the bad label and the allowed ones otherwise.
 */
export function checkJointPrecisions(labels: readonly string[], what: string): readonly string[] {
  if (labels.length === 0) throw new ConfigError(`${what}: no precision labels given (expected some of ${JOINT_PRECISIONS.join(', ')})`);
  labels.forEach((l, i) => {
    if (!JOINT_PRECISIONS.includes(l))
      throw new ConfigError(`${what}: '${l}' is not a precision label of a joint space (expected some of ${JOINT_PRECISIONS.join(', ')})`);
    if (labels.indexOf(l) !== i) throw new ConfigError(`${what}: '${l}' is given twice`);
  });
  return labels;
}

/** The name of the joint space over `base` with these per-slot labels (`<base>+bits`, or `<base>+bits[labels]` when not the default). */
export function jointSpaceName(base: string, choices: readonly string[] = JOINT_PRECISIONS): string {
  const dflt = choices.length === JOINT_PRECISIONS.length && choices.every((c, i) => c === JOINT_PRECISIONS[i]);
  return dflt ? `${base}+bits` : `${base}+bits[${choices.join(',')}]`;
}

/** Options of {@link jointSpace}. */
export interface JointSpaceOptions {
  /** Precision labels to choose from per slot (default {@link JOINT_PRECISIONS}: w8a8, w4a8, w4a4, w2a8, w2a2). */
  readonly choices?: readonly string[];
  /** Precision of layers in no slot (default w8a8). */
  readonly defaultPrecision?: string;
}

/** Parses `w<W>a<A>` (ConfigError quoting it otherwise). */
export function parsePrecisionLabel(s: string): Precision {
  const m = /^w(\d+)a(\d+)$/.exec(s);
  if (!m) throw new ConfigError(`precision '${s}': expected 'w<weight bits>a<activation bits>', e.g. w4a8`);
  return { weightBits: Number(m[1]), actBits: Number(m[2]) };
}

/** A joint space over `base` with one precision per slot; `policy` gives the precision policy of a point's graph. */
export function jointSpace<A>(
  base: ArchSpace<A>,
  o: JointSpaceOptions = {},
): ArchSpace<JointArch<A>> & {
  readonly base: ArchSpace<A>;
  policy(j: JointArch<A>, graph: Graph): PrecisionPolicy;
} {
  const choices = o.choices ?? JOINT_PRECISIONS;
  choices.forEach(parsePrecisionLabel);
  if (choices.length === 0 || new Set(choices).size !== choices.length)
    throw new ConfigError(`joint space over ${base.name}: precision labels ${JSON.stringify(choices)} must be non-empty and distinct`);
  const dflt = parsePrecisionLabel(o.defaultPrecision ?? 'w8a8');
  const slots = base.slots();
  const params: Record<string, ParamSpec> = { ...base.space.params };
  for (const s of slots) params[`q_${s}`] = { kind: 'categorical', choices };
  const space = new SearchSpace(params);
  const name = jointSpaceName(base.name, choices);
  const checkBits = (bits: Readonly<Record<string, string>>, src: string): void => {
    for (const s of slots) {
      const v = bits[s];
      if (v === undefined || !choices.includes(v))
        throw new ConfigError(`${name} ${src}: slot '${s}' precision ${JSON.stringify(v)} is not one of ${choices.join(', ')}`);
    }
  };
  return {
    name,
    space,
    base,
    toParams: (j) => {
      const p: Record<string, JsonValue> = { ...base.toParams(j.arch) };
      for (const s of slots) p[`q_${s}`] = j.bits[s] as string;
      return p;
    },
    fromParams: (p: Params) => {
      const bp: Record<string, JsonValue> = {};
      for (const k of base.space.names) bp[k] = p[k] as JsonValue;
      const bits: Record<string, string> = {};
      for (const s of slots) bits[s] = p[`q_${s}`] as string;
      checkBits(bits, 'point');
      return { arch: base.fromParams(bp), bits };
    },
    format: (j) => `${base.format(j.arch)}@${slots.map((s) => j.bits[s]).join(',')}`,
    parse: (str) => {
      const at = typeof str === 'string' ? str.lastIndexOf('@') : -1;
      if (at < 0)
        throw new ConfigError(`${name} architecture '${str}': expected '<architecture>@<precision per slot>' (${slots.length} slots: ${slots.join(', ')})`);
      const labels = str.slice(at + 1).split(',');
      if (labels.length !== slots.length)
        throw new ConfigError(`${name} architecture '${str}': ${labels.length} precisions after '@', expected ${slots.length} (${slots.join(', ')})`);
      const bits = Object.fromEntries(slots.map((s, i) => [s, (labels[i] as string).trim()]));
      checkBits(bits, `architecture '${str}'`);
      return { arch: base.parse(str.slice(0, at)), bits };
    },
    graph: (j, g?: ArchGraphOptions) => base.graph(j.arch, g),
    slots: () => slots,
    slotOf: (n) => base.slotOf(n),
    slotParams: (s) => [...base.slotParams(s), `q_${s}`],
    policy: (j, graph) => {
      const layers: Record<string, Precision> = {};
      for (const n of quantizableLayers(graph)) {
        const s = base.slotOf(n.name);
        layers[n.name] = s !== undefined && j.bits[s] !== undefined ? parsePrecisionLabel(j.bits[s] as string) : dflt;
      }
      return { name: `${name}-policy`, default: dflt, layers };
    },
  };
}
