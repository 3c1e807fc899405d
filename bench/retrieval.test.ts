import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGallerySizes, parseRecipes, recipeLabel } from './retrieval.js';

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
