/**
 * Splits streamed from a binary file instead of held in memory ({@link SampleSource}): 8-bit stored
 * samples (NHWC or NCHW) at a byte offset, read in chunks of `chunk` samples with `readSync`, at most
 * `window` chunks held at once. An epoch order permutes the chunks, then the samples within each window
 * of `window` consecutive chunks of that order (the usual chunk shuffle of streamed data sets: a batch
 * mixes samples of several chunks, and every chunk is read once per epoch).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { DatasetError, UserError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { gatherImages, type PixelTransform, type RawImages } from './preprocess.js';
import type { Labels, SampleShape, SampleSource, Split } from './types.js';

/** Where and how the samples of a {@link FileSampleSource} are stored. */
export interface FileSourceOptions {
  /** The file holding the samples. */
  readonly path: string;
  /** Byte offset of the first sample. */
  readonly offset: number;
  /** Number of samples (stored back to back). */
  readonly n: number;
  /** Stored geometry of one sample (8-bit values). */
  readonly stored: { readonly c: number; readonly h: number; readonly w: number; readonly layout: 'nchw' | 'nhwc' };
  /** From stored values to the output floats (output shape, scale, standardisation). */
  readonly transform: PixelTransform;
  /** One label per sample. */
  readonly labels: Labels;
  /** Samples per chunk (default: about 4 MiB of stored bytes, at least 64). */
  readonly chunk?: number;
  /** Chunks shuffled together and held in memory at once (default 4). */
  readonly window?: number;
}

/** A {@link SampleSource} over 8-bit samples stored in a file (see the module comment). */
export class FileSampleSource implements SampleSource {
  readonly n: number;
  readonly shape: SampleShape;
  readonly y: Labels;
  /** Samples per chunk. */
  readonly chunk: number;
  /** Chunks per shuffle window (and held in memory). */
  readonly window: number;
  private readonly recordBytes: number;
  private fd: number | undefined;
  /** Loaded chunks, least recently used first. */
  private loaded: { id: number; bytes: Uint8Array }[] = [];
  private staging = new Uint8Array(0);
  /** Stored bytes read so far (for tests and benchmarks). */
  bytesRead = 0;

  constructor(private readonly o: FileSourceOptions) {
    const { c, h, w } = o.stored;
    this.recordBytes = c * h * w;
    if (!(this.recordBytes > 0)) throw new DatasetError(`stored samples of ${c}x${h}x${w} are empty`);
    if (o.labels.length !== o.n) throw new DatasetError(`${o.labels.length} labels for ${o.n} stored samples of '${o.path}'`);
    this.n = o.n;
    this.y = o.labels;
    this.shape = [o.transform.outC, o.transform.outH, o.transform.outW];
    this.chunk = o.chunk ?? Math.max(64, Math.floor((4 << 20) / this.recordBytes));
    this.window = o.window ?? 4;
    if (!Number.isInteger(this.chunk) || this.chunk < 1) throw new UserError(`chunk ${this.chunk} is invalid: expected a positive integer`);
    if (!Number.isInteger(this.window) || this.window < 1) throw new UserError(`window ${this.window} is invalid: expected a positive integer`);
  }

  epochOrder(rng: Rng): Int32Array {
    const chunks = Math.ceil(this.n / this.chunk);
    const ids = rng.shuffle(Array.from({ length: chunks }, (_, i) => i));
    const out = new Int32Array(this.n);
    let at = 0;
    for (let w = 0; w < chunks; w += this.window) {
      const members: number[] = [];
      for (const id of ids.slice(w, w + this.window)) for (let i = id * this.chunk; i < Math.min(this.n, (id + 1) * this.chunk); i++) members.push(i);
      rng.shuffle(members);
      out.set(members, at);
      at += members.length;
    }
    return out;
  }

  read(indices: ArrayLike<number>, out: Float32Array): void {
    const m = indices.length;
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    if (out.length < m * per) throw new DatasetError(`read: output holds ${out.length} values, ${m} samples need ${m * per}`);
    if (this.staging.length < m * this.recordBytes) this.staging = new Uint8Array(m * this.recordBytes);
    for (let i = 0; i < m; i++) {
      const k = indices[i] as number;
      if (!(Number.isInteger(k) && k >= 0 && k < this.n)) throw new DatasetError(`sample index ${k} is outside [0, ${this.n})`);
      const id = Math.floor(k / this.chunk);
      const bytes = this.chunkBytes(id);
      const at = (k - id * this.chunk) * this.recordBytes;
      this.staging.set(bytes.subarray(at, at + this.recordBytes), i * this.recordBytes);
    }
    const raw: RawImages = { data: this.staging.subarray(0, m * this.recordBytes), n: m, ...this.o.stored };
    out.set(
      gatherImages(
        raw,
        Array.from({ length: m }, (_, i) => i),
        this.o.transform,
      ),
    );
  }

  /** All samples in stored order, in memory (for small splits: validation, test). */
  toSplit(): Split {
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    const x = new Float32Array(this.n * per);
    const idx = new Int32Array(Math.min(this.n, this.chunk));
    for (let s = 0; s < this.n; s += idx.length) {
      const m = Math.min(idx.length, this.n - s);
      for (let i = 0; i < m; i++) idx[i] = s + i;
      this.read(idx.subarray(0, m), x.subarray(s * per, (s + m) * per));
    }
    return { x, y: this.y, n: this.n };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.loaded = [];
  }

  private chunkBytes(id: number): Uint8Array {
    const hit = this.loaded.findIndex((c) => c.id === id);
    if (hit >= 0) {
      const c = this.loaded[hit] as { id: number; bytes: Uint8Array };
      if (hit !== this.loaded.length - 1) {
        this.loaded.splice(hit, 1);
        this.loaded.push(c);
      }
      return c.bytes;
    }
    const count = Math.min(this.chunk, this.n - id * this.chunk);
    const reuse = this.loaded.length >= this.window ? this.loaded.shift() : undefined;
    const bytes = reuse !== undefined && reuse.bytes.length >= this.chunk * this.recordBytes ? reuse.bytes : new Uint8Array(this.chunk * this.recordBytes);
    this.fd ??= openSync(this.o.path, 'r');
    const want = count * this.recordBytes;
    let got = 0;
    while (got < want) {
      const r = readSync(this.fd, bytes, got, want - got, this.o.offset + id * this.chunk * this.recordBytes + got);
      if (r <= 0)
        throw new DatasetError(
          `'${this.o.path}' ended inside chunk ${id} (expected ${want} bytes at offset ${this.o.offset + id * this.chunk * this.recordBytes})`,
        );
      got += r;
    }
    this.bytesRead += want;
    this.loaded.push({ id, bytes });
    return bytes;
  }
}

/**
 * A {@link SampleSource} over a split in memory (so code written for sources also takes splits). Its epoch
 * order is a full shuffle of the previous epoch's order, as `train` shuffles a split in memory, so training
 * on `splitSource(split)` and on `split` gives the same weights.
 */
export function splitSource(split: Split, shape: SampleShape): SampleSource {
  const per = shape[0] * shape[1] * shape[2];
  if (split.x.length !== split.n * per) throw new DatasetError(`split of ${split.n} samples has ${split.x.length} values, expected n x ${per}`);
  const order = Array.from({ length: split.n }, (_, i) => i);
  return {
    n: split.n,
    shape,
    y: split.y,
    epochOrder: (rng) => Int32Array.from(rng.shuffle(order)),
    read: (indices, out) => {
      for (let i = 0; i < indices.length; i++) {
        const k = indices[i] as number;
        if (!(k >= 0 && k < split.n)) throw new DatasetError(`sample index ${k} is outside [0, ${split.n})`);
        out.set(split.x.subarray(k * per, (k + 1) * per), i * per);
      }
    },
    close: () => undefined,
  };
}
