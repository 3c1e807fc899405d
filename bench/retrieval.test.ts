import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGallerySizes, parseNasAlign, parseNasMaxLatency, parseRecipes, parseReduction, pickPoint, recipeLabel } from './retrieval.js';

test('parseRecipes: epochs, images, alignment weight (default 1, 0, or indep)', () => {
  assert.deepEqual(parseRecipes('12:5000', 55000), [{ epochs: 12, images: 5000, align: 1 }]);
  assert.deepEqual(parseRecipes('24:20000:0.5, 12:5000:indep,6:100:0', 55000), [
    { epochs: 24, images: 20000, align: 0.5 },
    { epochs: 12, images: 5000, align: 'indep' },
    { epochs: 6, images: 100, align: 0 },
  ]);
  assert.equal(recipeLabel({ epochs: 24, images: 20000, align: 1 }), '24 ep x 20000 img, align 1');
  assert.equal(recipeLabel({ epochs: 12, images: 5000, align: 'indep' }), '12 ep x 5000 img, independent');
});

test('parseRecipes: bad recipes name the bad item and what was expected', () => {
  assert.throws(() => parseRecipes('', 55000), /expected one or more E:N\[:W\]/);
  assert.throws(() => parseRecipes('12', 55000), /'12' is not E:N\[:W\]/);
  assert.throws(() => parseRecipes('0:5000', 55000), /'0:5000' is not E:N\[:W\]/);
  assert.throws(() => parseRecipes('12:5000.5', 55000), /is not E:N\[:W\]/);
  assert.throws(() => parseRecipes('12:5000:1:2', 55000), /is not E:N\[:W\]/);
  assert.throws(() => parseRecipes('12:60000', 55000), /asks for 60000 training images, expected at most 55000/);
  assert.throws(() => parseRecipes('12:5000:-1', 55000), /alignment weight '-1', expected a number >= 0 or 'indep'/);
  assert.throws(() => parseRecipes('12:5000:', 55000), /alignment weight '', expected/);
  assert.throws(() => parseRecipes('12:5000:x', 55000), /alignment weight 'x'/);
});

test('parseGallerySizes: extra gallery sizes, none by default; bad sizes named', () => {
  assert.deepEqual(parseGallerySizes('', 55000), []);
  assert.deepEqual(parseGallerySizes('20000, 55000', 55000), [20000, 55000]);
  assert.throws(() => parseGallerySizes('0', 55000), /'0' is not a positive whole number of gallery images/);
  assert.throws(() => parseGallerySizes('2e4.5', 55000), /'2e4.5' is not a positive whole number/);
  assert.throws(() => parseGallerySizes('x', 55000), /'x' is not a positive whole number/);
  assert.throws(() => parseGallerySizes('60000', 55000), /60000 gallery images asked for, expected at most 55000/);
});

test('pickPoint: most accurate point meeting both reduction rules, else the cheapest by the rule measure', () => {
  const front = [
    { arch: 'a', values: { map: 0.9 }, macsReduction: 5, latencyReduction: 2 },
    { arch: 'b', values: { map: 0.85 }, macsReduction: 25, latencyReduction: 4 },
    { arch: 'c', values: { map: 0.8 }, macsReduction: 60, latencyReduction: 15 },
    { arch: 'd', values: { map: 0.7 }, macsReduction: 40, latencyReduction: 20 },
  ];
  assert.deepEqual(pickPoint(front, 0, 0), { point: front[0], qualified: true });
  // MACs rule only (the sixth pass's rule): b is the most accurate with >= 20x fewer MACs
  assert.equal(pickPoint(front, 20, 0).point.arch, 'b');
  // latency rule: b is only 4x faster; c is the most accurate with >= 13.8x
  assert.equal(pickPoint(front, 0, 13.8).point.arch, 'c');
  assert.equal(pickPoint(front, 20, 13.8).point.arch, 'c');
  assert.deepEqual(pickPoint(front, 30, 16), { point: front[3], qualified: true });
  // nothing qualifies: the cheapest by the measure of the rule given (latency when a latency rule is set)
  assert.deepEqual(pickPoint(front, 100, 0), { point: front[2], qualified: false });
  assert.deepEqual(pickPoint(front, 0, 30), { point: front[3], qualified: false });
  // equal mAP: the cheaper one in the rule's measure
  const tie = [
    { arch: 'x', values: { map: 0.8 }, macsReduction: 30, latencyReduction: 14 },
    { arch: 'y', values: { map: 0.8 }, macsReduction: 20, latencyReduction: 18 },
  ];
  assert.equal(pickPoint(tie, 0, 13.8).point.arch, 'y');
  assert.equal(pickPoint(tie, 20, 0).point.arch, 'x');
  assert.throws(() => pickPoint([], 20, 0), /empty Pareto front/);
});

test('parseReduction / parseNasAlign: values and bad input named', () => {
  assert.equal(parseReduction('--min-latency-reduction', '13.8'), 13.8);
  assert.equal(parseReduction('--min-reduction', '0'), 0);
  assert.throws(() => parseReduction('--min-latency-reduction', '-1'), /--min-latency-reduction '-1': expected a reduction factor >= 0/);
  assert.throws(() => parseReduction('--min-reduction', 'x'), /--min-reduction 'x'/);
  assert.throws(() => parseReduction('--min-reduction', ''), /--min-reduction ''/);
  assert.equal(parseNasAlign(undefined), undefined);
  assert.equal(parseNasAlign('100'), 100);
  assert.equal(parseNasAlign('0'), 0);
  assert.throws(() => parseNasAlign('-3'), /--nas-align '-3': expected an alignment weight >= 0/);
  assert.throws(() => parseNasAlign(''), /--nas-align ''/);
  assert.throws(() => parseNasAlign('abc'), /--nas-align 'abc'/);
});

test('parseNasMaxLatency: a latency in ms > 0, bad values named', () => {
  assert.equal(parseNasMaxLatency('0.006283'), 0.006283);
  assert.throws(() => parseNasMaxLatency('0'), /--nas-max-latency '0': expected a latency in ms > 0/);
  assert.throws(() => parseNasMaxLatency('-1'), /--nas-max-latency '-1'/);
  assert.throws(() => parseNasMaxLatency(''), /--nas-max-latency ''/);
});
