/**
 * Image folders (`imagefolder:<dir>`): one sub-folder per class holding PNG, JPEG or WebP files, either
 * directly in `<dir>` or in `<dir>/train` (required then), `<dir>/val` and `<dir>/test` (optional: held out
 * of train when absent); or a CSV file `imagefolder:<file.csv>` of `path,label` lines (paths relative to the
 * CSV; an optional header `path,label`). Classes are the sorted folder names (or labels; integers sort as
 * numbers). Images are decoded with sharp (libvips): to `channels` (default 3, or 1 when the first image is
 * grey), resized to `size`x`size` (cover: scaled, then centre-cropped) when `size=` is given, otherwise all
 * must have the same size. The decoded 8-bit pixels are cached in one binary file (src/data/cache.ts; key:
 * every file's path, size and modification time, plus size and channels), so only the first load decodes.
 *
 * Errors name the file: an unreadable image, mixed sizes without `size=`, an empty class folder, a class
 * of val/test (or a CSV label) unknown to the training folders, a CSV line that is not `path,label`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { cacheDir, readCache, writeCache } from './cache.js';
import type { CacheStatus, LoadDatasetOptions, LoadedDataset } from './types.js';
import { assembleUserDataset, type DataPart } from './user-data.js';

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

const sortClasses = (names: Iterable<string>): string[] => {
  const xs = [...new Set(names)];
  return xs.every((s) => /^\d+$/.test(s)) ? xs.sort((a, b) => Number(a) - Number(b)) : xs.sort();
};

/** The files of every split and the class names, from a folder tree or a CSV. */
export function listImageFolder(root: string): { readonly classes: string[]; readonly splits: Partial<Record<SplitName, Entry[]>> } {
  const abs = resolve(root);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    throw new DatasetError(`image folder '${root}' does not exist; expected a folder of class sub-folders or a CSV of path,label`);
  }
  if (st.isFile()) {
    const lines = readFileSync(abs, 'utf8').split(/\r?\n/);
    const rows: { path: string; label: string }[] = [];
    lines.forEach((line, i) => {
      const t = line.trim();
      if (t === '' || (i === 0 && /^path\s*,\s*label$/i.test(t))) return;
      const comma = t.lastIndexOf(',');
      if (comma <= 0 || comma === t.length - 1) throw new DatasetError(`'${root}' line ${i + 1} ${JSON.stringify(t)}: expected 'path,label'`);
      rows.push({ path: resolve(dirname(abs), t.slice(0, comma).trim()), label: t.slice(comma + 1).trim() });
    });
    if (rows.length === 0) throw new DatasetError(`'${root}' lists no images; expected lines 'path,label'`);
    const classes = sortClasses(rows.map((r) => r.label));
    const index = new Map(classes.map((c, i) => [c, i]));
    return { classes, splits: { train: rows.map((r) => ({ path: r.path, label: index.get(r.label) as number })) } };
  }
  const hasSplits = SPLITS.some((s) => isDir(join(abs, s)));
  if (!hasSplits) {
    const m = scanClasses(abs);
    const classes = [...m.keys()];
    return { classes, splits: { train: classes.flatMap((c, i) => (m.get(c) as string[]).map((path) => ({ path, label: i }))) } };
  }
  if (!isDir(join(abs, 'train'))) throw new DatasetError(`image folder '${root}' has val/ or test/ but no train/; expected train/<class>/...`);
  const train = scanClasses(join(abs, 'train'));
  const classes = [...train.keys()];
  const index = new Map(classes.map((c, i) => [c, i]));
  const splits: Partial<Record<SplitName, Entry[]>> = {};
  for (const s of SPLITS) {
    const dir = join(abs, s);
    if (!isDir(dir)) continue;
    const m = s === 'train' ? train : scanClasses(dir);
    const entries: Entry[] = [];
    for (const [c, files] of m) {
      const label = index.get(c);
      if (label === undefined)
        throw new DatasetError(`class '${c}' of '${dir}' is not a class of '${join(abs, 'train')}' (${classes.join(', ')}); expected the same class folders`);
      for (const path of files) entries.push({ path, label });
    }
    splits[s] = entries;
  }
  return { classes, splits };
}

/** Decodes images to 8-bit NHWC pixels of one size and channel count. */
async function decodeAll(
  entries: readonly Entry[],
  channels: number,
  size: number | undefined,
  shape: { h?: number; w?: number; first?: string },
): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  let out: Uint8Array | undefined;
  const decodeOne = async (e: Entry, i: number): Promise<void> => {
    let img = sharp(e.path, { failOn: 'error' });
    if (size !== undefined) img = img.resize(size, size, { fit: 'cover' });
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

/** Decoded pixels of every split: from the cache when its key matches, else decoded (and cached). */
async function decodeSplits(
  root: string,
  splits: Partial<Record<SplitName, Entry[]>>,
  channels: number,
  size: number | undefined,
  opts: LoadDatasetOptions,
): Promise<{ parts: Partial<Record<SplitName, Uint8Array>>; h: number; w: number; cache: CacheStatus }> {
  const files = SPLITS.flatMap((s) =>
    (splits[s] ?? []).map((e) => {
      const st = statSync(e.path);
      return `${s}\t${e.label}\t${e.path}\t${st.size}\t${st.mtimeMs}`;
    }),
  );
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, channels, size: size ?? null, files }))
    .digest('hex');
  const path = join(
    cacheDir(opts.cacheDir),
    `imagefolder-${createHash('sha1')
      .update(JSON.stringify([resolve(root), channels, size ?? null]))
      .digest('hex')
      .slice(0, 16)}.bin`,
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
export async function loadImageFolder(root: string, opts: LoadDatasetOptions = {}): Promise<LoadedDataset> {
  const { classes, splits } = listImageFolder(root);
  let channels = opts.channels;
  if (channels === undefined) {
    const sharp = (await import('sharp')).default;
    const first = (splits.train as Entry[])[0] as Entry;
    let meta: { channels?: number; space?: string };
    try {
      meta = await sharp(first.path).metadata();
    } catch (err) {
      throw new DatasetError(`image '${first.path}' cannot be decoded (${(err as Error).message}); expected a PNG, JPEG or WebP file`);
    }
    channels = (meta.channels ?? 3) <= 2 ? 1 : 3;
  }
  if (channels !== 1 && channels !== 3) throw new DatasetError(`channels=${channels} for an image folder: expected 1 (grey) or 3 (RGB)`);
  const { parts, h, w, cache } = await decodeSplits(root, splits, channels, opts.size, opts);
  const part = (s: SplitName): DataPart | undefined => {
    const entries = splits[s];
    const data = parts[s];
    if (!entries || !data) return undefined;
    return { images: { data, n: entries.length, c: channels, h, w, layout: 'nhwc' }, labels: Int32Array.from(entries, (e) => e.label), eightBit: true };
  };
  const name = basename(resolve(root));
  const pair = (s: SplitName) => ({ x: join(root, s), y: join(root, s) });
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
