/**
 * Public types of the data layer: a data set is three splits of plain typed arrays in the
 * IR's NCHW convention. Nothing here depends on the tensor library.
 */
import type { Rng } from '../util/rng.js';

/** Integer class labels, one per sample. */
export type Labels = Uint8Array | Int32Array;

/** One split: `n` samples, `x` holds `n*C*H*W` floats (NCHW, sample-major), `y` one label each. */
export interface Split {
  /** Samples, NCHW per sample, concatenated: sample `i` starts at `i*C*H*W`. */
  readonly x: Float32Array;
  /** Class labels in `[0, numClasses)`. */
  readonly y: Labels;
  /** Number of samples. */
  readonly n: number;
}

/**
 * A split read from storage on demand instead of held in memory (e.g. `imagefolder:<dir>;stream`): the
 * labels are in memory, the samples are read in chunks. Training asks for an epoch order that keeps reads
 * local ({@link SampleSource.epochOrder}) and reads the samples of each batch ({@link SampleSource.read}).
 */
export interface SampleSource {
  /** Number of samples. */
  readonly n: number;
  /** Per-sample shape `[C, H, W]` of the floats {@link SampleSource.read} writes. */
  readonly shape: SampleShape;
  /** Class labels, one per sample. */
  readonly y: Labels;
  /**
   * A seeded epoch order of `0..n-1` (a permutation): chunks of stored samples in a random order, and the
   * samples of each window of a few chunks permuted together, so a batch reads from few chunks.
   */
  epochOrder(rng: Rng): Int32Array;
  /** Writes the samples `indices` (NCHW floats, preprocessed) to `out`, sample `i` at `i*C*H*W`. */
  read(indices: ArrayLike<number>, out: Float32Array): void;
  /** Releases the file handle (reads after close reopen it). */
  close(): void;
}

/** A batch has the same layout as a split (the last batch may be shorter). */
export type Batch = Split;

/** Per-sample shape `[C, H, W]`. */
export type SampleShape = readonly [c: number, h: number, w: number];

/** How samples were brought from stored values to the floats in `x`, so deployment can repeat it. */
export interface Preprocessing {
  /** Factor applied to the stored values first (1/255 for 8-bit images, 1 for float files). */
  readonly scale: number;
  /** How the spatial size was changed: none, zero padding/centre crop, or bilinear resampling. */
  readonly resize: 'none' | 'pad' | 'bilinear';
  /** Subtracted after scaling (0 when not standardised). */
  readonly mean: number;
  /** Divisor after subtracting the mean (1 when not standardised). */
  readonly std: number;
  /** Value of a black (0) stored pixel after preprocessing: the right fill for padding/augmentation. */
  readonly background: number;
}

/** Whether a binary cache was used while loading. */
export type CacheStatus = 'hit' | 'built' | 'rebuilt' | 'disabled' | 'unwritable';

/** A loaded data set: three splits of the same per-sample shape. */
export interface Dataset {
  /** Short name, e.g. `mnist`, `fashion-mnist`, or the file name of a user data set. */
  readonly name: string;
  /** Per-sample shape `[C, H, W]` (NCHW convention of the IR). */
  readonly shape: SampleShape;
  /** Number of classes; labels are in `[0, numClasses)`. */
  readonly numClasses: number;
  /** Human-readable class names, index = label. */
  readonly classNames?: readonly string[];
  /** Training split (in a fixed seeded-shuffled order). */
  readonly train: Split;
  /** Validation split, held out of the training data (fixed, seeded). */
  readonly val: Split;
  /** Test split. */
  readonly test: Split;
  /** How stored values became the floats in the splits (always set by the loaders). */
  readonly preprocessing?: Preprocessing;
  /** How the splits were made and any caveat, e.g. a non-official test set (always set by the loaders). */
  readonly notes?: readonly string[];
  /** Whether a binary cache was read or written (data sets that use one). */
  readonly cache?: CacheStatus;
}

/** What the loaders return: a {@link Dataset} whose preprocessing and notes are always present. */
export interface LoadedDataset extends Dataset {
  readonly preprocessing: Preprocessing;
  readonly notes: readonly string[];
}

/** How many samples to keep per split (the first N of each split's fixed shuffled order). */
export interface SplitLimits {
  readonly train?: number;
  readonly val?: number;
  readonly test?: number;
}

/** Options of {@link loadDataset} and the individual loaders. */
export interface LoadDatasetOptions {
  /** Output height = width in pixels (e.g. 32 to feed 32x32 nets with 28x28 images). Default: stored size. */
  readonly size?: number;
  /**
   * Output width in pixels when it differs from `size` (a model whose input is not square, e.g. `[3, 17, 23]`:
   * `size` 17, `width` 23). Default: `size`. Ignored without `size`; a spec's own `size=` (square) replaces both.
   */
  readonly width?: number;
  /** How to reach `size`: `pad` (zero-pad or centre-crop, default) or `bilinear` resampling. */
  readonly resize?: 'pad' | 'bilinear';
  /** Output channels: 1 or 3 (grey images are replicated to 3). Default: stored channels. */
  readonly channels?: number;
  /** Subtract the mean and divide by the standard deviation (documented constants per data set). */
  readonly standardize?: boolean;
  /** Keep only the first N samples of some splits (fast tests/demos); a number limits every split. */
  readonly limit?: number | SplitLimits;
  /** Directory of binary caches. Default `$HWNAS_CACHE_DIR`, else `$XDG_CACHE_HOME/hwnas`, else `~/.cache/hwnas`. */
  readonly cacheDir?: string;
  /** Disable the binary cache (always parse the source files). */
  readonly noCache?: boolean;
  /** Layout of 4-D NPY image arrays: `nchw` (default) or `nhwc`. 3-D arrays are `[N,H,W]`. */
  readonly layout?: 'nchw' | 'nhwc';
  /** Number of classes of a user data set (default: largest label + 1). */
  readonly numClasses?: number;
  /** Fraction of a user training set held out as validation when no `val=` files are given (default 0.1). */
  readonly valFraction?: number;
  /** Fraction of a user training set held out as test when no `test=` files are given (default 0.1). */
  readonly testFraction?: number;
  /**
   * Read the samples from a file in chunks instead of holding them in memory (`imagefolder:` only; see
   * `openDatasetStream` and `hwnas train`). `loadDataset` refuses it.
   */
  readonly stream?: boolean;
}
