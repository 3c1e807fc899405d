/**
 * Checks shared by the tests of each pre-registered set of unseen problems (bench/table22.test.ts to table25.test.ts):
 * the problems are registered in bench/compare-optuna.ts, and the committed draw gives exactly them.
 */
import assert from 'node:assert/strict';
import { benchCompareOptuna } from './compare-optuna.js';
import { specKey, type Table20Candidate } from './table20.js';
import { type SessionRule, sessionDraw, sessionUniverse } from './table22.js';

/** A set's problems in the pre-registered (slot) order, each with the family object it is registered in. */
export type RegisteredProblems = readonly (readonly [string, Readonly<Record<string, object>>])[];

/** compare-optuna refuses the unknown problem `unknown` with a list that names every one of `registered`. */
export async function assertRegistered(registered: RegisteredProblems, unknown: string): Promise<void> {
  await assert.rejects(benchCompareOptuna({ problems: [unknown], optuna: false }), (e: Error) => {
    assert.match(e.message, new RegExp(`unknown problem '${unknown}'; expected one of`));
    for (const [p] of registered) assert.ok(e.message.includes(p), p);
    return true;
  });
}

/** Each slot of `draw` chose the problem registered for it, with the registered columns (the same spec key). */
export function assertDrawRegistered(
  draw: readonly { readonly chosen?: { readonly name: string; readonly family: string; readonly spec: Readonly<Record<string, unknown>> } }[],
  registered: RegisteredProblems,
): void {
  assert.deepEqual(
    draw.map((d) => d.chosen?.name),
    registered.map(([p]) => p),
  );
  for (const [i, d] of draw.entries()) {
    const c = d.chosen;
    assert.ok(c);
    const [name, family] = registered[i] as RegisteredProblems[number];
    const reg = family[name] as Readonly<Record<string, unknown>>;
    assert.equal(specKey(c.family as Table20Candidate['family'], reg), specKey(c.family as Table20Candidate['family'], c.spec), name);
  }
}

/** A session rule's universe has `sizes` unused candidates of EC-NAS, NAS-Bench-Graph, TransNAS micro and NB201 x HELP, and none named in `absent`. */
export function assertSessionUniverse(rule: SessionRule, sizes: readonly [number, number, number, number], absent: readonly string[]): void {
  const uni = sessionUniverse(rule);
  assert.deepEqual(
    (['ecnas', 'nbg', 'tnb', 'nb201'] as const).map((f) => uni.filter((c) => c.family === f).length),
    sizes,
  );
  for (const name of absent) assert.ok(!uni.some((c) => c.name === name), name);
}

/**
 * A session rule's draw chose `registered` slot by slot ({@link assertDrawRegistered}), after candidates with the fronts
 * `tried` (distinct vectors, per slot), the rejected ones nested in `nestedIn` (in draw order).
 */
export function assertSessionDraw(rule: SessionRule, registered: RegisteredProblems, tried: readonly (readonly number[])[], nestedIn: readonly string[]): void {
  const draw = sessionDraw(rule);
  assert.equal(draw.length, rule.slots.length);
  assertDrawRegistered(draw, registered);
  assert.deepEqual(
    draw.map((d) => d.tried.map((t) => t.vectors)),
    tried,
  );
  assert.deepEqual(
    draw.flatMap((d) => d.tried.flatMap((t) => (t.rejected?.reason === 'nested' ? [t.rejected.in] : []))),
    nestedIn,
  );
}
