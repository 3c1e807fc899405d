import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors.js';
import { inferShapes } from '../../ir/shapes.js';
import { graphTotals } from '../../ir/workload.js';
import { Rng } from '../../util/rng.js';
import { archCodec } from './codec.js';
import { checkJointPrecisions, JOINT_PRECISIONS, jointSpace, jointSpaceName } from './joint.js';
import { MBV2_IMAGENET, MBV2_SMALL, mbv2Space } from './mbv2.js';
import { enumerateNb201, formatNb201, NB201_OPS, nb201Graph, nb201IsomorphismKey, nb201Space, nb201ZeroNodes, parseNb201 } from './nb201.js';
import { getArchSpace } from './registry.js';
import { canonicalArch } from './types.js';

const EXAMPLE = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const RESNET = '|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|';

test('nb201: the standard string round-trips and enumerates 15,625 distinct cells', () => {
  assert.equal(formatNb201(parseNb201(EXAMPLE)), EXAMPLE);
  const all = enumerateNb201();
  assert.equal(all.length, 15625);
  assert.equal(new Set(all.map(formatNb201)).size, 15625);
  const s = nb201Space();
  for (const c of all.slice(0, 200)) assert.deepEqual(s.fromParams(s.toParams(c)), c);
});

test('nb201: canonicalArch gives format(parse(s)) for spaced and canonical strings, before and after a parse; bad ones throw', () => {
  const s = nb201Space();
  const spaced = ` ${EXAMPLE.replaceAll('+', ' + ')} `;
  assert.notEqual(spaced, EXAMPLE);
  assert.equal(canonicalArch(s, spaced), EXAMPLE); // the spaced one is never kept as canonical
  assert.equal(canonicalArch(s, spaced), EXAMPLE);
  assert.equal(canonicalArch(s, RESNET), RESNET);
  assert.equal(canonicalArch(s, RESNET), RESNET); // now from the parsed cache
  assert.throws(() => canonicalArch(s, '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|'), ConfigError);
});

test('nb201: malformed strings are ConfigErrors that quote them', () => {
  for (const bad of [
    '',
    '|nor_conv_3x3~0|',
    '|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|',
    '|none~1|+|none~0|none~1|+|none~0|none~1|none~2|',
    '|none~0|+|none~0|+|none~0|none~1|none~2|',
  ]) {
    assert.throws(
      () => parseNb201(bad),
      (e: unknown) => e instanceof ConfigError && e.message.includes(`'${bad}'`),
    );
  }
});

// MACs computed by hand from the published skeleton at 3x32x32 (C=16, N=5, 10 classes):
// stem 16*3*9*1024 = 442,368; conv3x3 edge per cell = 2,359,296 in every stage (C^2*9*H*W is constant);
// conv1x1 = 262,144; two reduction blocks 3,670,016 each; fc 640. All-conv3x3 cell: 220,119,680 MACs
// (NB201's largest network, quoted as 220.11 MFLOPs); a cell without convs: 7,783,040 (7.78M).
test('nb201: MAC counts of the published network', () => {
  const base = 442368 + 2 * 3670016 + 640;
  const macs = (s: string): number => graphTotals(nb201Graph(parseNb201(s))).macs;
  assert.equal(macs('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'), 220119680);
  assert.equal(macs('|skip_connect~0|+|avg_pool_3x3~0|none~1|+|none~0|skip_connect~1|avg_pool_3x3~2|'), base);
  assert.equal(macs('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'), base);
  assert.equal(macs(RESNET), base + 15 * 2 * 2359296);
  assert.equal(macs(EXAMPLE), base + 15 * 3 * 2359296);
  assert.equal(macs('|nor_conv_1x1~0|+|none~0|none~1|+|none~0|none~1|none~2|'), base); // node 3 gets nothing: zero cell, node 1 dead
});

test('nb201: zero nodes follow NB201 semantics and conv edges out of zero nodes are kept', () => {
  assert.deepEqual(nb201ZeroNodes(parseNb201('|none~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|skip_connect~1|nor_conv_1x1~2|')), [false, true, false, false]);
  // node 1 is zero, its conv edge to node 3 is still computed (BN shift of a zero input in NB201)
  const g = nb201Graph(parseNb201('|none~0|+|skip_connect~0|none~1|+|none~0|nor_conv_3x3~1|skip_connect~2|'), { cellsPerStage: 1 });
  assert.ok(g.nodes.some((n) => n.name === 's1c1_zero' && n.op === 'clip'));
  assert.ok(g.nodes.some((n) => n.name === 's1c1_e31_conv'));
});

test('nb201: every one of the 15,625 cells builds a shape-valid graph', () => {
  let maxMacs = 0;
  let minMacs = Infinity;
  enumerateNb201().forEach((c, i) => {
    const g = nb201Graph(c, { cellsPerStage: 1, inputSize: 8 }); // the builder checks every shape
    assert.equal(g.nodes[g.nodes.length - 1]?.name, 'fc');
    if (i % 25 !== 0) return;
    assert.deepEqual(inferShapes(g).get('fc'), [10]);
    const m = graphTotals(g).macs;
    maxMacs = Math.max(maxMacs, m);
    minMacs = Math.min(minMacs, m);
  });
  assert.ok(maxMacs > minMacs);
});

test("nb201IsomorphismKey: NB201's own hash, 6,466 classes over the 15,625 cells (the count NB201 and HW-NAS-Bench-360 report)", () => {
  const keys = enumerateNb201().map(nb201IsomorphismKey);
  assert.equal(new Set(keys).size, 6466);
  const k = (s: string): string => nb201IsomorphismKey(parseNb201(s));
  assert.equal(k('|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|skip_connect~2|'), '#+#+((0)@nor_conv_3x3)@avg_pool_3x3+0');
  // Skip is the identity, sums are sorted: x + conv(x) written either way is one class.
  assert.equal(
    k('|skip_connect~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|'),
    k('|nor_conv_1x1~0|+|none~0|none~1|+|skip_connect~0|skip_connect~1|none~2|'),
  );
  // Any op out of a node whose key is exactly '#' is zero...
  assert.equal(k('|none~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|'), '#+#+0');
  // ...but a node with two zero inputs is '#+#', and a conv of it is kept (the hash is not the computation).
  assert.equal(k('|none~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|'), '#+(#+#)@nor_conv_3x3+0');
  // Swapped middle nodes are two classes (the zero summand sits in node 2 only); one conv used twice equals two convs.
  assert.notEqual(
    k('|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|'),
    k('|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|'),
  );
  assert.equal(
    k('|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|skip_connect~1|skip_connect~2|'),
    k('|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|'),
  );
  assert.equal(nb201Space().isomorphismKey?.(parseNb201('|none~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|')), '#+#+0');
});

test('mbv2: string round trip, params round trip, graphs for 28x28 and ImageNet', () => {
  const s = mbv2Space(MBV2_SMALL);
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const a = s.fromParams(s.space.sample(rng));
    const str = s.format(a);
    assert.deepEqual(s.parse(str), a);
    assert.equal(s.format(s.fromParams(s.toParams(a))), str);
    const g = s.graph(a);
    assert.deepEqual(inferShapes(g).get('fc'), [10]);
  }
  const a = s.parse('r28-w1:k3e1r|k5e6h,k3e3rs|k3e6r,k7e6h|k5e6hs');
  assert.equal(a.stages[1]?.[1]?.se, true);
  assert.equal(a.stages[3]?.[0]?.act, 'hswish');
  const big = mbv2Space(MBV2_IMAGENET);
  // MobileNetV2 1.0 at 224: k3, e6 (first stage e1), depths 1,2,3,4,3,3,1 -> ~300M MACs in torchvision.
  const v2 = big.parse('r224-w1:k3e1r|k3e6r,k3e6r|k3e6r,k3e6r,k3e6r|k3e6r,k3e6r,k3e6r,k3e6r|k3e6r,k3e6r,k3e6r|k3e6r,k3e6r,k3e6r|k3e6r');
  const t = graphTotals(big.graph(v2));
  assert.ok(t.macs > 290e6 && t.macs < 310e6, `MobileNetV2 MACs ${t.macs}`);
  assert.ok(t.params > 3.4e6 && t.params < 3.6e6, `MobileNetV2 params ${t.params}`);
});

test('mbv2: invalid strings name the problem', () => {
  const s = mbv2Space();
  assert.throws(() => s.parse('r28-w1:k4e1r|k3e6r|k3e6r|k3e6r'), /kernel 4/);
  assert.throws(() => s.parse('r28-w1:k3e1r|k3e6r|k3e6r'), /3 stages, expected 4/);
  assert.throws(() => s.parse('r28-w1:k3e1r,k3e1r,k3e1r|k3e6r|k3e6r|k3e6r'), /stage 1 has 3 blocks/);
  assert.throws(() => s.parse('hello'), /'hello'/);
});

test('joint space: round trip and a policy covering every layer by slot', () => {
  const j = jointSpace(nb201Space());
  const rng = new Rng(5);
  const p = j.space.sample(rng);
  const a = j.fromParams(p);
  const str = j.format(a);
  assert.deepEqual(j.parse(str), a);
  const g = j.graph(a, { cellsPerStage: 1 } as never);
  const pol = j.policy(a, g);
  for (const [name, prec] of Object.entries(pol.layers)) {
    const slot = j.slotOf(name);
    assert.ok(slot !== undefined, `layer ${name} has a slot`);
    assert.equal(`w${prec.weightBits}a${prec.actBits}`, a.bits[slot as string]);
  }
  assert.throws(() => j.parse(`${EXAMPLE}@w8a8`), /expected 22/);
  const m = getArchSpace('mbv2+bits');
  assert.equal(m.name, 'mbv2+bits');
});

test('joint space with given labels: every slot parameter offers exactly them, the name carries them, the registry rebuilds it', () => {
  const labels = ['w8a8', 'w4a8', 'w2a8'];
  const j = getArchSpace('mbv2-micro+bits[w8a8,w4a8,w2a8]');
  assert.equal(j.name, 'mbv2-micro+bits[w8a8,w4a8,w2a8]');
  const slots = j.slots();
  assert.ok(slots.length > 1);
  for (const s of slots) assert.deepEqual((j.space.params[`q_${s}`] as { choices: readonly string[] }).choices, labels, s);
  const all = getArchSpace('mbv2-micro+bits');
  assert.equal(all.name, 'mbv2-micro+bits');
  for (const s of slots) assert.deepEqual((all.space.params[`q_${s}`] as { choices: readonly string[] }).choices, JOINT_PRECISIONS, s);
  // the other parameters are the base space's
  assert.deepEqual(
    j.space.names.filter((n) => !n.startsWith('q_')),
    getArchSpace('mbv2-micro').space.names,
  );
  const rng = new Rng(3);
  const used = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const a = j.fromParams(j.space.sample(rng)) as { bits: Record<string, string> };
    for (const l of Object.values(a.bits)) used.add(l);
  }
  assert.deepEqual([...used].sort(), [...labels].sort(), 'samples use the given labels, and only them');
  const str = j.format(j.fromParams(j.space.sample(rng)));
  assert.throws(() => j.parse(str.replace(/@[^,]+/, '@w4a4')), /"w4a4" is not one of w8a8, w4a8, w2a8/);
  assert.equal(jointSpaceName('mbv2', JOINT_PRECISIONS), 'mbv2+bits');
  assert.equal(jointSpace(mbv2Space(), { choices: ['w2a8', 'w8a8'] }).name, 'mbv2+bits[w2a8,w8a8]');
  assert.throws(() => getArchSpace('mbv2+bits[w8a8,w5a5]'), /'w5a5' is not a precision label.*w8a8, w4a8, w4a4, w2a8, w2a2/);
  assert.throws(() => getArchSpace('mbv2+bits[]'), /'' is not a precision label/);
  assert.throws(() => checkJointPrecisions(['w8a8', 'w8a8'], '--precisions'), /'w8a8' is given twice/);
});

test('getArchSpace: one frozen object per name, so what is keyed by the space object is built once', () => {
  for (const name of ['nb201', 'mbv2', 'mbv2+bits', 'mbv2-micro+bits[w8a8,w4a8]']) {
    const a = getArchSpace(name);
    assert.equal(getArchSpace(name), a, name);
    assert.ok(Object.isFrozen(a), name);
    assert.throws(() => {
      (a as { name: string }).name = 'x';
    }, TypeError);
  }
  assert.notEqual(getArchSpace('mbv2'), getArchSpace('mbv2+bits'));
  assert.notEqual(getArchSpace('mbv2-micro+bits'), getArchSpace('mbv2-micro+bits[w8a8,w4a8]'));
  // a bad name is still an error every time (nothing cached)
  assert.throws(() => getArchSpace('nb202'), ConfigError);
  assert.throws(() => getArchSpace('nb202'), ConfigError);
});

test('archCodec: sample/mutate/decode give valid, canonical strings', () => {
  const c = archCodec(nb201Space());
  const rng = new Rng(9);
  for (let i = 0; i < 30; i++) {
    const v = c.sample(rng);
    assert.equal(c.validate(v), null);
    const m = c.mutate(v, rng);
    assert.notEqual(m, v);
    assert.equal(c.decode(c.encode(v)), v);
  }
  assert.match(String(c.validate('nope')), /'nope'/);
  assert.equal(NB201_OPS.length, 5);
});
