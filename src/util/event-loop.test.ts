import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Yielder } from './event-loop.js';

describe('Yielder', () => {
  it('yields on every call with everyMs 0, and not before the interval otherwise', async () => {
    const always = new Yielder(0);
    let turns = 0;
    setImmediate(() => turns++);
    await always.maybe();
    assert.equal(turns, 1, 'a pending setImmediate callback ran during maybe()');
    const rarely = new Yielder(3_600_000);
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    for (let i = 0; i < 100; i++) await rarely.maybe();
    assert.equal(ran, false, 'no turn before the interval has passed');
    await new Promise((r) => setImmediate(r));
    assert.equal(ran, true);
  });
});
