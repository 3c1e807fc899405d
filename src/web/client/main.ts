/**
 * The what-if page in the browser (bundled by scripts/build-web.mjs; the DOM side only, the rest is
 * ../what-if.ts and the library). One model, configuration A (target, parameters, policy, per-layer
 * bits) and optionally configuration B to compare; everything is recomputed on each change with the
 * library's own cost models. User strings reach the DOM through textContent only.
 */
import { type ComplexityReport, type ComplexityTotals, compareReports, complexityReport } from '../../hardware/complexity.js';
import type { TargetFile } from '../../hardware/data.js';
import { POLICY_PRESETS, type PrecisionPolicy } from '../../hardware/precision.js';
import type { HardwareTarget } from '../../hardware/types.js';
import { formatNumber } from '../../util/table.js';
import {
  buildTarget,
  checkOnnxSize,
  defaultPolicyFor,
  layerBits,
  loadWhatIfTargets,
  MAX_ONNX_BYTES,
  modelFromOnnx,
  modelFromZoo,
  paramText,
  policyJson,
  readPolicy,
  targetParams,
  type WhatIfData,
  type WhatIfModel,
  withLayerBits,
} from '../what-if.js';

/** One configuration (A or B). */
interface Side {
  readonly id: 'A' | 'B';
  targetName: string;
  /** Parameter field texts as typed (only those the user touched). */
  edited: Record<string, string>;
  /** A preset name, 'same' (B: A's policy), or a policy object (uploaded file or per-layer edits). */
  policyInput: unknown;
  /** What the policy select shows. */
  policyLabel: string;
  target?: HardwareTarget;
  spec: string;
  policy?: PrecisionPolicy;
  report?: ComplexityReport;
  error?: string;
}

/** Timings of the last recompute (ms): cost models only, and with the DOM and chart update. */
interface Timings {
  computeMs: number;
  totalMs: number;
  /** The DOM and chart part, by view. */
  renderMs: Record<string, number>;
}

const data = JSON.parse((document.getElementById('hwnas-whatif-data') as HTMLElement).textContent ?? '{}') as WhatIfData;
const files: Map<string, TargetFile> = loadWhatIfTargets(data);
const firstTarget = data.targets[0] ?? '';
let model: WhatIfModel | undefined;
let compare = false;
const sides: Record<'A' | 'B', Side> = {
  A: { id: 'A', targetName: firstTarget, edited: {}, policyInput: 'default', policyLabel: 'default', spec: firstTarget },
  B: { id: 'B', targetName: data.targets[1] ?? firstTarget, edited: {}, policyInput: 'same', policyLabel: 'same', spec: data.targets[1] ?? firstTarget },
};
const timings: Timings = { computeMs: Number.NaN, totalMs: Number.NaN, renderMs: {} };

type Attrs = Record<string, string>;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}
function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}
function message(e: unknown): string {
  const err = e as Error;
  return err && typeof err.message === 'string' ? err.message : String(e);
}
function setMsg(id: string, text: string, ok = false): void {
  const m = byId(id);
  m.textContent = text;
  m.className = ok ? 'ok' : 'msg';
}

function options(sel: HTMLSelectElement, values: ReadonlyArray<readonly [string, string]>, selected: string): void {
  sel.replaceChildren(...values.map(([v, label]) => el('option', v === selected ? { value: v, selected: '' } : { value: v }, label)));
  sel.value = selected;
}

// ---------------------------------------------------------------- layout

function sideCard(id: 'A' | 'B'): HTMLElement {
  const policySel = el('select', { id: `policy-${id}` });
  return el(
    'div',
    { class: 'card', id: `side-${id}` },
    el('h2', {}, id === 'A' ? 'Configuration A' : 'Configuration B (compare)'),
    el('div', {}, el('label', { for: `target-${id}` }, 'target'), el('select', { id: `target-${id}` })),
    el(
      'div',
      {},
      el('label', { for: `policy-${id}` }, 'policy'),
      policySel,
      ' ',
      el('label', { for: `policy-file-${id}` }, 'or policy file'),
      el('input', { type: 'file', id: `policy-file-${id}`, accept: '.json,application/json' }),
    ),
    el('div', { class: 'msg', id: `error-${id}` }),
    el(
      'details',
      { id: `params-box-${id}` },
      el('summary', {}, 'parameters (validated as hwnas cost --target name?key=value)'),
      el('table', { class: 'params', id: `params-${id}` }),
    ),
    el('div', { class: 'sub', id: `cli-${id}` }),
  );
}

function layout(): void {
  const zooSel = el('select', { id: 'zoo-model' });
  options(
    zooSel,
    data.zoo.map((z) => [z.name, `${z.name}: ${z.description}`] as const),
    'mnist-cnn',
  );
  byId('app').replaceChildren(
    el('h1', {}, 'hwnas what-if: what does this network cost on that hardware?'),
    el(
      'p',
      { class: 'sub' },
      'Everything runs in this tab with hwnas\u2019s own ONNX import and cost models (the numbers of hwnas cost --json); nothing is uploaded or fetched.',
    ),
    el(
      'div',
      { class: 'row' },
      el(
        'div',
        { class: 'card' },
        el('h2', {}, 'Model'),
        el(
          'div',
          { id: 'drop' },
          'Drop an .onnx file here (float or QDQ, up to ',
          String(MAX_ONNX_BYTES / 2 ** 20),
          ' MiB) or ',
          el('input', { type: 'file', id: 'onnx-file', accept: '.onnx' }),
        ),
        el(
          'div',
          {},
          el('label', { for: 'zoo-model' }, 'or zoo model'),
          zooSel,
          ' ',
          el('label', { for: 'zoo-options' }, 'options'),
          el('input', { type: 'text', id: 'zoo-options', placeholder: 'width=0.5&size=160' }),
          ' ',
          el('button', { id: 'zoo-load' }, 'load'),
        ),
        el('div', { class: 'ok', id: 'model-msg' }),
        el('label', {}, el('input', { type: 'checkbox', id: 'compare' }), ' compare with configuration B'),
      ),
      sideCard('A'),
      sideCard('B'),
    ),
    el('h2', {}, 'Totals'),
    el('div', { class: 'card' }, el('table', { id: 'totals' }), el('div', { class: 'sub', id: 'timing' })),
    el('h2', {}, 'Latency per layer'),
    el('div', { class: 'card' }, el('div', { id: 'chart' })),
    el('h2', {}, 'Per layer (configuration A; bits editable for conv/dense layers)'),
    el('div', { class: 'card scroll' }, el('table', { id: 'layers' })),
    el('div', { id: 'compare-section' }, el('h2', {}, 'A vs B per layer'), el('div', { class: 'card scroll' }, el('table', { id: 'compare-table' }))),
    el('h2', {}, 'Policy of configuration A'),
    el(
      'div',
      { class: 'card' },
      el('button', { id: 'export-policy' }, 'download policy.json'),
      ' usable by hwnas cost --policy policy.json and hwnas eval --policy policy.json',
      el('textarea', { id: 'policy-json', readonly: '' }),
    ),
  );
  for (const id of ['A', 'B'] as const) {
    options(
      byId<HTMLSelectElement>(`target-${id}`),
      data.targets.map((t) => [t, t] as const),
      sides[id].targetName,
    );
  }
  byId('side-B').hidden = true;
  byId('compare-section').hidden = true;
}

// ---------------------------------------------------------------- controls

function renderParams(side: Side): void {
  const file = files.get(side.targetName);
  const table = byId<HTMLTableElement>(`params-${side.id}`);
  if (!file) {
    table.replaceChildren();
    return;
  }
  table.replaceChildren(
    ...targetParams(file).map((p) => {
      const text = side.edited[p.key] ?? paramText(p.value);
      const input =
        typeof p.value === 'boolean'
          ? el('input', { type: 'checkbox', 'data-param': p.key, ...(text === 'true' ? { checked: '' } : {}) })
          : el('input', { type: 'text', 'data-param': p.key, value: text });
      return el('tr', { title: p.source }, el('td', {}, p.key), el('td', {}, input), el('td', { class: 'src' }, p.source));
    }),
  );
}

function renderPolicySelect(side: Side): void {
  const opts: Array<readonly [string, string]> = [];
  if (side.id === 'B') opts.push(['same', 'same as A']);
  opts.push(['default', "default: a QDQ file's own bits, else the target's (w8a8, or fp32)"]);
  for (const p of POLICY_PRESETS) opts.push([p, p]);
  if (typeof side.policyInput === 'object') opts.push([side.policyLabel, side.policyLabel]);
  options(byId<HTMLSelectElement>(`policy-${side.id}`), opts, side.policyLabel);
}

function bindSide(side: Side): void {
  byId<HTMLSelectElement>(`target-${side.id}`).addEventListener('change', (ev) => {
    side.targetName = (ev.target as HTMLSelectElement).value;
    side.edited = {};
    renderParams(side);
    recompute();
  });
  byId<HTMLSelectElement>(`policy-${side.id}`).addEventListener('change', (ev) => {
    const v = (ev.target as HTMLSelectElement).value;
    if (v === side.policyLabel && typeof side.policyInput === 'object') return;
    side.policyInput = v;
    side.policyLabel = v;
    renderPolicySelect(side);
    recompute();
  });
  byId<HTMLInputElement>(`policy-file-${side.id}`).addEventListener('change', async (ev) => {
    const input = ev.target as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    const text = await f.text();
    try {
      side.policyInput = JSON.parse(text) as unknown;
    } catch (e) {
      byId(`error-${side.id}`).textContent = `policy file '${f.name}' is not valid JSON: ${message(e)}`;
      return;
    }
    side.policyLabel = `file ${f.name}`;
    renderPolicySelect(side);
    recompute();
  });
  const params = byId<HTMLTableElement>(`params-${side.id}`);
  const onParam = (ev: Event): void => {
    const t = ev.target as HTMLInputElement;
    const key = t.getAttribute('data-param');
    if (!key) return;
    side.edited[key] = t.type === 'checkbox' ? String(t.checked) : t.value;
    recompute();
  };
  params.addEventListener('input', onParam);
  params.addEventListener('change', onParam);
}

async function loadFile(f: File): Promise<void> {
  try {
    checkOnnxSize(f.name, f.size);
    const bytes = new Uint8Array(await f.arrayBuffer());
    setModel(modelFromOnnx(f.name, bytes));
  } catch (e) {
    setMsg('model-msg', message(e));
  }
}

function loadZoo(spec: string): void {
  try {
    setModel(modelFromZoo(spec));
  } catch (e) {
    setMsg('model-msg', message(e));
  }
}

function setModel(m: WhatIfModel): void {
  model = m;
  // per-layer edits and uploaded policies name the old model's layers: back to the presets
  for (const s of [sides.A, sides.B]) {
    if (typeof s.policyInput === 'object') {
      s.policyInput = s.id === 'A' ? 'default' : 'same';
      s.policyLabel = s.policyInput as string;
      renderPolicySelect(s);
    }
  }
  const layers = m.graph.nodes.length;
  setMsg('model-msg', `${m.source}: graph '${m.graph.name}', ${layers} nodes`, true);
  recompute();
}

function bindModel(): void {
  byId<HTMLInputElement>('onnx-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void loadFile(f);
  });
  const drop = byId('drop');
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    const f = ev.dataTransfer?.files[0];
    if (f) void loadFile(f);
  });
  byId('zoo-load').addEventListener('click', () => {
    const opts = byId<HTMLInputElement>('zoo-options').value.trim();
    loadZoo(byId<HTMLSelectElement>('zoo-model').value + (opts ? `?${opts}` : ''));
  });
  byId<HTMLInputElement>('compare').addEventListener('change', (ev) => {
    compare = (ev.target as HTMLInputElement).checked;
    byId('side-B').hidden = !compare;
    byId('compare-section').hidden = !compare;
    recompute();
  });
  byId('export-policy').addEventListener('click', () => {
    if (!sides.A.policy) return;
    const url = URL.createObjectURL(new Blob([policyJson(sides.A.policy)], { type: 'application/json' }));
    const a = el('a', { href: url, download: 'policy.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  byId<HTMLTableElement>('layers').addEventListener('change', (ev) => {
    const t = ev.target as HTMLSelectElement;
    const layer = t.getAttribute('data-layer');
    const policy = sides.A.policy;
    if (!layer || !policy) return;
    const row = layerBits(model?.graph ?? { name: '', nodes: [], outputs: [] }, policy).find((r) => r.layer === layer);
    if (!row) return;
    const w = t.getAttribute('data-kind') === 'w' ? Number(t.value) : row.weightBits;
    const a = t.getAttribute('data-kind') === 'a' ? Number(t.value) : row.actBits;
    sides.A.policyInput = withLayerBits(policy, layer, w, a);
    sides.A.policyLabel = 'custom (per-layer edits)';
    renderPolicySelect(sides.A);
    recompute();
  });
}

// ---------------------------------------------------------------- compute

function computeSide(side: Side, m: WhatIfModel): void {
  delete side.report;
  delete side.error;
  delete side.policy;
  const file = files.get(side.targetName);
  try {
    if (!file) throw new Error(`unknown target '${side.targetName}'`);
    const built = buildTarget(file, side.edited);
    side.target = built.target;
    side.spec = built.spec;
    const input = side.policyInput === 'same' ? (sides.A.policy ?? 'default') : side.policyInput;
    side.policy =
      input === 'default'
        ? defaultPolicyFor(m, built.target)
        : readPolicy(input, m.graph, built.target, side.policyLabel.startsWith('file ') ? side.policyLabel.slice(5) : '(page)');
    side.report = complexityReport(m.graph, built.target, side.policy);
  } catch (e) {
    side.error = message(e);
  }
}

/** Recomputes both configurations and redraws; returns the timings. */
function recompute(): Timings {
  if (!model) return timings;
  const t0 = performance.now();
  computeSide(sides.A, model);
  if (compare) computeSide(sides.B, model);
  const t1 = performance.now();
  render();
  const t2 = performance.now();
  timings.computeMs = t1 - t0;
  timings.totalMs = t2 - t0;
  byId('timing').textContent = `recomputed in ${timings.computeMs.toFixed(1)} ms (cost models) / ${timings.totalMs.toFixed(1)} ms with tables and chart`;
  return timings;
}

// ---------------------------------------------------------------- output

const TOTALS: ReadonlyArray<readonly [keyof ComplexityTotals, string]> = [
  ['macs', 'MACs'],
  ['bitOps', 'bit ops'],
  ['weightBytes', 'weight bytes'],
  ['activationBytes', 'activation bytes'],
  ['dramBytes', 'DRAM traffic (bytes)'],
  ['onchipBytes', 'on-chip traffic (bytes)'],
  ['latencyMs', 'latency (ms)'],
  ['energyMj', 'energy (mJ)'],
  ['areaMm2', 'compute-array area (mm²)'],
  ['latencyPerSampleMs', 'latency per sample (ms)'],
  ['energyPerSampleMj', 'energy per sample (mJ)'],
];

function num(v: number, attrs: Attrs = {}): HTMLTableCellElement {
  return el('td', { 'data-v': String(v), ...attrs }, formatNumber(v));
}

function renderTotals(): void {
  const a = sides.A.report;
  const b = compare ? sides.B.report : undefined;
  const head = el('tr', {}, el('th', {}, ''), el('th', {}, `A: ${sides.A.spec} / ${a?.policy ?? '-'}`));
  if (compare) head.append(el('th', {}, `B: ${sides.B.spec} / ${b?.policy ?? '-'}`), el('th', {}, 'A / B'));
  const rows = TOTALS.map(([k, label]) => {
    const tr = el('tr', {}, el('td', {}, label));
    tr.append(a ? num(a.total[k], { 'data-side': 'A', 'data-key': k }) : el('td', {}, '-'));
    if (compare) {
      tr.append(b ? num(b.total[k], { 'data-side': 'B', 'data-key': k }) : el('td', {}, '-'));
      tr.append(a && b ? num(a.total[k] / b.total[k]) : el('td', {}, '-'));
    }
    return tr;
  });
  byId('totals').replaceChildren(head, ...rows);
}

function bitsSelect(layer: string, kind: 'w' | 'a', value: number, allowed: readonly number[]): HTMLSelectElement {
  const sel = el('select', { 'data-layer': layer, 'data-kind': kind, 'aria-label': `${kind === 'w' ? 'weight' : 'activation'} bits of ${layer}` });
  for (const b of allowed) sel.append(el('option', b === value ? { value: String(b), selected: '' } : { value: String(b) }, String(b)));
  return sel;
}

/** The per-layer table's rows, kept between recomputes: only cell values change unless the layout does. */
interface LayerRow {
  readonly cells: HTMLTableCellElement[];
  /** The values shown (NaN before the first), so unchanged cells are not touched. */
  readonly shown: Float64Array;
  readonly w?: HTMLSelectElement;
  readonly a?: HTMLSelectElement;
  readonly bits?: HTMLTableCellElement;
}
let layerRows: LayerRow[] = [];
let layersKey = '';

function setNum(td: HTMLTableCellElement, v: number, lr?: LayerRow, k = 0): void {
  if (lr) {
    if (Object.is(lr.shown[k], v)) return;
    lr.shown[k] = v;
  }
  const text = formatNumber(v);
  td.setAttribute('data-v', String(v));
  if (td.textContent !== text) td.textContent = text;
}

/** Builds the per-layer table for a model, a target's bit choices and the policy's grouped layers. */
function buildLayers(r: ComplexityReport, bits: Map<string, ReturnType<typeof layerBits>[number]>, sup: HardwareTarget['supportedBits']): void {
  const head = el(
    'tr',
    {},
    ...['layer', 'op', 'W bits', 'A bits', 'MACs', 'bit ops', 'weight B', 'act B', 'DRAM B', 'on-chip B', 'latency ms', 'energy µJ', 'bound', 'util %'].map(
      (h) => el('th', h === 'op' || h === 'bound' ? { class: 'l' } : {}, h),
    ),
  );
  layerRows = [];
  const trs = r.rows.map((row) => {
    const b = bits.get(row.layer);
    const tr = el('tr', { 'data-layer': row.layer }, el('td', {}, row.layer), el('td', { class: 'l' }, row.op));
    let lr: LayerRow;
    const cells = Array.from({ length: 10 }, (_, i) => el('td', i === 6 ? { 'data-key': 'latencyMs' } : i === 8 ? { class: 'l' } : {}));
    if (b && !b.groups) {
      const w = bitsSelect(row.layer, 'w', b.weightBits, sup.weight);
      const a = bitsSelect(row.layer, 'a', b.actBits, sup.act);
      tr.append(el('td', {}, w), el('td', {}, a));
      lr = { cells, shown: new Float64Array(10).fill(Number.NaN), w, a };
    } else {
      const bitsTd = el('td', { colspan: '2' });
      tr.append(bitsTd);
      lr = { cells, shown: new Float64Array(10).fill(Number.NaN), bits: bitsTd };
    }
    tr.append(...cells);
    layerRows.push(lr);
    return tr;
  });
  byId<HTMLTableElement>('layers').replaceChildren(head, ...trs);
}

function renderLayers(): void {
  const side = sides.A;
  const r = side.report;
  if (!r || !side.policy || !side.target || !model) {
    byId<HTMLTableElement>('layers').replaceChildren();
    layersKey = '';
    return;
  }
  const bits = new Map(layerBits(model.graph, side.policy).map((b) => [b.layer, b]));
  const sup = side.target.supportedBits;
  const grouped = [...bits.values()].filter((b) => b.groups).map((b) => b.layer);
  const key = JSON.stringify([model.source, model.graph.nodes.length, sup, grouped]);
  if (key !== layersKey) {
    buildLayers(r, bits, sup);
    layersKey = key;
  }
  r.rows.forEach((row, i) => {
    const lr = layerRows[i] as LayerRow;
    const b = bits.get(row.layer);
    if (lr.w && lr.a && b) {
      if (lr.w.value !== String(b.weightBits)) lr.w.value = String(b.weightBits);
      if (lr.a.value !== String(b.actBits)) lr.a.value = String(b.actBits);
    } else if (lr.bits && lr.bits.textContent !== row.bits) lr.bits.textContent = row.bits;
    const c = lr.cells as [HTMLTableCellElement, ...HTMLTableCellElement[]];
    const vals = [row.macs, row.bitOps, row.weightBytes, row.activationBytes, row.dramBytes, row.onchipBytes, row.latencyMs, row.energyMj * 1e3];
    vals.forEach((v, k) => setNum(c[k] as HTMLTableCellElement, v, lr, k));
    const bound = c[8] as HTMLTableCellElement;
    if (bound.textContent !== row.bound) bound.textContent = row.bound;
    setNum(c[9] as HTMLTableCellElement, row.utilization * 100, lr, 9);
  });
}

function renderCompare(): void {
  const table = byId<HTMLTableElement>('compare-table');
  const a = sides.A.report;
  const b = sides.B.report;
  if (!compare || !a || !b) {
    table.replaceChildren();
    return;
  }
  const c = compareReports(a, b);
  const head = el('tr', {}, ...['layer', 'bits A', 'bits B', 'ms A', 'ms B', 'A/B', 'µJ A', 'µJ B', 'bound A', 'bound B'].map((h) => el('th', {}, h)));
  const rows = c.rows
    .filter((x) => x.latencyA > 0 || x.latencyB > 0)
    .map((x) =>
      el(
        'tr',
        {},
        el('td', {}, x.layer),
        el('td', {}, x.bitsA),
        el('td', {}, x.bitsB),
        num(x.latencyA),
        num(x.latencyB),
        num(x.speedup),
        num(x.energyA * 1e3),
        num(x.energyB * 1e3),
        el('td', { class: 'l' }, x.boundA),
        el('td', { class: 'l' }, x.boundB),
      ),
    );
  const note = c.perSample ? ` per sample (A's batch ${a.batch}, B's ${b.batch})` : '';
  const foot = el(
    'tr',
    { class: 'totals' },
    el('td', {}, `total${note}`),
    el('td', {}, ''),
    el('td', {}, ''),
    num(c.perSample ? a.total.latencyPerSampleMs : a.total.latencyMs),
    num(c.perSample ? b.total.latencyPerSampleMs : b.total.latencyMs),
    num(c.speedup, { id: 'compare-speedup' }),
    num((c.perSample ? a.total.energyPerSampleMj : a.total.energyMj) * 1e3),
    num((c.perSample ? b.total.energyPerSampleMj : b.total.energyMj) * 1e3),
    el('td', {}, ''),
    el('td', {}, ''),
  );
  table.replaceChildren(head, ...rows, foot);
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round step for about `n` ticks up to `max`. */
function tickStep(max: number, n = 5): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** The chart's SVG parts kept between recomputes: bars are updated in place while the layers and width stay. */
interface ChartState {
  readonly key: string;
  readonly grid: SVGElement;
  readonly legend: SVGElement;
  readonly bars: Array<{ rect: SVGElement; title: SVGElement; v: number }>;
  top: number;
}
let chartState: ChartState | undefined;
let chartWidth = 0;

/** Latency per layer as grouped SVG bars (A, and B when comparing); each bar's title gives the figure. */
function renderChart(): void {
  const chart = byId('chart');
  const a = sides.A.report;
  if (!a) {
    chart.replaceChildren();
    chartState = undefined;
    return;
  }
  const b = compare ? sides.B.report : undefined;
  // targets with different batches (bismo-cloud costs 16 samples) are compared per sample, as hwnas cost --compare does
  const perSample = b !== undefined && b.batch !== a.batch;
  const da = perSample ? a.batch : 1;
  const db = perSample && b ? b.batch : 1;
  const bLat = new Map(b ? b.rows.map((r) => [r.layer, r.latencyMs / db]) : []);
  const shown = a.rows.filter((r) => r.latencyMs > 0 || (bLat.get(r.layer) ?? 0) > 0);
  const series: Array<{ name: string; color: string; values: number[] }> = [
    { name: `A: ${sides.A.spec} / ${a.policy}`, color: '#2f6db5', values: shown.map((r) => r.latencyMs / da) },
  ];
  if (b) series.push({ name: `B: ${sides.B.spec} / ${b.policy}`, color: '#e07b24', values: shown.map((r) => bLat.get(r.layer) ?? 0) });
  const axis = perSample ? 'latency per sample (ms)' : 'latency (ms)';
  // reading clientWidth forces a layout of the whole page: once, and again after a resize
  chartWidth ||= Math.max(chart.clientWidth, 600);
  const W = chartWidth;
  const H = 340;
  const m = { l: 64, r: 10, t: 26, b: 96 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const max = Math.max(1e-12, ...series.flatMap((s) => s.values));
  const step = tickStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (v: number): number => m.t + ph - (v / top) * ph;
  const key = JSON.stringify([W, series.length, axis, shown.map((r) => r.layer)]);
  let st = chartState;
  if (!st || st.key !== key) {
    const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${axis} per layer` });
    const grid = svg('g', {});
    const legend = svg('g', {});
    root.append(grid, legend);
    root.append(svg('text', { x: 14, y: m.t + ph / 2, transform: `rotate(-90 14 ${m.t + ph / 2})`, 'text-anchor': 'middle', 'font-size': 12 }, axis));
    const gw = pw / Math.max(1, shown.length);
    const bw = (gw * 0.8) / series.length;
    const every = Math.ceil(shown.length / 60);
    const bars: ChartState['bars'] = [];
    shown.forEach((r, i) => {
      series.forEach((s, k) => {
        const rect = svg('rect', { x: m.l + i * gw + gw * 0.1 + k * bw, width: Math.max(bw, 0.5), fill: s.color });
        const title = svg('title', {});
        rect.append(title);
        root.append(rect);
        bars.push({ rect, title, v: Number.NaN });
      });
      if (i % every === 0) {
        const x = m.l + (i + 0.5) * gw;
        root.append(
          svg('text', { x, y: m.t + ph + 10, transform: `rotate(-60 ${x} ${m.t + ph + 10})`, 'text-anchor': 'end', 'font-size': 10, fill: '#1d2430' }, r.layer),
        );
      }
    });
    chart.replaceChildren(root);
    st = { key, grid, legend, bars, top: Number.NaN };
    chartState = st;
  }
  const redraw = st.top !== top;
  if (redraw) {
    st.top = top;
    const lines: SVGElement[] = [];
    for (let v = 0; v <= top + step / 2; v += step) {
      lines.push(svg('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), stroke: '#e3e6ea' }));
      lines.push(svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5b6575' }, formatNumber(v)));
    }
    st.grid.replaceChildren(...lines);
  }
  st.legend.replaceChildren(
    ...series.flatMap((s, k) => [
      svg('rect', { x: m.l + k * 320, y: 6, width: 12, height: 12, fill: s.color }),
      svg('text', { x: m.l + k * 320 + 16, y: 16, 'font-size': 12 }, s.name),
    ]),
  );
  shown.forEach((r, i) => {
    series.forEach((s, k) => {
      const bar = st.bars[i * series.length + k] as ChartState['bars'][number];
      const v = s.values[i] as number;
      if (!redraw && Object.is(bar.v, v)) return;
      bar.v = v;
      bar.rect.setAttribute('y', String(y(v)));
      bar.rect.setAttribute('height', String(m.t + ph - y(v)));
      bar.title.textContent = `${r.layer} (${s.name.slice(0, 1)}): ${formatNumber(v)} ms`;
    });
  });
}

function render(): void {
  for (const s of compare ? [sides.A, sides.B] : [sides.A]) {
    byId(`error-${s.id}`).textContent = s.error ?? '';
    for (const input of byId(`params-${s.id}`).querySelectorAll('input')) {
      const key = input.getAttribute('data-param') ?? '';
      input.classList.toggle('bad', s.error !== undefined && new RegExp(`\\b${key}\\b`).test(s.error));
    }
    byId(`cli-${s.id}`).textContent = model ? `CLI: hwnas cost ${model.source} --target '${s.spec}' --policy ${s.policy ? 'policy.json' : '...'} --json` : '';
  }
  const parts = timings.renderMs;
  let t = performance.now();
  for (const [name, f] of [
    ['totals', renderTotals],
    ['layers', renderLayers],
    ['compare', renderCompare],
    ['chart', renderChart],
  ] as const) {
    f();
    const now = performance.now();
    parts[name] = now - t;
    t = now;
  }
  byId<HTMLTextAreaElement>('policy-json').value = sides.A.policy ? policyJson(sides.A.policy) : '';
}

// ---------------------------------------------------------------- start

layout();
for (const s of [sides.A, sides.B]) {
  renderParams(s);
  renderPolicySelect(s);
  bindSide(s);
}
bindModel();
window.addEventListener('resize', () => {
  chartWidth = 0;
  renderChart();
});
loadZoo('mnist-cnn');

/** Hooks for tests and the bench (bench/web.ts): recompute on demand, load a zoo model, read the reports. */
(globalThis as unknown as { hwnasWhatIf: unknown }).hwnasWhatIf = {
  recompute,
  loadZoo,
  reports: () => ({ A: sides.A.report, B: compare ? sides.B.report : undefined }),
  policy: () => sides.A.policy,
  timings,
};
