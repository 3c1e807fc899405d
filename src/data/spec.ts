/**
 * Dataset spec strings, as given on the command line or in a config:
 *
 * ```
 * spec    := kind [':' x ',' y] (';' option)*
 * kind    := mnist | fashion-mnist (alias fmnist) | idx | npy     (idx and npy need the x,y files)
 *          | imagefolder:<dir or file.csv> | cifar10:<dir> | cifar100:<dir>   (one path; see image-folder.ts, cifar.ts)
 * option  := test=<x>,<y> | val=<x>,<y>          extra file pairs (idx/npy)
 *          | test=<list> | val=<list>          (imagefolder: a CSV of path,label or a folder of class sub-folders)
 *          | size=<int> | channels=<int> | resize=pad|bilinear | standardize[=true|false]
 *          | layout=nchw|nhwc | classes=<int>
 *          | limit=<n> | limit=train:<n>,val:<n>,test:<n>
 *          | stream[=true|false]                      (imagefolder only: read in chunks, see stream.ts)
 * ```
 * Examples: `mnist;size=32;channels=3`, `idx:train-x.idx,train-y.idx;test=t-x.idx,t-y.idx`,
 * `npy:x.npy,y.npy;layout=nhwc;limit=1000`, `imagefolder:train.csv;test=test.csv`. Paths may not contain `;`, nor `,`
 * in an idx/npy pair.
 */
import { ConfigError } from '../errors.js';
import type { LoadDatasetOptions, SplitLimits } from './types.js';
import type { FilePair } from './user-data.js';

/** Mutable copy of the loader options, used while parsing. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A parsed dataset spec. */
export type DatasetSpec =
  | { readonly kind: 'mnist' | 'fashion-mnist'; readonly options: LoadDatasetOptions }
  | {
      readonly kind: 'idx' | 'npy';
      readonly train: FilePair;
      readonly val?: FilePair;
      readonly test?: FilePair;
      readonly options: LoadDatasetOptions;
    }
  | {
      readonly kind: 'imagefolder';
      readonly path: string;
      /** `val=`: a CSV list or class folder of the validation images (else held out of train, or `<dir>/val`). */
      readonly val?: string;
      /** `test=`: likewise for the test images. */
      readonly test?: string;
      readonly options: LoadDatasetOptions;
    }
  | { readonly kind: 'cifar10' | 'cifar100'; readonly path: string; readonly options: LoadDatasetOptions };

const FORMS =
  "expected 'mnist', 'fashion-mnist', 'idx:<images>,<labels>[;test=<images>,<labels>]', 'npy:<x.npy>,<y.npy>[;test=<x.npy>,<y.npy>]', 'imagefolder:<dir|file.csv>[;test=<file.csv|dir>]', 'cifar10:<dir>' or 'cifar100:<dir>', optionally followed by ';key=value' options";

/** Kinds whose spec names one folder or file. */
const PATH_KINDS = ['imagefolder', 'cifar10', 'cifar100'] as const;

function bad(spec: string, why: string): never {
  throw new ConfigError(`dataset spec '${spec}': ${why}; ${FORMS}`);
}

function pair(spec: string, text: string, what: string): FilePair {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') bad(spec, `${what} '${text}' is not two comma-separated paths <images>,<labels>`);
  return { x: parts[0] as string, y: parts[1] as string };
}

function positiveInt(spec: string, key: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) bad(spec, `option ${key}='${v}' is not a positive integer`);
  return Number(v);
}

function parseLimit(spec: string, v: string): number | SplitLimits {
  if (/^\d+$/.test(v)) {
    if (Number(v) < 1) bad(spec, `limit '${v}' leaves no images; expected a positive integer`);
    return Number(v);
  }
  const out: Writable<SplitLimits> = {};
  for (const item of v.split(',')) {
    const m = /^(train|val|test):(\d+)$/.exec(item.trim());
    if (!m) bad(spec, `limit '${v}' is not '<n>' or 'train:<n>,val:<n>,test:<n>'`);
    if (Number(m[2]) < 1) bad(spec, `limit '${item.trim()}' leaves no images; expected a positive integer`);
    if (out[m[1] as 'train' | 'val' | 'test'] !== undefined) bad(spec, `limit '${v}' names '${m[1]}' twice`);
    out[m[1] as 'train' | 'val' | 'test'] = Number(m[2]);
  }
  return out;
}

/** Parses a dataset spec string (grammar in the module comment); throws ConfigError quoting it. */
export function parseDatasetSpec(spec: string): DatasetSpec {
  const [head = '', ...opts] = spec.split(';').map((s) => s.trim());
  const colon = head.indexOf(':');
  const kindText = (colon < 0 ? head : head.slice(0, colon)).trim().toLowerCase();
  const files = colon < 0 ? undefined : head.slice(colon + 1).trim();
  const kind = kindText === 'fmnist' ? 'fashion-mnist' : kindText;
  const pathKind = (PATH_KINDS as readonly string[]).includes(kind);
  if (kind !== 'mnist' && kind !== 'fashion-mnist' && kind !== 'idx' && kind !== 'npy' && !pathKind) bad(spec, `unknown kind '${kindText}'`);
  const options: Writable<LoadDatasetOptions> = {};
  let val: FilePair | undefined;
  let test: FilePair | undefined;
  const lists: { val?: string; test?: string } = {};
  const seen = new Set<string>();
  for (const opt of opts) {
    if (opt === '') continue;
    const eq = opt.indexOf('=');
    const key = (eq < 0 ? opt : opt.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : opt.slice(eq + 1).trim();
    if (seen.has(key)) bad(spec, `option '${key}' is given twice (which one was meant?)`);
    seen.add(key);
    if (eq < 0 && key !== 'standardize' && key !== 'stream') bad(spec, `option '${opt}' has no value (expected key=value)`);
    switch (key) {
      case 'test':
      case 'val':
        if (kind === 'imagefolder') {
          if (v === '') bad(spec, `option '${key}=' names no list; expected ${key}=<file.csv> or ${key}=<folder of class folders>`);
          lists[key] = v;
          break;
        }
        if (kind !== 'idx' && kind !== 'npy') bad(spec, `option '${key}=' applies to idx/npy (a pair of files) and imagefolder (a list) data sets only`);
        if (key === 'test') test = pair(spec, v, 'test=');
        else val = pair(spec, v, 'val=');
        break;
      case 'size':
        options.size = positiveInt(spec, key, v);
        break;
      case 'channels':
        options.channels = positiveInt(spec, key, v);
        break;
      case 'classes':
        options.numClasses = positiveInt(spec, key, v);
        break;
      case 'resize':
        if (v !== 'pad' && v !== 'bilinear') bad(spec, `resize='${v}' is not 'pad' or 'bilinear'`);
        options.resize = v;
        break;
      case 'layout':
        if (v !== 'nchw' && v !== 'nhwc') bad(spec, `layout='${v}' is not 'nchw' or 'nhwc'`);
        options.layout = v;
        break;
      case 'standardize':
        if (v !== '' && v !== 'true' && v !== 'false') bad(spec, `standardize='${v}' is not true or false`);
        options.standardize = v !== 'false';
        break;
      case 'limit':
        options.limit = parseLimit(spec, v);
        break;
      case 'stream':
        if (v !== '' && v !== 'true' && v !== 'false') bad(spec, `stream='${v}' is not true or false`);
        if (kind !== 'imagefolder') bad(spec, `option 'stream' applies to imagefolder data sets only`);
        options.stream = v !== 'false';
        break;
      default:
        bad(spec, `unknown option '${key}' (known: test, val, size, channels, resize, standardize, layout, classes, limit, stream)`);
    }
  }
  if (pathKind) {
    if (files === undefined || files === '') bad(spec, `'${kind}' needs a path: '${kind}:<${kind === 'imagefolder' ? 'dir or file.csv' : 'dir'}>'`);
    if (kind === 'imagefolder') return { kind, path: files, ...lists, options };
    return { kind: kind as 'cifar10' | 'cifar100', path: files, options };
  }
  if (kind === 'mnist' || kind === 'fashion-mnist') {
    if (files !== undefined && files !== '') bad(spec, `'${kind}' takes no file paths`);
    return { kind, options };
  }
  if (files === undefined || files === '') bad(spec, `'${kind}' needs the training files '${kind}:<images>,<labels>'`);
  const train = pair(spec, files, 'training files');
  return { kind: kind as 'idx' | 'npy', train, ...(val !== undefined ? { val } : {}), ...(test !== undefined ? { test } : {}), options };
}
