/**
 * The one entry point of the data layer: `loadDataset(spec, options)`.
 */
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';
import { parseDatasetSpec, type DatasetSpec } from './spec.js';
import type { LoadedDataset, LoadDatasetOptions } from './types.js';
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
  switch (s.kind) {
    case 'mnist':
      return loadMnist(o);
    case 'fashion-mnist':
      return loadFashionMnist(o);
    case 'idx':
    case 'npy':
      return loadUserDataset(
        { format: s.kind, train: s.train, ...(s.val !== undefined ? { val: s.val } : {}), ...(s.test !== undefined ? { test: s.test } : {}) },
        o,
      );
  }
}
