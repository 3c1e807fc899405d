/**
 * The operator-substitution space of HANT: for one replaceable {@link Unit} of a trained network, a
 * pool of alternative subgraphs that read the unit's input and produce an output of the same shape.
 *
 * Families (each alternative ends with batch norm and the unit's own final activation, so it can
 * stand in for a conv-BN-act chain; `c` = output channels, `s` = the unit's stride, `act` = the unit's
 * final activation, ReLU when it has none, used inside multi-layer alternatives):
 * - `teacher`: the original nodes with the teacher's weights (distillation loss 0; keeps every budget
 *   at or above the teacher's latency feasible);
 * - `conv`: one full conv k = 1, 3, 5 (smaller or larger kernel); when strided, also k = s
 *   (non-overlapping "patchify" conv) and, for units with at most 8 input channels (stems), k = 7;
 * - `narrow`: kxk conv (k = 3, 5) to reduced width c/2 or c/4 + 1x1 back to c;
 * - `dwsep`: depthwise k = 3, 5, 7 + pointwise (depthwise-separable);
 * - `pw-dw`: pointwise then depthwise k = 3, 5;
 * - `grouped`: grouped conv g = 2, 4, 8 with k = 1, 3, 5 (where channels divide);
 * - `bottleneck`: 1x1 to c/2, c/4, c/8 + kxk (k = 3, 5) + 1x1 back to c (reduced width);
 * - `factorised`: kx1 then 1xk (k = 3, 5) at full or half width;
 * - `mbconv`: inverted residual body, expansion 2 or 4, depthwise k = 3, 5;
 * - `dw-gpw`: depthwise k = 3, 5 + grouped pointwise g = 2, 4;
 * - `dw-bottleneck`: depthwise k = 3, 5 + 1x1 to c/2 or c/4 + 1x1 to c;
 * - `pool-pw`: average (and, when strided, max) pooling + pointwise;
 * - `dw-only`: depthwise k = 3, 5 (when input and output channels agree);
 * - `skip`: identity (same shape) or pooling (same channels, strided);
 * - dense units: `lowrank` factorisations at rank min(in,out) x 1/2, 1/4, 1/8, 1/16.
 * An alternative whose output shape would differ from the unit's is dropped.
 */
import { GraphBuilder } from '../ir/builder.js';
import { inferShapes } from '../ir/shapes.js';
import type { Graph, Model, Node, Shape, Weights } from '../ir/types.js';
import { ALT_FAMILIES, type AltFamily } from './alt-families.js';
import type { ActName, Unit } from './units.js';

export { ALT_FAMILIES, type AltFamily };

/** One alternative for a unit: a subgraph with input node {@link ALT_INPUT}, and its initial weights when inherited. */
export interface Alternative {
  /** Unique within the unit, e.g. `dwsep_k5`. */
  readonly name: string;
  readonly family: AltFamily;
  readonly graph: Graph;
  /** Initial weights (the teacher's for `teacher`); fresh seeded weights otherwise. */
  readonly weights?: Weights;
}

/** Name of the input node of every alternative's subgraph. */
export const ALT_INPUT = '__in';

/** Options of {@link generateAlternatives}. */
export interface AlternativeOptions {
  /** Families to generate (default all). */
  readonly families?: readonly AltFamily[];
}

const div = (a: number, b: number): boolean => a % b === 0;

/** The teacher's own unit as a standalone model (input {@link ALT_INPUT}). */
export function unitSubmodel(teacher: Model, unit: Unit): Model {
  const byName = new Map(teacher.graph.nodes.map((n) => [n.name, n]));
  const nodes: Node[] = [{ op: 'input', name: ALT_INPUT, inputs: [], shape: [...unit.inShape] }];
  for (const name of unit.nodes) {
    const n = byName.get(name) as Node;
    nodes.push({ ...n, inputs: n.inputs.map((i) => (i === unit.input ? ALT_INPUT : i)) } as Node);
  }
  const graph: Graph = { name: `${teacher.graph.name}:${unit.name}`, nodes, outputs: [unit.output] };
  const weights: Weights = new Map();
  const set = new Set(unit.nodes);
  for (const [k, v] of teacher.weights) if (set.has(k.slice(0, k.lastIndexOf('.')))) weights.set(k, { shape: [...v.shape], data: v.data.slice() });
  return { graph, weights };
}

/**
 * The pool of alternatives for `unit` of `teacher` (teacher first). Every returned subgraph maps
 * `unit.inShape` to `unit.outShape`.
 * @example generateAlternatives(teacher, findUnits(teacher.graph)[1]).length // >= 30 for a 3x3 conv with 64 channels
 */
export function generateAlternatives(teacher: Model, unit: Unit, opts: AlternativeOptions = {}): Alternative[] {
  const fams = new Set<AltFamily>(opts.families ?? ALT_FAMILIES);
  const out: Alternative[] = [];
  if (fams.has('teacher')) {
    const sub = unitSubmodel(teacher, unit);
    out.push({ name: 'teacher', family: 'teacher', graph: sub.graph, weights: sub.weights });
  }
  const specs = unit.kind === 'dense' ? denseSpecs(unit, fams) : convSpecs(unit, fams);
  for (const [name, family, body] of specs) {
    const b = new GraphBuilder(`${unit.name}:${name}`, unit.inShape, ALT_INPUT);
    let y: string;
    try {
      y = body(b, b.input);
    } catch {
      continue; // a shape the family cannot take (e.g. channels not divisible)
    }
    const g = b.build();
    const shape = inferShapes(g).get(y) as Shape;
    if (shape.length !== unit.outShape.length || shape.some((v, i) => v !== unit.outShape[i])) continue;
    out.push({ name, family, graph: { ...g, outputs: [y] } });
  }
  return out;
}

type Body = (b: GraphBuilder, x: string) => string;
type Spec = [string, AltFamily, Body];

function convSpecs(unit: Unit, fams: ReadonlySet<AltFamily>): Spec[] {
  const [cin, h] = unit.inShape as [number, number, number];
  const [c, oh] = unit.outShape as [number, number, number];
  const s = Math.max(1, Math.round(h / oh));
  const inner: ActName = unit.finalAct ?? 'relu';
  const fin = unit.finalAct;
  const act = (b: GraphBuilder, y: string): string => b.act(b.bn(y), inner);
  const end = (b: GraphBuilder, y: string): string => {
    const z = b.bn(y);
    return fin ? b.act(z, fin) : z;
  };
  const conv = (b: GraphBuilder, x: string, out: number, k: number | [number, number], stride: number | [number, number] = 1, groups = 1): string =>
    b.conv(x, { out, kernel: k, stride, groups, bias: false });
  const specs: Spec[] = [];
  const add = (f: AltFamily, name: string, body: Body): void => {
    if (fams.has(f)) specs.push([name, f, body]);
  };
  const width = (r: number): number => Math.max(4, Math.round(c * r));
  const convKernels = [1, 3, 5, ...(s > 1 && s !== 3 && s !== 5 ? [s] : []), ...(cin <= 8 ? [7] : [])];
  for (const k of convKernels) add('conv', `conv_k${k}`, (b, x) => end(b, conv(b, x, c, k, s)));
  for (const r of [2, 4]) {
    const m = width(1 / r);
    for (const k of [3, 5]) add('narrow', `narrow_r${r}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, x, m, k, s)), c, 1)));
  }
  for (const k of [3, 5, 7]) add('dwsep', `dwsep_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, x, cin, k, s, cin)), c, 1)));
  for (const k of [3, 5]) add('pw-dw', `pwdw_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, x, c, 1)), c, k, s, c)));
  for (const g of [2, 4, 8]) {
    if (!div(cin, g) || !div(c, g) || g >= cin) continue;
    for (const k of [1, 3, 5]) add('grouped', `grouped_g${g}_k${k}`, (b, x) => end(b, conv(b, x, c, k, s, g)));
  }
  for (const r of [2, 4, 8]) {
    const m = width(1 / r);
    for (const k of [3, 5]) add('bottleneck', `bneck_r${r}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, act(b, conv(b, x, m, 1)), m, k, s)), c, 1)));
  }
  for (const r of [1, 2]) {
    const m = width(1 / r);
    for (const k of [3, 5]) add('factorised', `fact_r${r}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, x, m, [k, 1], [s, 1])), c, [1, k], [1, s])));
  }
  for (const e of [2, 4]) {
    const m = cin * e;
    for (const k of [3, 5]) add('mbconv', `mbconv_e${e}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, act(b, conv(b, x, m, 1)), m, k, s, m)), c, 1)));
  }
  for (const g of [2, 4]) {
    if (!div(cin, g) || !div(c, g)) continue;
    for (const k of [3, 5]) add('dw-gpw', `dwgpw_g${g}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, x, cin, k, s, cin)), c, 1, 1, g)));
  }
  for (const r of [2, 4]) {
    const m = width(1 / r);
    for (const k of [3, 5])
      add('dw-bottleneck', `dwbneck_r${r}_k${k}`, (b, x) => end(b, conv(b, act(b, conv(b, act(b, conv(b, x, cin, k, s, cin)), m, 1)), c, 1)));
  }
  if (s > 1) {
    add('pool-pw', 'avgpool_pw', (b, x) => end(b, conv(b, b.avgPool(x, { kernel: s, stride: s }), c, 1)));
    add('pool-pw', 'maxpool_pw', (b, x) => end(b, conv(b, b.maxPool(x, { kernel: s, stride: s }), c, 1)));
  } else {
    add('pool-pw', 'avgpool3_pw', (b, x) => end(b, conv(b, b.avgPool(x, { kernel: 3, stride: 1, pad: 1 }), c, 1)));
  }
  if (cin === c) {
    for (const k of [3, 5]) add('dw-only', `dw_k${k}`, (b, x) => end(b, conv(b, x, c, k, s, c)));
    if (s === 1) add('skip', 'identity', (b, x) => b.act(x, 'identity'));
    else {
      add('skip', 'avgpool', (b, x) => b.avgPool(x, { kernel: s, stride: s }));
      add('skip', 'maxpool', (b, x) => b.maxPool(x, { kernel: s, stride: s }));
    }
  }
  return specs;
}

function denseSpecs(unit: Unit, fams: ReadonlySet<AltFamily>): Spec[] {
  const fin = unit.inShape[0] as number;
  const fout = unit.outShape[0] as number;
  const specs: Spec[] = [];
  if (!fams.has('lowrank')) return specs;
  const seen = new Set<number>();
  for (const r of [2, 4, 8, 16]) {
    const m = Math.max(2, Math.round(Math.min(fin, fout) / r));
    if (seen.has(m) || m * (fin + fout) >= fin * fout) continue;
    seen.add(m);
    specs.push([
      `lowrank_${m}`,
      'lowrank',
      (b, x) => {
        const y = b.dense(b.dense(x, m, { bias: false }), fout);
        return unit.finalAct ? b.act(y, unit.finalAct) : y;
      },
    ]);
  }
  if (fin === fout && fams.has('skip')) specs.push(['identity', 'skip', (b, x) => b.act(x, 'identity')]);
  return specs;
}
