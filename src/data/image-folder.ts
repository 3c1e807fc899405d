/**
 * Image folders (`imagefolder:<dir>`): one sub-folder per class holding PNG, JPEG or WebP files, either
 * directly in `<dir>` or in `<dir>/train` (required then), `<dir>/val` and `<dir>/test` (optional: held out
 * of train when absent); or a CSV file `imagefolder:<file.csv>` of `path,label` lines (paths relative to the
 * CSV; an optional header `path,label`), with optional separate validation / test lists (spec `val=`, `test=`: a CSV
 * or a class folder each, {@link ImageSplitLists}). Classes are the sorted folder names (or labels; when all are integers they
 * sort as numbers, for folders too: {@link sortClasses}). Images are decoded with sharp (libvips): to `channels` (default 3, or 1 when the first image is
 * grey), resized to `size`x`size` (cover: scaled, then centre-cropped) when `size=` is given, otherwise all
 * must have the same size. The decoded 8-bit pixels are cached in one binary file (src/data/cache.ts; key:
 * every file's path, size and modification time, plus size and channels), so only the first load decodes.
 *
 * Errors name the file: an unreadable image, mixed sizes without `size=`, an empty class folder, a class
 * of val/test (or a CSV label) unknown to the training folders, a CSV line that is not `path,label`.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { CacheStreamWriter, cacheDir, openCache, readCache, writeCache } from './cache.js';
import { describeTransform, outputShape } from './preprocess.js';
import { permutation } from './split.js';
import { FileSampleSource, type FileSourceOptions } from './stream.js';
import type { CacheStatus, LoadDatasetOptions, LoadedDataset, Preprocessing, SampleShape } from './types.js';
import { assembleUserDataset, type DataPart, USER_SPLIT_SEED } from './user-data.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp']);
const SPLITS = ['train', 'val', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

/** One image file with its class index. */
interface Entry {
  readonly path: string;
  readonly label: number;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Class folders of a split folder, each with its image files (sorted). */
function scanClasses(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!isDir(p)) continue;
    const files = readdirSync(p)
      .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
      .sort()
      .map((f) => join(p, f));
    if (files.length === 0)
      throw new DatasetError(`class folder '${p}' holds no PNG, JPEG or WebP image; expected at least one per class (or remove the folder)`);
    out.set(name, files);
  }
  if (out.size === 0) throw new DatasetError(`image folder '${dir}' has no class sub-folders; expected <dir>/<class>/<image>.png|jpg|webp`);
  return out;
}

/**
 * Class names in class-index order: sorted, as numbers when every name is all digits (folders or labels 0..10 give
 * 0, 1, 2, ..., 10, not the string order 0, 1, 10, 2 of torchvision's ImageFolder), otherwise as strings.
 */
export const sortClasses = (names: Iterable<string>): string[] => {
  const xs = [...new Set(names)];
  return xs.every((s) => /^\d+$/.test(s)) ? xs.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : 1)) : xs.sort();
};

/**
 * A note for a data set whose class names are all numbers that are not their own indices (labels 0, 1, 7; folders 1..10):
 * the numbers are names, so a model's output i is the i-th smallest, not label i. Undefined otherwise (no class
 * names, a non-numeric one, or names 0..k-1 in order).
 * @example numericClassNote('list.csv', ['0', '1', '7']) // "... label 7 is class 2"
 */
export function numericClassNote(dataset: string, classNames: readonly string[] | undefined): string | undefined {
  if (!classNames?.length || !classNames.every((c) => /^\d+$/.test(c))) return undefined;
  const moved = classNames.flatMap((c, i) => (c === String(i) ? [] : [`${c} is class ${i}`]));
  if (moved.length === 0) return undefined;
  const shown = moved.length > 4 ? [...moved.slice(0, 4), `... (${moved.length} labels in all)`] : moved;
  return (
    `the ${classNames.length} labels of '${dataset}' are numbers, read as class names, not class indices: sorted as numbers, ` +
    `${shown.join(', ')}; a model's output i scores the i-th smallest label`
  );
}

const notedClasses = new Set<string>();

/**
 * Says once per process and data set spec, on stderr, that a data set's numeric labels are class names when they are
 * not 0..k-1 ({@link numericClassNote}); every command that loads a data set for training or scoring calls it.
 * @example noteNumericClasses('imagefolder:digits', ds) // "note: the 10 labels of 'digits' are numbers, ..."
 */
export function noteNumericClasses(spec: string, ds: { readonly name: string; readonly classNames?: readonly string[] | undefined }): void {
  const note = numericClassNote(ds.name, ds.classNames);
  if (note === undefined || notedClasses.has(spec)) return;
  notedClasses.add(spec);
  process.stderr.write(`note: ${note}\n`);
}

/**
 * One `path,label` line of an image-list CSV: plain (the last comma splits, so a path may hold commas and quotes) or,
 * when a field starts with a quote, with quoted fields as pandas / spreadsheets write them (`"a, b.png","7"`, `""` for a quote inside); undefined when the
 * line is not two non-empty fields.
 * @example csvPathLabel('"imgs/a.png","cat"') // { path: 'imgs/a.png', label: 'cat' }
 */
export function csvPathLabel(line: string): { readonly path: string; readonly label: string } | undefined {
  if (!line.startsWith('"') && !/,\s*"/.test(line)) {
    const comma = line.lastIndexOf(',');
    if (comma <= 0 || comma === line.length - 1) return undefined;
    const path = line.slice(0, comma).trim();
    const label = line.slice(comma + 1).trim();
    return path === '' || label === '' ? undefined : { path, label };
  }
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined; // an unclosed quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') return undefined; // text after a closing quote
    } else {
      const end = line.indexOf(',', i);
      field = (end < 0 ? line.slice(i) : line.slice(i, end)).trim();
      if (field.includes('"')) return undefined;
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) break;
    i++; // the comma
    if (i === line.length) fields.push('');
  }
  if (fields.length !== 2 || fields[0] === '' || fields[1] === '') return undefined;
  return { path: fields[0] as string, label: fields[1] as string };
}

/** The `path,label` rows of an image-list CSV, paths resolved against the CSV's folder. */
function readImageList(file: string, shown: string): { path: string; label: string }[] {
  const abs = resolve(file);
  const lines = readFileSync(abs, 'utf8').split(/\r?\n/);
  const rows: { path: string; label: string }[] = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    const row = csvPathLabel(t);
    if (row === undefined)
      throw new DatasetError(`'${shown}' line ${i + 1} ${JSON.stringify(t)}: expected 'path,label' (fields may be quoted: "a, b.png","cat")`);
    if (i === 0 && row.path.toLowerCase() === 'path' && row.label.toLowerCase() === 'label') return;
    rows.push({ path: resolve(dirname(abs), row.path), label: row.label });
  });
  if (rows.length === 0) throw new DatasetError(`'${shown}' lists no images; expected lines 'path,label'`);
  return rows;
}

/** A split's images by class name: from a CSV list or a folder of class sub-folders. */
function listSplit(path: string, what: string): { readonly where: string; readonly byClass: Map<string, string[]> } {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(resolve(path));
  } catch {
    throw new DatasetError(`${what} '${path}' does not exist; expected a CSV of path,label or a folder of class sub-folders`);
  }
  if (!st.isFile()) return { where: path, byClass: scanClasses(resolve(path)) };
  const byClass = new Map<string, string[]>();
  for (const r of readImageList(path, path)) byClass.set(r.label, [...(byClass.get(r.label) ?? []), r.path]);
  return { where: path, byClass };
}

/** A split's entries, its classes checked against the training classes. */
function splitEntries(
  split: { readonly where: string; readonly byClass: Map<string, string[]> },
  train: string,
  classes: readonly string[],
  expected = 'expected the training classes',
): Entry[] {
  const index = new Map(classes.map((c, i) => [c, i]));
  const entries: Entry[] = [];
  for (const [c, files] of split.byClass) {
    const label = index.get(c);
    if (label === undefined) throw new DatasetError(`class '${c}' of '${split.where}' is not a class of '${train}' (${classes.join(', ')}); ${expected}`);
    for (const path of files) entries.push({ path, label });
  }
  return entries;
}

/**
 * Separate validation / test lists of an image folder or CSV (spec options `val=`, `test=`): each a CSV of
 * `path,label` or a folder of class sub-folders, its classes those of the training images.
 */
export interface ImageSplitLists {
  readonly val?: string;
  readonly test?: string;
}

/** The files of every split and the class names, from a folder tree or a CSV (and the `val=`/`test=` lists). */
export function listImageFolder(
  root: string,
  lists: ImageSplitLists = {},
): { readonly classes: string[]; readonly splits: Partial<Record<SplitName, Entry[]>> } {
  const abs = resolve(root);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    throw new DatasetError(`image folder '${root}' does not exist; expected a folder of class sub-folders or a CSV of path,label`);
  }
  let classes: string[];
  let trainWhere = root;
  const splits: Partial<Record<SplitName, Entry[]>> = {};
  if (st.isFile()) {
    const rows = readImageList(abs, root);
    classes = sortClasses(rows.map((r) => r.label));
    const index = new Map(classes.map((c, i) => [c, i]));
    splits.train = rows.map((r) => ({ path: r.path, label: index.get(r.label) as number }));
  } else if (!SPLITS.some((s) => isDir(join(abs, s)))) {
    const m = scanClasses(abs);
    classes = sortClasses(m.keys());
    splits.train = classes.flatMap((c, i) => (m.get(c) as string[]).map((path) => ({ path, label: i })));
  } else {
    if (!isDir(join(abs, 'train'))) throw new DatasetError(`image folder '${root}' has val/ or test/ but no train/; expected train/<class>/...`);
    trainWhere = join(abs, 'train');
    const train = scanClasses(trainWhere);
    classes = sortClasses(train.keys());
    for (const s of SPLITS) {
      const dir = join(abs, s);
      if (!isDir(dir)) continue;
      if (s !== 'train' && lists[s] !== undefined)
        throw new DatasetError(`image folder '${root}' has a ${s}/ folder and the spec names ${s}='${lists[s]}' too; expected one of them`);
      splits[s] = splitEntries({ where: dir, byClass: s === 'train' ? train : scanClasses(dir) }, trainWhere, classes, 'expected the same class folders');
    }
  }
  for (const s of ['val', 'test'] as const) {
    const list = lists[s];
    if (list !== undefined) splits[s] = splitEntries(listSplit(list, `${s}=`), trainWhere, classes);
  }
  return { classes, splits };
}

/** Decoded image height and width (`size=`, and `width` for a non-square model input). */
interface Dims {
  readonly h: number;
  readonly w: number;
}

/** The decoding size of the options: none (stored size), `size` x `size`, or `size` high and `width` wide. */
const decodeDims = (o: LoadDatasetOptions): Dims | undefined => (o.size === undefined ? undefined : { h: o.size, w: o.width ?? o.size });

/** A decoding size in a cache key: square sizes keep the key they had before non-square ones existed. */
const dimsKey = (d: Dims | undefined): number | number[] | null => (d === undefined ? null : d.w === d.h ? d.h : [d.h, d.w]);

/** Decodes images to 8-bit NHWC pixels of one size and channel count. */
async function decodeAll(
  entries: readonly Entry[],
  channels: number,
  size: Dims | undefined,
  shape: { h?: number; w?: number; first?: string },
): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  let out: Uint8Array | undefined;
  const decodeOne = async (e: Entry, i: number): Promise<void> => {
    let img = sharp(e.path, { failOn: 'error' });
    if (size !== undefined) img = img.resize(size.w, size.h, { fit: 'cover' });
    img = channels === 1 ? img.grayscale() : img.removeAlpha().toColourspace('srgb');
    let r: { data: Buffer; info: { width: number; height: number; channels: number } };
    try {
      r = await img.raw().toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw new DatasetError(`image '${e.path}' cannot be decoded (${(err as Error).message}); expected a PNG, JPEG or WebP file`);
    }
    const { width, height } = r.info;
    if (shape.h === undefined) {
      shape.h = height;
      shape.w = width;
      shape.first = e.path;
    } else if (shape.h !== height || shape.w !== width)
      throw new DatasetError(
        `images have different sizes: '${shape.first}' is ${shape.w}x${shape.h}, '${e.path}' is ${width}x${height}; give size=<n> to resize them all to n x n`,
      );
    const per = height * width * channels;
    out ??= new Uint8Array(entries.length * per);
    let px = r.data as Uint8Array;
    if (r.info.channels !== channels) {
      if (r.info.channels !== 1) throw new DatasetError(`image '${e.path}' decoded to ${r.info.channels} channels, expected ${channels}`);
      const rep = new Uint8Array(per);
      for (let j = 0; j < height * width; j++) for (let c = 0; c < channels; c++) rep[j * channels + c] = px[j] as number;
      px = rep;
    }
    out.set(px.subarray(0, per), i * per);
  };
  // the first image fixes the size; then a few at a time (libvips decodes on its own threads)
  if (entries.length > 0) await decodeOne(entries[0] as Entry, 0);
  const width = 16;
  for (let s = 1; s < entries.length; s += width) await Promise.all(entries.slice(s, s + width).map((e, j) => decodeOne(e, s + j)));
  return out ?? new Uint8Array(0);
}

/**
 * The cache file of a folder and the key its contents must match: the key covers every file's split, label, path,
 * size and mtime (any change re-decodes), the file name only the folder and the decoding settings.
 */
function cacheLocation(
  root: string,
  splits: readonly { readonly name: string; readonly entries: readonly Entry[] }[],
  channels: number,
  size: Dims | undefined,
  opts: LoadDatasetOptions,
  format: { readonly version: number | string; readonly suffix: string },
): { key: string; path: string } {
  const files = splits.flatMap(({ name, entries }) =>
    entries.map((e) => {
      const st = statSync(e.path);
      return `${name}\t${e.label}\t${e.path}\t${st.size}\t${st.mtimeMs}`;
    }),
  );
  const key = createHash('sha256')
    .update(JSON.stringify({ v: format.version, channels, size: dimsKey(size), files }))
    .digest('hex');
  const folder = createHash('sha1')
    .update(JSON.stringify([resolve(root), channels, dimsKey(size)]))
    .digest('hex')
    .slice(0, 16);
  return { key, path: join(cacheDir(opts.cacheDir), `imagefolder-${folder}${format.suffix}`) };
}

/** Decoded pixels of every split: from the cache when its key matches, else decoded (and cached). */
async function decodeSplits(
  root: string,
  splits: Partial<Record<SplitName, Entry[]>>,
  channels: number,
  size: Dims | undefined,
  opts: LoadDatasetOptions,
): Promise<{ parts: Partial<Record<SplitName, Uint8Array>>; h: number; w: number; cache: CacheStatus }> {
  const { key, path } = cacheLocation(
    root,
    SPLITS.map((s) => ({ name: s, entries: splits[s] ?? [] })),
    channels,
    size,
    opts,
    { version: 1, suffix: '.bin' },
  );
  if (!opts.noCache) {
    const c = readCache(path, key);
    if (c.status === 'hit') {
      const meta = JSON.parse(Buffer.from(c.sections.get('meta') as Uint8Array).toString('utf8')) as { h: number; w: number };
      const parts: Partial<Record<SplitName, Uint8Array>> = {};
      for (const s of SPLITS) if (c.sections.has(s)) parts[s] = c.sections.get(s) as Uint8Array;
      return { parts, ...meta, cache: 'hit' };
    }
  }
  const shape: { h?: number; w?: number; first?: string } = {};
  const parts: Partial<Record<SplitName, Uint8Array>> = {};
  for (const s of SPLITS) if (splits[s]) parts[s] = await decodeAll(splits[s] as Entry[], channels, size, shape);
  const h = shape.h ?? 0;
  const w = shape.w ?? 0;
  let cache: CacheStatus = 'disabled';
  if (!opts.noCache) {
    const sections = new Map<string, Uint8Array>([['meta', Buffer.from(JSON.stringify({ h, w }))]]);
    for (const s of SPLITS) if (parts[s]) sections.set(s, parts[s] as Uint8Array);
    try {
      writeCache(path, key, sections);
      cache = 'built';
    } catch {
      cache = 'unwritable';
    }
  }
  return { parts, h, w, cache };
}

/** Loads an image folder or CSV (see the module comment) as a data set. */
export async function loadImageFolder(root: string, opts: LoadDatasetOptions = {}, lists: ImageSplitLists = {}): Promise<LoadedDataset> {
  const { classes, splits } = listImageFolder(root, lists);
  const channels = await detectChannels(splits, opts.channels);
  const { parts, h, w, cache } = await decodeSplits(root, splits, channels, decodeDims(opts), opts);
  const part = (s: SplitName): DataPart | undefined => {
    const entries = splits[s];
    const data = parts[s];
    if (!entries || !data) return undefined;
    return { images: { data, n: entries.length, c: channels, h, w, layout: 'nhwc' }, labels: Int32Array.from(entries, (e) => e.label), eightBit: true };
  };
  const name = basename(resolve(root));
  const pair = (s: 'val' | 'test') => {
    const where = lists[s] ?? join(root, s);
    return { x: where, y: where };
  };
  const val = part('val');
  const test = part('test');
  const ds = assembleUserDataset(
    name,
    { train: part('train') as DataPart, ...(val ? { val } : {}), ...(test ? { test } : {}) },
    { train: { x: root, y: root }, ...(val ? { val: pair('val') } : {}), ...(test ? { test: pair('test') } : {}) },
    { numClasses: classes.length, ...opts },
  );
  return {
    ...ds,
    classNames: classes,
    cache,
    notes: [...ds.notes, `${classes.length} classes from '${root}', ${h}x${w}x${channels} pixels decoded with sharp`],
  };
}

/** A data set whose splits are read from a file on demand ({@link openImageFolderStream}). */
export interface StreamedDataset {
  readonly name: string;
  readonly shape: SampleShape;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: FileSampleSource;
  readonly val: FileSampleSource;
  readonly test: FileSampleSource;
  readonly preprocessing: Preprocessing;
  readonly notes: readonly string[];
  /** The stream file: read ('hit') or written now ('built'). */
  readonly cache: 'hit' | 'built';
  /** Path of the stream file. */
  readonly file: string;
  /** Closes the splits' file handles. */
  close(): void;
}

/** Options of {@link openImageFolderStream}: the loader's, plus the chunking of the training reads. */
export interface StreamOptions extends LoadDatasetOptions {
  /** Samples per chunk of the training split (default about 4 MiB of pixels). */
  readonly chunk?: number;
  /** Chunks shuffled together (default 4). */
  readonly window?: number;
  /** Images decoded (and held) per write while the stream file is built (default 512). */
  readonly decodeBatch?: number;
  /** Called after each decoded batch while the stream file is built. */
  readonly onDecode?: (done: number, total: number) => void;
}

async function detectChannels(splits: Partial<Record<SplitName, Entry[]>>, given: number | undefined): Promise<number> {
  let channels = given;
  if (channels === undefined) {
    const sharp = (await import('sharp')).default;
    const first = (splits.train as Entry[])[0] as Entry;
    let meta: { channels?: number };
    try {
      meta = await sharp(first.path).metadata();
    } catch (err) {
      throw new DatasetError(`image '${first.path}' cannot be decoded (${(err as Error).message}); expected a PNG, JPEG or WebP file`);
    }
    channels = (meta.channels ?? 3) <= 2 ? 1 : 3;
  }
  if (channels !== 1 && channels !== 3) throw new DatasetError(`channels=${channels} for an image folder: expected 1 (grey) or 3 (RGB)`);
  return channels;
}

/**
 * Opens an image folder (or CSV) for training without holding its pixels in memory. The first open decodes
 * every image once, a batch at a time, into a stream file in the cache folder (`imagefolder-<hash>.stream.bin`,
 * the cache format of cache.ts); later opens check it (key, size, SHA-256, read in pieces) and reuse it.
 *
 * The stream file stores each folder split in a fixed seeded order: the training folder in the order of
 * {@link holdoutSplit} with {@link USER_SPLIT_SEED} (so train | val | test are contiguous ranges of it when
 * val/test are held out), `val/` and `test/` folders in the order of their seeded permutations. The splits
 * therefore hold exactly the samples {@link loadImageFolder} puts in them, in the same order, and `limit=`
 * keeps the same first N. Standardisation statistics are computed by one pass over the training range.
 */
export async function openImageFolderStream(root: string, opts: StreamOptions = {}, lists: ImageSplitLists = {}): Promise<StreamedDataset> {
  if (opts.noCache)
    throw new DatasetError(`'imagefolder:${root};stream' reads its images from a stream file in the cache folder: it cannot run with the cache disabled`);
  const { classes, splits } = listImageFolder(root, lists);
  const channels = await detectChannels(splits, opts.channels);
  const size = decodeDims(opts);
  // stored order of every folder split: seeded permutations (see above)
  const stored: { name: SplitName; entries: Entry[] }[] = [];
  for (const [s, seed] of [
    ['train', USER_SPLIT_SEED],
    ['val', USER_SPLIT_SEED + 1],
    ['test', USER_SPLIT_SEED + 2],
  ] as const) {
    const list = splits[s];
    if (list === undefined) continue;
    const perm = permutation(list.length, new Rng(seed));
    stored.push({ name: s, entries: Array.from(perm, (i) => list[i] as Entry) });
  }
  const { key, path } = cacheLocation(root, stored, channels, size, opts, { version: 'stream-1', suffix: '.stream.bin' });
  let opened = openCache(path, key);
  let cache: 'hit' | 'built' = 'hit';
  if (opened.status !== 'hit') {
    await buildStreamFile(path, key, stored, channels, size, opts);
    cache = 'built';
    opened = openCache(path, key);
    if (opened.status !== 'hit') throw new DatasetError(`the stream file '${path}' just written does not read back: ${opened.reason}`);
  }
  const sec = opened.cache.sections;
  const metaAt = sec.get('meta') as { offset: number; bytes: number };
  const labelsAt = sec.get('labels') as { offset: number; bytes: number };
  const fd = openSync(path, 'r');
  const metaBuf = Buffer.alloc(metaAt.bytes);
  const labels = new Int32Array(labelsAt.bytes / 4);
  try {
    readSync(fd, metaBuf, 0, metaAt.bytes, metaAt.offset);
    readSync(fd, new Uint8Array(labels.buffer), 0, labelsAt.bytes, labelsAt.offset);
  } finally {
    closeSync(fd);
  }
  const meta = JSON.parse(metaBuf.toString('utf8')) as { h: number; w: number; c: number; parts: Record<string, number> };
  const { h, w } = meta;
  const per = h * w * channels;
  // contiguous ranges [start, end) of the stored sections per output split
  const labelStart = new Map<string, number>();
  let at = 0;
  for (const { name, entries } of stored) {
    labelStart.set(name, at);
    at += entries.length;
  }
  const nTrain = stored[0]?.entries.length ?? 0;
  const valCount = splits.val === undefined ? Math.round(nTrain * (opts.valFraction ?? 0.1)) : 0;
  const testCount = splits.test === undefined ? Math.round(nTrain * (opts.testFraction ?? 0.1)) : 0;
  for (const [k, f] of [
    ['valFraction', opts.valFraction ?? 0.1],
    ['testFraction', opts.testFraction ?? 0.1],
  ] as const)
    if (!(f >= 0 && f < 1)) throw new DatasetError(`${k} ${f} is invalid: expected a number in [0, 1)`);
  const trainEnd = nTrain - valCount - testCount;
  const range = (s: SplitName): { section: SplitName; start: number; end: number } => {
    if (s === 'train') return { section: 'train', start: 0, end: trainEnd };
    if (splits[s] !== undefined) return { section: s, start: 0, end: (splits[s] as Entry[]).length };
    return s === 'val' ? { section: 'train', start: trainEnd, end: trainEnd + valCount } : { section: 'train', start: trainEnd + valCount, end: nTrain };
  };
  const lim = opts.limit;
  const limitOf = (s: SplitName): number => (lim === undefined ? Infinity : typeof lim === 'number' ? lim : (lim[s] ?? Infinity));
  const shape = outputShape({ c: channels, h, w }, opts);
  const scale = 1 / 255;
  const trainRange = range('train');
  let stats = { mean: 0, std: 1 };
  const base: Omit<FileSourceOptions, 'offset' | 'n' | 'labels'> = {
    path,
    stored: { c: channels, h, w, layout: 'nhwc' },
    transform: { outC: shape[0], outH: shape[1], outW: shape[2], resize: opts.resize ?? 'pad', scale, mean: 0, std: 1 },
  };
  const source = (s: SplitName, o: Partial<FileSourceOptions> = {}): FileSampleSource => {
    const r = range(s);
    const n = Math.min(r.end - r.start, limitOf(s));
    const sectionAt = sec.get(r.section) as { offset: number };
    const l0 = (labelStart.get(r.section) as number) + r.start;
    return new FileSampleSource({ ...base, ...o, offset: sectionAt.offset + r.start * per, n, labels: labels.slice(l0, l0 + n) });
  };
  if (opts.standardize === true) {
    // statistics of the whole training range (as the in-memory loader: before limit=)
    const full = new FileSampleSource({
      ...base,
      transform: { ...base.transform, outC: channels, outH: h, outW: w },
      offset: (sec.get('train') as { offset: number }).offset,
      n: trainRange.end,
      labels: labels.slice(0, trainRange.end),
    });
    stats = rawStats(full, h * w * channels);
    full.close();
  }
  const t = { ...base.transform, ...stats };
  const chunking = { ...(opts.chunk !== undefined ? { chunk: opts.chunk } : {}), ...(opts.window !== undefined ? { window: opts.window } : {}) };
  const train = source('train', { transform: t, ...chunking });
  const val = source('val', { transform: t });
  const test = source('test', { transform: t });
  if (train.n === 0) throw new DatasetError(`image folder '${root}' leaves no training images (check limit= and valFraction/testFraction)`);
  const notes = [
    `${classes.length} classes from '${root}', ${h}x${w}x${channels} pixels decoded with sharp, streamed from '${path}' (${train.chunk} images per chunk, ${train.window} chunks per shuffle window)`,
    splits.val === undefined
      ? `validation: ${valCount} images held out of the training folder (shuffle seed ${USER_SPLIT_SEED})`
      : `validation: '${lists.val ?? join(root, 'val')}'`,
    splits.test === undefined
      ? `test: ${testCount} images held out of the training folder (shuffle seed ${USER_SPLIT_SEED})`
      : `test: '${lists.test ?? join(root, 'test')}'`,
  ];
  if (opts.standardize === true) notes.push(`standardised with mean ${stats.mean.toPrecision(5)} and std ${stats.std.toPrecision(5)} of the training split`);
  return {
    name: basename(resolve(root)),
    shape,
    numClasses: opts.numClasses ?? classes.length,
    classNames: classes,
    train,
    val,
    test,
    preprocessing: describeTransform({ h, w }, t),
    notes,
    cache,
    file: path,
    close: () => {
      train.close();
      val.close();
      test.close();
    },
  };
}

/** Mean and standard deviation of the (scaled, unstandardised) values of every sample of a source, chunk by chunk. */
function rawStats(src: FileSampleSource, per: number): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  const x = new Float32Array(src.chunk * per);
  const idx = new Int32Array(src.chunk);
  for (let s = 0; s < src.n; s += src.chunk) {
    const m = Math.min(src.chunk, src.n - s);
    for (let i = 0; i < m; i++) idx[i] = s + i;
    src.read(idx.subarray(0, m), x);
    for (let k = 0; k < m * per; k++) {
      const v = x[k] as number;
      sum += v;
      sq += v * v;
    }
  }
  const count = src.n * per;
  if (count === 0) return { mean: 0, std: 1 };
  const mean = sum / count;
  const std = Math.sqrt(Math.max(sq / count - mean * mean, 0));
  return { mean, std: std > 0 ? std : 1 };
}

/** Decodes every stored split a batch at a time and writes the stream file (meta, labels, pixels). */
async function buildStreamFile(
  path: string,
  key: string,
  stored: readonly { name: SplitName; entries: Entry[] }[],
  channels: number,
  size: Dims | undefined,
  opts: StreamOptions,
): Promise<void> {
  const shape: { h?: number; w?: number; first?: string } = {};
  const firstEntry = stored[0]?.entries[0];
  if (firstEntry === undefined) throw new DatasetError('image folder has no training images');
  await decodeAll([firstEntry], channels, size, shape);
  const h = shape.h as number;
  const w = shape.w as number;
  const per = h * w * channels;
  const total = stored.reduce((a, s) => a + s.entries.length, 0);
  const meta = Buffer.from(JSON.stringify({ h, w, c: channels, parts: Object.fromEntries(stored.map((s) => [s.name, s.entries.length])) }));
  const labels = Int32Array.from(stored.flatMap((s) => s.entries.map((e) => e.label)));
  const writer = new CacheStreamWriter(path, key, [
    { name: 'meta', bytes: meta.length },
    { name: 'labels', bytes: labels.byteLength },
    ...stored.map((s) => ({ name: s.name, bytes: s.entries.length * per })),
  ]);
  try {
    writer.append(meta);
    writer.append(new Uint8Array(labels.buffer));
    const batch = opts.decodeBatch ?? 512;
    let done = 0;
    for (const s of stored) {
      for (let i = 0; i < s.entries.length; i += batch) {
        const part = s.entries.slice(i, i + batch);
        writer.append(await decodeAll(part, channels, size, shape));
        done += part.length;
        opts.onDecode?.(done, total);
      }
    }
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
}
