/**
 * Checks shared by the tests of each pre-registered set of unseen problems (bench/table22.test.ts, table23.test.ts):
 * the problems are registered in bench/compare-optuna.ts, and the committed draw gives exactly them.
 */
import assert from 'node:assert/strict';
import { benchCompareOptuna } from './compare-optuna.js';
import { specKey, type Table20Candidate } from './table20.js';

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
