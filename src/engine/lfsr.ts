/**
 * A cheap, seeded uniform generator for stochastic rounding as embedded hardware would build it: one
 * 16-bit Galois LFSR (polynomial x^16 + x^14 + x^13 + x^11 + 1, taps 0xB400, period 65,535), advanced
 * 8 steps per output ("leap-forward": 8 shifts are one XOR network per clock in hardware) so consecutive
 * outputs share no state bits; the low 8 state bits are the fraction u = byte / 256 in [0, 1).
 *
 * The whole period (65,535 outputs) is tabulated once; a stream reads it from a seeded starting offset
 * and wraps around, exactly as a free-running register would. The state never reaches 0, so byte 0 is
 * one count short of uniform (255 of 65,535 outputs instead of 256): a bias of 1/65,536, documented in
 * docs/ensembles.md.
 */

const TAPS = 0xb400;
const PERIOD = 65535;
let table: Float32Array | undefined;

/** The LFSR's output sequence over one full period (u in [0, 1), steps of 1/256). */
export function lfsrTable(): Float32Array {
  if (table) return table;
  const t = new Float32Array(PERIOD);
  let s = 1;
  for (let i = 0; i < PERIOD; i++) {
    for (let k = 0; k < 8; k++) {
      const lsb = s & 1;
      s >>>= 1;
      if (lsb) s ^= TAPS;
    }
    t[i] = (s & 0xff) / 256;
  }
  table = t;
  return t;
}

/** A seeded stream of LFSR fractions: `seed` picks the starting offset in the period. */
export class LfsrStream {
  private pos: number;

  constructor(seed: number) {
    this.pos = ((Math.floor(seed) % PERIOD) + PERIOD) % PERIOD;
  }

  /** The next `n` fractions (wrapping around the period). */
  next(n: number): Float32Array {
    const t = lfsrTable();
    const out = new Float32Array(n);
    let o = 0;
    while (o < n) {
      const m = Math.min(n - o, PERIOD - this.pos);
      out.set(t.subarray(this.pos, this.pos + m), o);
      o += m;
      this.pos = (this.pos + m) % PERIOD;
    }
    return out;
  }
}
