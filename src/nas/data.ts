/**
 * The data set of a training-based `hwnas nas` search, loaded once before its study is created: so a data set the
 * space cannot take (3-channel images for a 1-channel space), a numbered-class note and counts above a split are
 * said at once, with nothing stored. The evaluators load the same data again on their first trial ({@link nasDatasetOptions}).
 */
import { noteNumericClasses } from '../data/image-folder.js';
import { loadDataset } from '../data/load.js';
import { ChannelMismatchError } from '../data/preprocess.js';
import type { LoadedDataset } from '../data/types.js';
import { ConfigError } from '../errors.js';
import { archSpaceDescriptions, getArchSpace } from '../search/spaces/registry.js';
import { type ArchSpace, spaceInputShape } from '../search/spaces/types.js';
import { nasDatasetOptions } from './run.js';

/**
 * Loads `spec` as the space's trials will (limits of {@link nasDatasetOptions}, the space's largest input size and its
 * channels) and prints the numeric-label note train/quantize print. A data set of more channels than the space takes
 * is a ConfigError naming both shapes and the spaces that take it.
 * @example const ds = await loadNasData('fashion-mnist', 600, getArchSpace('mbv2-micro'));
 */
export async function loadNasData(spec: string, limit: number | undefined, space: ArchSpace): Promise<LoadedDataset> {
  const shape = spaceInputShape(space);
  const d = nasDatasetOptions(spec, limit, shape);
  let ds: LoadedDataset;
  try {
    ds = await loadDataset(d.spec, d.options);
  } catch (e) {
    if (!(e instanceof ChannelMismatchError)) throw e;
    const [c, h, w] = e.stored;
    const own = space.options ?? space.base?.options;
    const sizes = own && own.inputSizes.length > 1 ? `; each architecture at its own input size, ${own.inputSizes.join(', ')}` : '';
    const fit = spacesTaking(c);
    throw new ConfigError(
      `--space ${space.name} takes ${shape.channels}x${shape.size}x${shape.size} images (${shape.channels} channel${shape.channels === 1 ? '' : 's'}${sizes}); --dataset '${spec}' gives ${c}x${h}x${w}, and only 1-channel images are replicated to more channels (image folders, imagefolder:, are decoded grey for a 1-channel space; other data sets keep their channels): ${fit.length > 0 ? `for ${c}-channel data use --space ${fit.join(', ')}` : `no space takes ${c}-channel images`}`,
    );
  }
  noteNumericClasses(spec, ds);
  return ds;
}

/** The registered architecture spaces whose networks take `channels`-channel input. */
export function spacesTaking(channels: number): string[] {
  return Object.keys(archSpaceDescriptions()).filter((n) => spaceInputShape(getArchSpace(n)).channels === channels);
}
