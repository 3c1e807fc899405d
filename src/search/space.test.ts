import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { SearchSpace } from './space.js';
import { bitVectorCodec } from './testing/bit-vector-codec.js';
import { mixedSpace } from './testing/strategy-conformance.js';

test('samples are valid, encode into the unit cube and decode back to themselves', () => {
  const space = mixedSpace();
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) {
    const p = space.sample(rng);
    assert.equal(space.check(p), null);
    const x = space.encode(p);
    assert.equal(x.length, space.encodedDimension);
    assert.ok(x.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(space.decode(x), p);
  }
});

test('invalid spaces and points are reported with the bad value', () => {
  assert.throws(
    () => new SearchSpace({ a: { kind: 'int', low: 5, high: 1 } }),
    (e: Error) => e instanceof ConfigError && /parameter 'a'.*low <= high/.test(e.message),
  );
  assert.throws(() => new SearchSpace({ a: { kind: 'float', low: 0, high: 1, log: true } }), /low > 0/);
  assert.throws(() => new SearchSpace({}), /no parameters/);
  const s = new SearchSpace({ n: { kind: 'int', low: 0, high: 20, step: 5 }, c: { kind: 'categorical', choices: ['a', 'b'] } });
  assert.match(s.check({ n: 7, c: 'a' }) ?? '', /'n' = 7/);
  assert.match(s.check({ n: 5, c: 'z' }) ?? '', /'c' = "z": expected one of \["a","b"\]/);
  assert.match(s.check({ n: 5 }) ?? '', /'c' is missing/);
  assert.throws(() => s.validate({ n: 5, c: 'a', extra: 1 }), /'extra' is not in the space/);
});

test('log-scaled parameters sample log-uniformly', () => {
  const s = new SearchSpace({ lr: { kind: 'float', low: 1e-4, high: 1, log: true } });
  const rng = new Rng(2);
  let below = 0;
  for (let i = 0; i < 2000; i++) if ((s.sample(rng).lr as number) < 1e-2) below++;
  assert.ok(below > 900 && below < 1100, `${below} of 2000 below 1e-2`);
});

test('toJSON / fromJSON round trip with a structured codec looked up by name', () => {
  const codec = bitVectorCodec(3, [4, 8]);
  const s = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 }, bits: { kind: 'structured', codec } });
  const back = SearchSpace.fromJSON(JSON.parse(JSON.stringify(s.toJSON())), { [codec.name]: codec });
  assert.deepEqual(back.toJSON(), s.toJSON());
  assert.throws(() => SearchSpace.fromJSON(s.toJSON()), /codec "bit-vector-3x4\|8", which is not registered/);
});
