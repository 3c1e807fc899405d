/** A small learnable task for tests of the NAS training evaluator, and the one-channel tiny space it fits. */
import type { Dataset, Split } from '../../data/types.js';
import type { Mbv2SpaceOptions } from '../../search/spaces/mbv2.js';
import { MBV2_TINY } from '../../search/spaces/testing/tiny.js';
import { Rng } from '../../util/rng.js';

/** {@link MBV2_TINY} on one-channel 8x8 images (the shape of {@link templateDataset}). */
export const TINY_GREY: Mbv2SpaceOptions = { ...MBV2_TINY, inChannels: 1 };

/**
 * 8x8 grey images whose label is the template (of 10 fixed random ones) they were drawn around, with noise of
 * standard deviation 0.8: 384 training, 200 validation, 50 test images, the same on every call.
 */
export function templateDataset(): Dataset {
  const t = new Rng(99);
  const templates = Array.from({ length: 10 }, () => Float32Array.from({ length: 64 }, () => t.normal()));
  const split = (n: number, seed: number): Split => {
    const r = new Rng(seed);
    const x = new Float32Array(n * 64);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = r.int(0, 9);
      const tpl = templates[c] as Float32Array;
      for (let j = 0; j < 64; j++) x[i * 64 + j] = (tpl[j] as number) + 0.8 * r.normal();
      y[i] = c;
    }
    return { x, y, n };
  };
  return { name: 'templates', shape: [1, 8, 8], numClasses: 10, train: split(384, 1), val: split(200, 2), test: split(50, 3) };
}
