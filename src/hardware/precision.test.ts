import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { zooGraph } from '../ir/zoo/index.js';
import { parsePolicy, policyFromVectors, policyPreset, precisionLabel } from './precision.js';
import { getTarget } from './registry.js';

const g = zooGraph('zoo:mbnet32');
const err = (re: RegExp) => (e: unknown) => e instanceof ConfigError && re.test(e.message);

describe('precision policies', () => {
  it('presets', () => {
    assert.deepEqual(policyPreset('w4a8').default, { weightBits: 4, actBits: 8 });
    assert.deepEqual(policyPreset('fp32').default, { weightBits: 32, actBits: 32 });
    assert.throws(() => policyPreset('w9a8'), err(/'w9a8'/));
    assert.throws(() => policyPreset('int8'), err(/'int8'/));
  });
  it('parses a per-layer policy with channel groups and round-trips through JSON', () => {
    const json = {
      name: 'mixed',
      default: { weightBits: 8, actBits: 8 },
      layers: {
        stem: { weightBits: 4, actBits: 8 },
        fc: {
          weightBits: 8,
          actBits: 8,
          groups: [
            { channels: 6, weightBits: 4, actBits: 8 },
            { channels: 4, weightBits: 2, actBits: 8 },
          ],
        },
      },
    };
    const p = parsePolicy(JSON.parse(JSON.stringify(json)), { graph: g });
    assert.equal(p.layers.stem?.weightBits, 4);
    assert.equal(p.layers.fc?.groups?.length, 2);
    assert.deepEqual(parsePolicy(JSON.parse(JSON.stringify(p)), { graph: g }), p);
    assert.deepEqual(parsePolicy('w4a4'), policyPreset('w4a4'));
  });
  it('rejects an unknown layer name, naming it', () => {
    assert.throws(() => parsePolicy({ layers: { stme: { weightBits: 4, actBits: 4 } } }, { graph: g }), err(/unknown layer 'stme'.*stem/));
    // a batchnorm is not a quantizable layer
    assert.throws(() => parsePolicy({ layers: { stem_bn: { weightBits: 4, actBits: 4 } } }, { graph: g }), err(/'stem_bn'/));
  });
  it('rejects malformed bits and fields', () => {
    assert.throws(() => parsePolicy({ default: { weightBits: 9, actBits: 8 } }), err(/weightBits=9/));
    assert.throws(() => parsePolicy({ default: { weightBits: 8, actBits: '8' } }), err(/actBits="8"/));
    assert.throws(() => parsePolicy({ default: { weightBits: 8 } }), err(/actBits=undefined/));
    assert.throws(() => parsePolicy({ defaults: {} }), err(/unknown field 'defaults'/));
    assert.throws(() => parsePolicy([1, 2]), err(/expected an object/));
  });
  it('refuses a field at a level that does not take it, naming the field, the place and what it takes (was ignored)', () => {
    const w8 = { weightBits: 8, actBits: 8 };
    const grp = { channels: 10, weightBits: 8, actBits: 8 };
    const cases: [unknown, RegExp][] = [
      [
        { default: { ...w8, groups: [{ channels: 3, ...w8 }] } },
        /policy: default: field 'groups' does not belong here \(expected weightBits, actBits; 'groups' goes in a layer entry/,
      ],
      [{ default: { ...w8, inputGroups: 5 } }, /default: field 'inputGroups' does not belong here \(expected weightBits, actBits;/],
      [{ default: { ...w8, channels: -1 } }, /default: field 'channels' does not belong here \(expected weightBits, actBits;/],
      [{ layers: { fc: { ...w8, channels: 999 } } }, /layer 'fc': field 'channels' does not belong here \(expected weightBits, actBits, groups, inputGroups;/],
      [
        { layers: { fc: { ...w8, groups: [{ ...grp, groups: 'garbage' }] } } },
        /layer 'fc' group 0: field 'groups' does not belong here \(expected channels, weightBits, actBits;/,
      ],
      [
        { layers: { fc: { ...w8, groups: [{ ...grp, inputGroups: 7 }] } } },
        /layer 'fc' group 0: field 'inputGroups' does not belong here \(expected channels, weightBits, actBits;/,
      ],
      // a typo inside a group lists the group's fields, not a layer's
      [
        { layers: { fc: { ...w8, groups: [{ ...grp, actbits: 8 }] } } },
        /layer 'fc' group 0: unknown field 'actbits' \(expected channels, weightBits, actBits\)/,
      ],
      [
        { layers: { fc: { ...w8, inputGroups: [{ channels: 4, actBits: 8, weightBits: 4 }] } } },
        /layer 'fc' input group 0: field 'weightBits' does not belong here \(expected channels, actBits;/,
      ],
      [
        { layers: { fc: { ...w8, inputGroups: [{ channels: 4, actBits: 8, bits: 4 }] } } },
        /layer 'fc' input group 0: unknown field 'bits' \(expected channels, actBits\)/,
      ],
    ];
    for (const [json, pattern] of cases) assert.throws(() => parsePolicy(json), err(pattern), JSON.stringify(json));
    // each level still takes its own fields
    const ok = parsePolicy({ default: w8, layers: { fc: { ...w8, groups: [grp], inputGroups: [{ channels: 4, actBits: 8 }] } } });
    assert.deepEqual(ok.layers.fc?.groups, [grp]);
  });
  it('rejects channel groups that do not cover the layer', () => {
    const bad = { layers: { fc: { weightBits: 8, actBits: 8, groups: [{ channels: 3, weightBits: 4, actBits: 8 }] } } };
    assert.throws(() => parsePolicy(bad, { graph: g }), err(/cover 3 channels.*10/));
    const zero = { layers: { fc: { weightBits: 8, actBits: 8, groups: [{ channels: 0, weightBits: 4, actBits: 8 }] } } };
    assert.throws(() => parsePolicy(zero), err(/channels=0/));
  });
  it('rejects bit-widths the target cannot run, naming layer, bits and target', () => {
    const t = getTarget('edge-tpu');
    const p = { layers: { b2_pw: { weightBits: 4, actBits: 8 } } };
    assert.throws(
      () => parsePolicy(p, { graph: g, supported: t.supportedBits, targetName: t.name }),
      err(/layer 'b2_pw' weightBits=4 cannot run on target 'edge-tpu': expected one of 8/),
    );
  });
  it('builds a policy from bit vectors in layer order', () => {
    const p = policyFromVectors(g, [4, 8, 8, 8, 8, 8, 8, 8, 8, 2], [8, 8, 8, 8, 8, 8, 8, 8, 8, 8]);
    assert.equal(precisionLabel(p.layers.stem ?? p.default), 'w4a8');
    assert.equal(p.layers.fc?.weightBits, 2);
    assert.throws(() => policyFromVectors(g, [4], [4]), err(/expected 10/));
  });
});
