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
 * or a parsed spec. Options given in the spec string override those in `opts`.
 * @example
 * const ds = await loadDataset('mnist', { size: 32, channels: 3, limit: { train: 2000, test: 500 } });
 */
export async function loadDataset(spec: string | DatasetSpec, opts: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const s = typeof spec === 'string' ? parseDatasetSpec(spec) : spec;
  const o: LoadDatasetOptions = { ...opts, ...s.options };
  if (o.stream === true)
    throw new ConfigError(
      `data set '${typeof spec === 'string' ? spec : s.kind}': 'stream' reads the images in chunks, which only \`hwnas train\` (and openDatasetStream) do; drop ';stream' to load it into memory`,
    );
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
      ds = await loadImageFolder(s.path, o);
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
  if (s.kind !== 'imagefolder')
    throw new ConfigError(
      `data set '${typeof spec === 'string' ? spec : s.kind}' cannot stream: expected an 'imagefolder:<dir>' data set (others load into memory)`,
    );
  const { openImageFolderStream } = await import('./image-folder.js');
  return openImageFolderStream(s.path, { ...opts, ...s.options });
}
