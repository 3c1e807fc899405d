/**
 * Fault models: which bits of a site are hit and what happens to them, all drawn from an explicit seeded
 * {@link Rng}.
 *
 * - `flip`: each selected bit is inverted (a single-event upset);
 * - `stuck-0` / `stuck-1`: each selected bit reads 0 / 1 whatever was stored (a permanent defect: it changes
 *   the value only where the stored bit differed).
 *
 * Bits are selected either independently at a bit error rate (`ber`: every bit is hit with probability
 * `ber`, drawn by geometric skipping, so the cost is the number of faults, not the number of bits) or as an
 * exact number of distinct bits (`count`, uniformly among all bits of the site).
 */
import { ConfigError } from '../errors.js';
import type { Rng } from '../util/rng.js';

/** What a fault does to a selected bit. */
export type FaultKind = 'flip' | 'stuck-0' | 'stuck-1';

/** The fault kinds, in the order the CLI lists them. */
export const FAULT_KINDS: readonly FaultKind[] = ['flip', 'stuck-0', 'stuck-1'];

/** A fault model: what a fault does, and how many bits it hits (a rate, or an exact count). */
export interface FaultModel {
  readonly kind: FaultKind;
  /** Bit error rate in [0, 1]: each bit is hit independently with this probability. */
  readonly ber?: number;
  /** Exact number of distinct bits hit (instead of `ber`). */
  readonly count?: number;
}

/** Throws a ConfigError naming the bad field unless `m` is a usable fault model. */
export function checkFaultModel(m: FaultModel): void {
  if (!FAULT_KINDS.includes(m.kind)) throw new ConfigError(`fault kind '${String(m.kind)}' is unknown: expected one of ${FAULT_KINDS.join(', ')}`);
  const hasBer = m.ber !== undefined;
  const hasCount = m.count !== undefined;
  if (hasBer === hasCount) throw new ConfigError('a fault model needs exactly one of ber (bit error rate) or count (exact number of bits)');
  if (hasBer && !(Number.isFinite(m.ber) && (m.ber as number) >= 0 && (m.ber as number) <= 1)) {
    throw new ConfigError(`bit error rate ${String(m.ber)} is invalid: expected a number in [0, 1]`);
  }
  if (hasCount && !(Number.isSafeInteger(m.count) && (m.count as number) >= 0)) {
    throw new ConfigError(`fault count ${String(m.count)} is invalid: expected an integer >= 0`);
  }
}

/**
 * Positions (0-based, strictly increasing) of the bits a fault model hits among `totalBits` bits.
 * With `ber`, each bit is hit independently (geometric gaps between hits); with `count`, exactly
 * `min(count, totalBits)` distinct bits (Floyd's sampling, then sorted).
 */
export function sampleFaultBits(totalBits: number, m: FaultModel, rng: Rng): number[] {
  if (!Number.isSafeInteger(totalBits) || totalBits < 0) throw new ConfigError(`bit count ${totalBits} is invalid: expected an integer >= 0`);
  if (m.count !== undefined) {
    const k = Math.min(m.count, totalBits);
    const chosen = new Set<number>();
    // Floyd: for j in [N-k, N): pick t in [0, j]; take t unless taken, else j
    for (let j = totalBits - k; j < totalBits; j++) {
      const t = Math.floor(rng.next() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    return [...chosen].sort((a, b) => a - b);
  }
  const p = m.ber ?? 0;
  const out: number[] = [];
  if (p <= 0 || totalBits === 0) return out;
  if (p >= 1) {
    for (let i = 0; i < totalBits; i++) out.push(i);
    return out;
  }
  const logq = Math.log1p(-p);
  let pos = -1;
  for (;;) {
    // gap ~ Geometric(p): the number of untouched bits before the next hit
    const u = 1 - rng.next(); // (0, 1]
    const gap = Math.floor(Math.log(u) / logq);
    pos += gap + 1;
    if (!(pos < totalBits)) return out;
    out.push(pos);
  }
}

/** The value of a bit after a fault of `kind` hits it. */
export function faultedBit(kind: FaultKind, stored: number): number {
  if (kind === 'flip') return stored ^ 1;
  return kind === 'stuck-1' ? 1 : 0;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A float32 value with bit `bit` (0 = mantissa LSB, 23..30 exponent, 31 sign) hit by a fault of `kind`. */
export function faultFloat32(value: number, bit: number, kind: FaultKind): number {
  f32[0] = value;
  const stored = ((u32[0] as number) >>> bit) & 1;
  const next = faultedBit(kind, stored);
  if (next !== stored) u32[0] = ((u32[0] as number) ^ (1 << bit)) >>> 0;
  return f32[0] as number;
}

/**
 * A signed integer code stored in `bits`-bit two's complement with bit `bit` (0 = LSB, bits-1 = sign) hit
 * by a fault of `kind`. The result is again a `bits`-bit two's complement value, so a sign-bit flip of code
 * 0 gives -2^(bits-1), a code the quantizer itself never emits but the storage can hold.
 */
export function faultSignedCode(code: number, bits: number, bit: number, kind: FaultKind): number {
  const mask = 2 ** bits - 1;
  let u = code & mask;
  const stored = (u >>> bit) & 1;
  if (faultedBit(kind, stored) !== stored) u ^= 1 << bit;
  return u >= 2 ** (bits - 1) ? u - 2 ** bits : u;
}

/** An unsigned integer code of `bits` bits with bit `bit` hit by a fault of `kind`. */
export function faultUnsignedCode(code: number, bit: number, kind: FaultKind): number {
  const stored = (code >>> bit) & 1;
  return faultedBit(kind, stored) !== stored ? code ^ (1 << bit) : code;
}

/** A 1-bit sign code (-1 or +1, stored as bit 0 / 1) hit by a fault of `kind`. */
export function faultBinaryCode(code: number, kind: FaultKind): number {
  const stored = code > 0 ? 1 : 0;
  return faultedBit(kind, stored) === 1 ? 1 : -1;
}
