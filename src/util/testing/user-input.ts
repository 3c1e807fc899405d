/**
 * Property-test helpers for parsers a user feeds (`*.property.test.ts`): inputs made by mutating valid
 * examples, and the property every such parser must have: it returns, or throws a UserError (CLI exit
 * 2) with a message; never another error (an internal failure, exit 1).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UserError } from '../../errors.js';

/** Characters that break parsers: separators, signs, exponents, escapes, quotes, brackets, odd unicode. */
const NASTY = [...'=&?:;,.-+eE0123456789 \t\n%[]{}"\'/\\#xX_|~', '\u0000', '\u00e9', '\u{1F600}', 'NaN', 'Infinity', '1e309', '-0', '%zz', '%'];

/** One edit of a string: insert, delete or replace at a position, or cut it short. */
const edit = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace', 'truncate', 'duplicate'),
  at: fc.nat(),
  piece: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 4 })),
});

/** Applies edits to a string (positions taken modulo its length). */
export function applyEdits(s: string, edits: readonly { kind: string; at: number; piece: string }[]): string {
  let out = s;
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % (out.length + 1);
    if (e.kind === 'insert') out = out.slice(0, i) + e.piece + out.slice(i);
    else if (e.kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else if (e.kind === 'replace') out = out.slice(0, i) + e.piece + out.slice(i + e.piece.length);
    else if (e.kind === 'truncate') out = out.slice(0, i);
    else out = out.slice(0, i) + out.slice(i) + out.slice(i); // the tail twice (repeated keys, rows)
  }
  return out;
}

/** Strings near the valid `seeds` (1-4 edits of one of them), plus the seeds themselves and arbitrary strings. */
export function nearValid(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([s, e]) => applyEdits(s, e)) },
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

/**
 * Runs `fn(input)`: returns its result, or undefined when it threw a UserError with a message. Any other
 * throw fails the assertion, naming the input.
 */
export function userErrorOrResult<T>(input: unknown, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof UserError)) assert.fail(`input ${JSON.stringify(input)}: internal error ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.length > 0, `input ${JSON.stringify(input)}: UserError without a message`);
    return undefined;
  }
}

/** Async form of {@link userErrorOrResult}. */
export async function userErrorOrResultAsync<T>(input: unknown, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof UserError)) assert.fail(`input ${JSON.stringify(input)}: internal error ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(e.message.length > 0, `input ${JSON.stringify(input)}: UserError without a message`);
    return undefined;
  }
}
