/**
 * An architecture space as one structured parameter: a {@link StructuredCodec} whose values are
 * architecture strings, for studies that mix an architecture with other parameters. Encoding is the
 * space's own unit-cube encoding (one-hot categoricals), so model-based strategies see the same
 * geometry as with the flat parameters.
 */
import type { Rng } from '../../util/rng.js';
import type { StructuredCodec } from '../space.js';
import { mutate } from '../strategies/variation.js';
import type { JsonValue } from '../types.js';
import type { ArchSpace } from './types.js';

/** A codec for architecture strings of `arch`. */
export function archCodec<A>(arch: ArchSpace<A>): StructuredCodec {
  const s = arch.space;
  const toStr = (p: Parameters<typeof arch.fromParams>[0]): string => arch.format(arch.fromParams(p));
  const toParams = (v: JsonValue) => arch.toParams(arch.parse(v as string));
  return {
    name: `arch-${arch.name}`,
    dimension: s.encodedDimension,
    sample: (rng: Rng) => toStr(s.sample(rng)),
    mutate: (v, rng) => {
      const cur = v as string;
      for (let i = 0; i < 20; i++) {
        const next = toStr(mutate(s, toParams(v), rng, { sbxEta: 15, mutationEta: 20, mutationProb: 1 / s.names.length }));
        if (next !== cur) return next;
      }
      return toStr(s.sample(rng));
    },
    encode: (v) => s.encode(toParams(v)),
    decode: (x) => toStr(s.decode(x)),
    validate: (v) => {
      if (typeof v !== 'string') return `expected an architecture string of space '${arch.name}'`;
      try {
        arch.parse(v);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
    describe: () => ({ space: arch.name }),
  };
}
