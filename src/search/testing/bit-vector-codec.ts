/**
 * An example {@link StructuredCodec}: a fixed-length vector whose entries are drawn from a list of
 * choices (e.g. per-layer bit widths). Used by the conformance suite; precision policies can use it.
 */
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import type { StructuredCodec } from '../space.js';
import type { JsonValue } from '../types.js';

/** A codec for vectors of `length` entries, each one of `choices` (sorted numbers). */
export function bitVectorCodec(length: number, choices: readonly number[]): StructuredCodec {
  if (!Number.isInteger(length) || length < 1) throw new ConfigError(`bit-vector length ${length}: expected an integer >= 1`);
  if (choices.length === 0) throw new ConfigError('bit-vector choices []: expected at least one choice');
  const sorted = [...choices].sort((a, b) => a - b);
  const k = sorted.length;
  const index = (v: JsonValue): number => sorted.indexOf(v as number);
  return {
    name: `bit-vector-${length}x${sorted.join('|')}`,
    dimension: length,
    sample: (rng: Rng) => Array.from({ length }, () => rng.choice(sorted)),
    mutate: (value, rng) => {
      const v = [...(value as number[])];
      const i = rng.int(0, length - 1);
      if (k > 1) {
        let j = rng.int(0, k - 2);
        if (j >= index(v[i] as number)) j++;
        v[i] = sorted[j] as number;
      }
      return v;
    },
    encode: (value) => (value as number[]).map((b) => (k === 1 ? 0.5 : index(b) / (k - 1))),
    decode: (x) => x.map((u) => sorted[Math.min(k - 1, Math.max(0, Math.round(u * (k - 1))))] as number),
    validate: (value) => {
      if (!Array.isArray(value) || value.length !== length) return `expected an array of ${length} entries`;
      const bad = value.find((b) => index(b) < 0);
      return bad === undefined ? null : `entry ${JSON.stringify(bad)} is not one of ${JSON.stringify(sorted)}`;
    },
    describe: () => ({ length, choices: sorted }),
  };
}
