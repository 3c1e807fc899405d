/** Small MobileNetV2-style spaces for fast tests of the supernet, block-wise search and NAS evaluators. */
import type { Mbv2SpaceOptions } from '../mbv2.js';

/** A tiny space: 8x8x3 input, two stages of 1-2 blocks, kernels 3/5, expansions 1/3. */
export const MBV2_TINY: Mbv2SpaceOptions = {
  name: 'mbv2-tiny',
  stemChannels: 8,
  stemStride: 1,
  stages: [
    { channels: 8, stride: 1, minDepth: 1, maxDepth: 2 },
    { channels: 16, stride: 2, minDepth: 1, maxDepth: 2 },
  ],
  headChannels: 32,
  kernels: [3, 5],
  expansions: [1, 3],
  widths: [1],
  inputSizes: [8],
  inChannels: 3,
  classes: 10,
};
