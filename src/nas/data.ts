/**
 * The data set of a training-based `hwnas nas` search, loaded once before its study is created: so a data set the
 * space cannot take (3-channel images for a 1-channel space), a numbered-class note and counts above a split are
 * said at once, with nothing stored. The evaluators of the same process reuse it ({@link loadSearchDataset}).
 */
import { noteNumericClasses } from '../data/image-folder.js';
import { loadDataset } from '../data/load.js';
import { ChannelMismatchError } from '../data/preprocess.js';
import type { LoadedDataset } from '../data/types.js';
import { ConfigError } from '../errors.js';
import { archSpaceDescriptions, getArchSpace } from '../search/spaces/registry.js';
import { type ArchSpace, spaceInputShape } from '../search/spaces/types.js';
import { nasDatasetOptions } from './run.js';

/** The one data set a process keeps: the key of its load (spec and options) and the load itself. */
let kept: { readonly key: string; readonly load: Promise<LoadedDataset> } | undefined;

/**
 * The data set of `spec` for a space of input `shape` as a search loads it ({@link nasDatasetOptions}), loaded once per
 * process: `hwnas nas` loads it before creating its study, and its evaluators (trials, cheap objectives, `--out`) ask
 * for the same spec and limits, which gives the same object. Only the last load is kept (a worker serving studies of
 * other data loads again) and a failed one is not; callers must not modify the data (the trials share it already).
 * @example const ds = await loadSearchDataset('fashion-mnist', 600, spaceInputShape(getArchSpace('mbv2-micro')));
 */
export function loadSearchDataset(spec: string, limit: number | undefined, shape: { size: number; channels: number }): Promise<LoadedDataset> {
  const d = nasDatasetOptions(spec, limit, shape);
  const key = JSON.stringify(d);
  if (kept?.key !== key) {
    const load = loadDataset(d.spec, d.options);
    kept = { key, load };
    load.catch(() => {
      if (kept?.load === load) kept = undefined;
    });
  }
  return kept.load;
}

/**
 * Loads `spec` as the space's trials will (limits of {@link nasDatasetOptions}, the space's largest input size and its
 * channels; {@link loadSearchDataset}, so the trials reuse it) and prints the numeric-label note train/quantize print. A data set of more channels than the space takes
 * is a ConfigError naming both shapes and the spaces that take it.
 * @example const ds = await loadNasData('fashion-mnist', 600, getArchSpace('mbv2-micro'));
 */
export async function loadNasData(spec: string, limit: number | undefined, space: ArchSpace): Promise<LoadedDataset> {
  const shape = spaceInputShape(space);
  let ds: LoadedDataset;
  try {
    ds = await loadSearchDataset(spec, limit, shape);
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
