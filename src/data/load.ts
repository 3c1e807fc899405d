/**
 * The one entry point of the data layer: `loadDataset(spec, options)`.
 */
import { ConfigError } from '../errors.js';
import { loadFashionMnist } from './fashion-mnist.js';
import type { StreamedDataset, StreamOptions } from './image-folder.js';
import { loadMnist } from './mnist.js';
import { type DatasetSpec, parseDatasetSpec } from './spec.js';
import type { LoadDatasetOptions, LoadedDataset } from './types.js';
import { loadUserDataset } from './user-data.js';

/**
 * Loads a data set from a spec string (see spec.ts: `mnist`, `fashion-mnist`, `idx:...`, `npy:...`)
 * or a parsed spec. Options given in the spec string override those in `opts`. With `stream`
 * (`imagefolder:<dir>;stream`) the splits are read from the stream file (see {@link loadFromStream}).
 * @example
 * const ds = await loadDataset('mnist', { size: 32, channels: 3, limit: { train: 2000, test: 500 } });
 */
export async function loadDataset(spec: string | DatasetSpec, opts: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const s = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  // a spec's own size= is square: it replaces the caller's height and width (e.g. a non-square model's)
  const { width, ...rest } = opts;
  const o: LoadDatasetOptions = { ...(s.options.size === undefined && width !== undefined ? { width } : {}), ...rest, ...s.options };
  if (o.stream === true) return loadFromStream(s, o);
  let ds: LoadedDataset;
  switch (s.kind) {
    case 'mnist':
      ds = await loadMnist(o);
      break;
    case 'fashion-mnist':
      ds = await loadFashionMnist(o);
      break;
    case 'imagefolder': {
      const { loadImageFolder } = await import('./image-folder.js'); // loads sharp on first use
      ds = await loadImageFolder(s.path, o, imageLists(s));
      break;
    }
    case 'cifar10':
    case 'cifar100': {
      const { loadCifar } = await import('./cifar.js');
      ds = loadCifar(s.path, s.kind, o);
      break;
    }
    case 'idx':
    case 'npy':
      ds = await loadUserDataset(
        { format: s.kind, train: s.train, ...(s.val !== undefined ? { val: s.val } : {}), ...(s.test !== undefined ? { test: s.test } : {}) },
        o,
      );
      break;
  }
  // An empty training split would give NaN losses and accuracies downstream: an error, never a number.
  // (Validation/test may be empty on purpose, e.g. testFraction 0; commands that score a split check it.)
  if (ds.train.n === 0)
    throw new ConfigError(
      `data set '${typeof spec === 'string' ? spec : ds.name}': its training split is empty (0 images); expected at least 1 (check limit= and the files)`,
    );
  return ds;
}

/**
 * Opens a data set for streamed training (spec option `stream`): its splits are {@link SampleSource}s read
 * from a file in chunks (see image-folder.ts `openImageFolderStream`). Only `imagefolder:` data sets stream.
 * @example
 * const ds = await openDatasetStream('imagefolder:photos;size=32;stream');
 * try { await train(model, { source: ds.train }, { epochs: 1 }); } finally { ds.close(); }
 */
export async function openDatasetStream(spec: string | DatasetSpec, opts: StreamOptions = {}): Promise<StreamedDataset> {
  const s = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  const { width, ...rest } = opts;
  const o: StreamOptions = { ...(s.options.size === undefined && width !== undefined ? { width } : {}), ...rest, ...s.options };
  if (s.kind !== 'imagefolder')
    throw new ConfigError(
      `data set '${typeof spec === 'string' ? spec : s.kind}' cannot stream: expected an 'imagefolder:<dir>' data set (others load into memory)`,
    );
  const { openImageFolderStream } = await import('./image-folder.js');
  return openImageFolderStream(s.path, o, imageLists(s));
}

/** The `val=` / `test=` lists of an `imagefolder:` spec. */
function imageLists(s: Extract<DatasetSpec, { kind: 'imagefolder' }>): { val?: string; test?: string } {
  return { ...(s.val !== undefined ? { val: s.val } : {}), ...(s.test !== undefined ? { test: s.test } : {}) };
}

/**
 * `;stream` where the caller needs its splits in memory (every command but `hwnas train`: `hwnas nas`, the
 * `nas-train` evaluation, `hwnas quantize`, ...): the images are decoded into the stream file a batch at a time
 * (or the file is reused), and only the splits the caller asked for (after `limit=`) are read from it into
 * memory. So a folder larger than memory serves a search whose training subset fits (nas limits its splits:
 * 2,000 training images by default), and the decoded data set is never held whole. The splits are those of
 * {@link loadDataset} without `;stream` (same images, labels and order; tested).
 */
async function loadFromStream(s: DatasetSpec, o: LoadDatasetOptions): Promise<LoadedDataset> {
  const ds = await openDatasetStream(s, o);
  try {
    const train = ds.train.toSplit(); // openImageFolderStream refuses an empty training split
    return {
      name: ds.name,
      shape: ds.shape,
      numClasses: ds.numClasses,
      classNames: ds.classNames,
      train,
      val: ds.val.toSplit(),
      test: ds.test.toSplit(),
      preprocessing: ds.preprocessing,
      cache: ds.cache,
      notes: [...ds.notes, `the splits (${train.n} / ${ds.val.n} / ${ds.test.n} images) read into memory from the stream file`],
    };
  } finally {
    ds.close();
  }
}

/**
 * The loader options that bring a data set to a model's per-sample input shape `[C, H, W]`: `channels` C, `size` H
 * and, for a non-square input, `width` W (data of exactly that shape is used as stored). Other shapes (a vector
 * input) give no options. Every caller that loads data for a model uses this, so H and W are never confused.
 * @example
 * await loadDataset('npy:x.npy,y.npy', modelGeometry([3, 17, 23])); // 3x17x23 samples
 */
export function modelGeometry(inShape: readonly number[]): Pick<LoadDatasetOptions, 'size' | 'width' | 'channels'> {
  if (inShape.length !== 3) return {};
  const [c, h, w] = inShape as [number, number, number];
  return { channels: c, size: h, ...(w !== h ? { width: w } : {}) };
}
