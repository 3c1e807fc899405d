/**
 * Lookup-table targets (`lut:<file>`): pre-collected per-layer costs, as in the VPU NAS approach.
 *
 * JSON form:
 * ```json
 * { "format": "hwnas-lut", "version": 1, "device": "host-cpu (onnxruntime-node 1.30, 1 thread)",
 *   "fused": true,
 *   "entries": [ { "key": "conv2d|in=3x32x32|out=32x16x16|k=3x3|s=2x2|g=1|w=32|a=32",
 *                  "latencyMs": 0.041, "energyMj": 0.002, "spreadMs": 0.003, "repeats": 50 } ],
 *   "networkOverheadMs": 0.02 }
 * ```
 * `key` follows the grammar in layer-key.ts (op, shapes, kernel, stride, groups, bits); `energyMj`,
 * `spreadMs` (inter-quartile range), `repeats` are optional; `fused: true` says entries are whole runtime kernels
 * (`kernelPlan`, prepared.ts): conv entries were measured with their batchnorm/activation fused, and with the residual
 * add(+activation) ONNX Runtime fuses into a conv (those nodes then cost 0); `networkOverheadMs` is added once per
 * inference; `kernelScale` (default 1) multiplies every entry's latency when a network is costed (host-cpu
 * tables calibrate it, with the overhead, on whole-network timings: kernels timed alone run slower than inside
 * a network). `networks` (optional) keeps the whole-network timings that calibration was fitted on, one
 * `{ "graph", "kernelSumMs", "networkMs" }` per measured network, so `hwnas predictor fit` can refit one calibration
 * over several tables (composition.ts). CSV form: optional `# device: ...`, `# fused: true`,
 * `# network_overhead_ms: 0.02`, `# kernel_scale: 0.9` lines and one `# network_timing: <kernelSumMs> <networkMs> <graph>`
 * line per measured network (other `#` lines are comments), then a header row `key,latency_ms[,energy_mj]` (key quoted if needed) or
 * `op,in,out,kernel,stride,groups,weight_bits,act_bits,latency_ms[,energy_mj]` with shapes as `32x16x16`
 * and `-` for fields an op does not have.
 *
 * A missing key is a ConfigError naming it, unless a fallback target was given (e.g. a predictor), which
 * then costs the layer. The per-architecture form for tabular NAS benchmarks is {@link ArchTable}.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { Workload } from '../ir/workload.js';
import { layerKey, parseLayerKey, workloadKey } from './layer-key.js';
import { type LayerValue, LayerValueTarget, unknownLayer } from './layer-target.js';
import { ANY_BITS, type Precision, type SupportedBits } from './precision.js';
import type { HardwareTarget } from './types.js';

/** One entry of a lookup table. */
export interface LutEntry extends LayerValue {
  readonly key: string;
  readonly spreadMs?: number;
  readonly repeats?: number;
}

/** A lookup table file's content. */
export interface LutFile {
  readonly format: 'hwnas-lut';
  readonly version: 1;
  readonly device?: string;
  readonly fused?: boolean;
  readonly networkOverheadMs?: number;
  /** Factor on every entry's latency when a network is costed (default 1). */
  readonly kernelScale?: number;
  /** The whole-network timings `kernelScale` and `networkOverheadMs` were fitted on (as `hwnas measure` writes them). */
  readonly networks?: readonly NetworkTiming[];
  readonly entries: readonly LutEntry[];
}

/** One measured network: the sum of its kernels timed alone and its whole-network time, both in ms. */
export interface NetworkTiming {
  readonly graph: string;
  readonly kernelSumMs: number;
  readonly networkMs: number;
}

/** The network timings of a table, each with positive finite times, or a ConfigError naming the bad one. */
function checkNetworks(v: unknown, path: string): NetworkTiming[] {
  if (!Array.isArray(v)) throw new ConfigError(`lookup table ${path}: networks ${JSON.stringify(v)}: expected an array of {graph, kernelSumMs, networkMs}`);
  return v.map((n: unknown, i) => {
    const o = n as Partial<NetworkTiming>;
    const pos = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
    if (typeof o !== 'object' || o === null || typeof o.graph !== 'string' || !pos(o.kernelSumMs) || !pos(o.networkMs))
      throw new ConfigError(
        `lookup table ${path}: networks[${i}] ${JSON.stringify(n)}: expected {graph: a name, kernelSumMs and networkMs: positive numbers of ms}`,
      );
    return { graph: o.graph, kernelSumMs: o.kernelSumMs as number, networkMs: o.networkMs as number };
  });
}

/** Split one CSV line (double quotes, "" escapes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** Table-wide fields a CSV table carries in `# name: value` comment lines (as {@link saveLut} writes them). */
const CSV_META = { device: 'device', fused: 'fused', network_overhead_ms: 'networkOverheadMs', kernel_scale: 'kernelScale' } as const;
/** The CSV comment line of one {@link NetworkTiming} (repeated, one per measured network). */
const NETWORK_TIMING = 'network_timing';

/** The table-wide fields of a CSV table's `# name: value` lines; other comment lines are ignored. */
function csvMeta(text: string, path: string): Pick<LutFile, 'device' | 'fused' | 'networkOverheadMs' | 'kernelScale' | 'networks'> {
  const out: { device?: string; fused?: boolean; networkOverheadMs?: number; kernelScale?: number; networks?: NetworkTiming[] } = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^#\s*([a-z_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (m?.[1] === NETWORK_TIMING) {
      const t = /^(\S+)\s+(\S+)\s+(.+)$/.exec(m[2] as string);
      const [k, n] = [Number(t?.[1]), Number(t?.[2])];
      if (!t || !(Number.isFinite(k) && k > 0 && Number.isFinite(n) && n > 0))
        throw new ConfigError(
          `lookup table ${path}: '# ${NETWORK_TIMING}: ${m[2]}': expected '<kernel sum ms> <network ms> <graph>', both times positive numbers`,
        );
      out.networks = [...(out.networks ?? []), { graph: t[3] as string, kernelSumMs: k, networkMs: n }];
      continue;
    }
    if (!m || !Object.hasOwn(CSV_META, m[1] as string)) continue;
    const name = m[1] as keyof typeof CSV_META;
    const v = m[2] as string;
    if (name === 'device') out.device = v;
    else if (name === 'fused') {
      if (v !== 'true' && v !== 'false') throw new ConfigError(`lookup table ${path}: '# fused: ${v}': expected true or false`);
      out.fused = v === 'true';
    } else {
      const x = Number(v);
      const pos = name === 'kernel_scale';
      if (v === '' || !Number.isFinite(x) || (pos ? x <= 0 : x < 0))
        throw new ConfigError(`lookup table ${path}: '# ${name}: ${v}': expected a ${pos ? 'positive' : 'non-negative'} number`);
      out[CSV_META[name] as 'networkOverheadMs' | 'kernelScale'] = x;
    }
  }
  return out;
}

function csvToLut(text: string, path: string): LutFile {
  const meta = csvMeta(text, path);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (n: string): number => header.indexOf(n);
  const lat = col('latency_ms');
  if (lat < 0) throw new ConfigError(`lookup table ${path}: CSV header must have a latency_ms column, got '${lines[0] ?? ''}'`);
  const en = col('energy_mj');
  const entries: LutEntry[] = lines.slice(1).map((l, r) => {
    const c = splitCsvLine(l);
    let key: string;
    if (col('key') >= 0) key = c[col('key')] as string;
    else {
      const need = ['op', 'in', 'out', 'kernel', 'stride', 'groups', 'weight_bits', 'act_bits'];
      for (const n of need)
        if (col(n) < 0) throw new ConfigError(`lookup table ${path}: CSV header lacks '${n}' (expected key,latency_ms or ${need.join(',')},latency_ms)`);
      const g = (n: string): string => c[col(n)] ?? '';
      const conv = g('kernel') !== '-' && g('kernel') !== '';
      key = conv
        ? layerKey({
            ...parseLayerKey(
              `${g('op')}|in=${g('in')}|out=${g('out')}|k=${g('kernel')}|s=${g('stride')}|g=${g('groups')}|w=${g('weight_bits')}|a=${g('act_bits')}`,
            ),
          })
        : `${g('op')}|in=${g('in')}|out=${g('out')}|k=-|s=-|g=-|w=-|a=${g('act_bits')}|ops=${col('ops') >= 0 ? g('ops') : '0'}`;
    }
    const v = Number(c[lat]);
    if (!Number.isFinite(v) || v < 0) throw new ConfigError(`lookup table ${path}: row ${r + 2}: latency_ms '${c[lat] ?? ''}' is not a non-negative number`);
    const e = en >= 0 ? Number(c[en]) : Number.NaN;
    return Number.isFinite(e) ? { key, latencyMs: v, energyMj: e } : { key, latencyMs: v };
  });
  return { format: 'hwnas-lut', version: 1, ...meta, entries: checkUniqueKeys(entries, path, (i) => `row ${i + 2}`) };
}

/** The entries, or a ConfigError when a key appears twice (one of two measurements would silently win). */
function checkUniqueKeys<E extends LutEntry>(entries: E[], path: string, where: (i: number) => string): E[] {
  const first = new Map<string, number>();
  entries.forEach((e, i) => {
    const j = first.get(e.key);
    if (j !== undefined) {
      const a = entries[j] as E;
      throw new ConfigError(
        `lookup table ${path}: key '${e.key}' appears twice (${where(j)}: ${a.latencyMs} ms, ${where(i)}: ${e.latencyMs} ms); expected one entry per key (merge or remove the duplicate)`,
      );
    }
    first.set(e.key, i);
  });
  return entries;
}

/** Parse a lookup table from JSON or CSV text (`path` decides by extension and appears in errors). */
export function parseLut(text: string, path: string): LutFile {
  if (path.toLowerCase().endsWith('.csv')) return csvToLut(text, path);
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`lookup table ${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as Partial<LutFile>;
  if (typeof o !== 'object' || o === null || o.format !== 'hwnas-lut' || !Array.isArray(o.entries)) {
    throw new ConfigError(`lookup table ${path}: expected {"format": "hwnas-lut", "version": 1, "entries": [{key, latencyMs}]}`);
  }
  o.entries.forEach((e, i) => {
    if (typeof e.key !== 'string' || typeof e.latencyMs !== 'number' || !(e.latencyMs >= 0)) {
      throw new ConfigError(`lookup table ${path}: entry ${i} must have a string key and a non-negative latencyMs, got ${JSON.stringify(e)}`);
    }
  });
  checkUniqueKeys(o.entries, path, (i) => `entry ${i}`);
  for (const k of ['networkOverheadMs', 'kernelScale'] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && (k === 'kernelScale' ? v > 0 : v >= 0)))
      throw new ConfigError(`lookup table ${path}: ${k} ${JSON.stringify(v)}: expected a ${k === 'kernelScale' ? 'positive' : 'non-negative'} number`);
  }
  if (o.networks !== undefined) checkNetworks(o.networks, path);
  return o as LutFile;
}

/** Read a lookup table file (.json or .csv). */
export function loadLut(path: string): LutFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`lookup table file '${path}' cannot be read`);
  }
  return parseLut(text, path);
}

/** Options of {@link LutTarget}. */
export interface LutTargetOptions {
  /** Target that costs layers missing from the table (e.g. a `predictor:` target); without it a miss is an error. */
  readonly fallback?: HardwareTarget;
  readonly name?: string;
}

/** A target backed by a lookup table. */
export class LutTarget extends LayerValueTarget {
  readonly name: string;
  readonly description: string;
  readonly kind = 'table' as const;
  readonly supportedBits: SupportedBits;
  readonly hasEnergy: boolean;
  readonly fuse: boolean;
  private readonly map = new Map<string, LutEntry>();
  /** Keys that were missing and served by the fallback. */
  readonly misses = new Set<string>();
  /** The precision most of the table's conv/dense entries were measured at (ties: the wider); absent without such entries. */
  readonly defaultPrecision?: Precision;

  constructor(
    readonly table: LutFile,
    readonly options: LutTargetOptions = {},
  ) {
    super();
    for (const e of table.entries) this.map.set(e.key, e);
    this.name = options.name ?? 'lut';
    this.description = `lookup table${table.device ? ` (${table.device})` : ''}, ${table.entries.length} entries${options.fallback ? `, fallback ${options.fallback.name}` : ''}`;
    this.hasEnergy =
      table.entries.length > 0 && table.entries.every((e) => typeof e.energyMj === 'number') && (!options.fallback || options.fallback.hasEnergy);
    this.fuse = table.fused === true;
    const wb = new Set<number>();
    const ab = new Set<number>();
    const pairs = new Map<string, number>();
    for (const e of table.entries) {
      const m = /\|w=(\d+)\|a=(\d+)/.exec(e.key);
      if (m) {
        wb.add(Number(m[1]));
        ab.add(Number(m[2]));
        pairs.set(`${m[1]} ${m[2]}`, (pairs.get(`${m[1]} ${m[2]}`) ?? 0) + 1);
      }
    }
    const top = [...pairs].map(([k, n]) => ({ p: k.split(' ').map(Number) as [number, number], n }));
    top.sort((a, b) => b.n - a.n || Math.max(...b.p) - Math.max(...a.p) || b.p[0] - a.p[0]);
    const best = top[0]?.p;
    if (best) this.defaultPrecision = { weightBits: best[0], actBits: best[1] };
    this.supportedBits = options.fallback
      ? options.fallback.supportedBits
      : { weight: ANY_BITS.filter((b) => wb.has(b) || wb.size === 0), act: ANY_BITS.filter((b) => ab.has(b) || ab.size === 0) };
  }

  /** {@inheritDoc HardwareTarget.fallback} */
  get fallback(): HardwareTarget | undefined {
    return this.options.fallback;
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  protected override networkOverheadMs(): number {
    return this.table.networkOverheadMs ?? 0;
  }

  /**
   * A `fused: true` table holds whole runtime kernels (as `hwnas measure` writes them, one entry per anchor of
   * `kernelPlan`): a residual add (and its activation) fused into a conv's kernel costs 0 here, as on host-cpu.
   */
  protected override costsKernels(): boolean {
    return this.fuse;
  }

  protected layerValue(w: Workload, p: Precision): LayerValue {
    const key = workloadKey(w, p);
    const e = this.map.get(key);
    const scale = this.table.kernelScale ?? 1;
    if (e) return scale === 1 ? e : { ...e, latencyMs: e.latencyMs * scale };
    if (this.options.fallback) {
      this.misses.add(key);
      const c = this.options.fallback.layerCost(w, p);
      return { latencyMs: c.latencyMs, energyMj: c.energyMj, from: this.options.fallback.name };
    }
    const u = unknownLayer(w);
    throw new ConfigError(`lookup table '${this.name}' has no entry for ${u.what}: missing key '${key}' (measure it, or give a fallback predictor)${u.note}`);
  }
}

/** Metrics of one architecture in a tabular benchmark. */
export type ArchMetrics = Readonly<Record<string, number>>;

/**
 * The per-architecture table form (tabular NAS benchmarks): architecture string -> metrics.
 * JSON `{ "format": "hwnas-arch-table", "entries": { "<arch>": { "latencyMs": 1.2, "accuracy": 0.93 } } }`
 * or CSV with a header `arch,<metric>,<metric>...`.
 */
export class ArchTable {
  private readonly map: Map<string, ArchMetrics>;

  constructor(
    entries: Readonly<Record<string, ArchMetrics>>,
    readonly source = 'arch table',
  ) {
    this.map = new Map(Object.entries(entries));
  }

  /** Metrics of `arch`; ConfigError naming it when absent. */
  get(arch: string): ArchMetrics {
    const m = this.map.get(arch);
    if (!m) throw new ConfigError(`${this.source}: no entry for architecture '${arch}' (${this.map.size} architectures in the table)`);
    return m;
  }

  /** One metric of `arch`; ConfigError naming the metric when absent. */
  metric(arch: string, name: string): number {
    const v = this.get(arch)[name];
    if (v === undefined)
      throw new ConfigError(`${this.source}: architecture '${arch}' has no metric '${name}' (has ${Object.keys(this.get(arch)).join(', ')})`);
    return v;
  }

  /** Whether `arch` is in the table. */
  has(arch: string): boolean {
    return this.map.has(arch);
  }

  /** All architecture strings. */
  archs(): string[] {
    return [...this.map.keys()];
  }
}

/** Parse an architecture table from JSON or CSV text. */
export function parseArchTable(text: string, path: string): ArchTable {
  if (path.toLowerCase().endsWith('.csv')) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const header = splitCsvLine(lines[0] ?? '');
    if (header[0]?.toLowerCase() !== 'arch') throw new ConfigError(`arch table ${path}: CSV header must start with 'arch', got '${lines[0] ?? ''}'`);
    const entries: Record<string, Record<string, number>> = {};
    lines.slice(1).forEach((l, r) => {
      const c = splitCsvLine(l);
      const m: Record<string, number> = {};
      header.slice(1).forEach((h, j) => {
        const v = Number(c[j + 1]);
        if (!Number.isFinite(v)) throw new ConfigError(`arch table ${path}: row ${r + 2} column '${h}': '${c[j + 1] ?? ''}' is not a number`);
        m[h] = v;
      });
      entries[c[0] as string] = m;
    });
    return new ArchTable(entries, `arch table ${path}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`arch table ${path}: not valid JSON (${(e as Error).message})`);
  }
  const o = j as { format?: unknown; entries?: unknown };
  if (o?.format !== 'hwnas-arch-table' || typeof o.entries !== 'object' || o.entries === null) {
    throw new ConfigError(`arch table ${path}: expected {"format": "hwnas-arch-table", "entries": {"<arch>": {metric: number}}}`);
  }
  return new ArchTable(o.entries as Record<string, ArchMetrics>, `arch table ${path}`);
}

/** Read an architecture table file (.json or .csv). */
export function loadArchTable(path: string): ArchTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`arch table file '${path}' cannot be read`);
  }
  return parseArchTable(text, path);
}

/**
 * Write a lookup table as JSON (`.json`) or CSV (`.csv`, columns key, latency_ms[, energy_mj]; the table-wide
 * device, fused, network_overhead_ms and kernel_scale as `# name: value` lines before the header, read back by
 * {@link parseLut}).
 */
export function saveLut(lut: LutFile, path: string): void {
  if (path.toLowerCase().endsWith('.csv')) {
    const energy = lut.entries.some((e) => typeof e.energyMj === 'number');
    const rows = lut.entries.map((e) => `"${e.key.replace(/"/g, '""')}",${e.latencyMs}${energy ? `,${e.energyMj ?? ''}` : ''}`);
    const meta = (Object.entries(CSV_META) as [keyof typeof CSV_META, (typeof CSV_META)[keyof typeof CSV_META]][])
      .filter(([, k]) => lut[k] !== undefined)
      .map(([n, k]) => `# ${n}: ${String(lut[k]).replace(/[\r\n]+/g, ' ')}`);
    const nets = (lut.networks ?? []).map((t) => `# ${NETWORK_TIMING}: ${t.kernelSumMs} ${t.networkMs} ${t.graph.replace(/[\r\n]+/g, ' ')}`);
    writeFileSync(path, [...meta, ...nets, `key,latency_ms${energy ? ',energy_mj' : ''}`, ...rows].join('\n') + '\n');
  } else writeFileSync(path, JSON.stringify(lut, null, 1));
}
