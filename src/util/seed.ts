/**
 * The one range every seed takes: an integer in [0, 2^32 - 1]. {@link Rng} keeps a seed's low 32 bits, so a larger
 * seed would silently run as another one (2^32 + 1 as 1); flags, study configs and evaluation options refuse it.
 */
import { z } from 'zod';

/** The largest seed (2^32 - 1). */
export const MAX_SEED = 2 ** 32 - 1;

/** A seed in a JSON config or evaluation options. */
export const seedSchema = z.number().int().min(0).max(MAX_SEED);
