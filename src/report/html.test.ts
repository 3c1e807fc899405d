import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { frameOf, normalisedHv, summariseNas, tableHv } from '../nas/run.js';
import { loadNasTable } from '../nas/tabular.js';
import { violation } from '../search/pareto.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { Objective } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { Rng } from '../util/rng.js';
import { buildCompareData, buildReportData, referencePoint } from './data.js';
import { inlineScript, plotlySource, renderReport, writeReport } from './html.js';
import { chromiumSkipReason, launchChromium, seedPolicyStudy } from './testing/chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One Chromium for the file's browser tests, launched by the first; each test opens its own page (its own context). */
let chromiumOnce: Promise<Browser> | undefined;
const sharedChromium = (): Promise<Browser> => {
  chromiumOnce ??= launchChromium();
  return chromiumOnce;
};
after(async () => {
  if (chromiumOnce) await (await chromiumOnce).close();
});
const EVIL = '<img src=x onerror="window.__pwned=1">';

async function evilStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'policy', 30);
  const objectives = [
    { name: `lat${EVIL}`, direction: 'minimize' as const },
    { name: 'acc</script><script>window.__pwned=2</script>', direction: 'maximize' as const },
  ];
  store.createStudy({ name: 'evil', objectives, userAttrs: { note: EVIL } });
  for (let i = 0; i < 6; i++) {
    const t = store.createTrial('evil', { params: { [`p${EVIL}`]: `v${EVIL}`, x: i } });
    store.finishTrial('evil', t.number, {
      state: 'complete',
      values: [i, i * i],
      userAttrs: {
        policy: { default: { weightBits: 8, actBits: 8 }, layers: { [`L${EVIL}`]: { weightBits: 4, actBits: 8 } } },
        layerCosts: [{ layer: `L${EVIL}`, latencyMs: 1 + i, energyMj: null }],
      },
    });
  }
  return store;
}

test('report data: Pareto set, monotone hypervolume, policies and layer costs from the conventions', async () => {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'p', 30);
  const d = buildReportData(store, 'p');
  assert.equal(d.trials.length, 30);
  assert.ok(d.trials.some((t) => t.pareto));
  assert.equal(d.progress.kind, 'hypervolume');
  const hv = d.progress.points.map((p) => p.value);
  assert.ok(hv.length > 5 && hv.every((v, i) => i === 0 || v >= (hv[i - 1] as number) - 1e-12), 'hypervolume never decreases');
  assert.ok((hv.at(-1) as number) > 0);
  assert.deepEqual(d.policies.layers, ['conv1', 'conv2', 'fc']);
  assert.ok(d.policies.rows.length > 0 && d.policies.rows.every((r) => r.weightBits.every((b) => [2, 4, 8].includes(b))));
  assert.ok(d.layerCosts.length > 0 && d.knee !== null);
  assert.deepEqual(
    referencePoint([
      [0, 10],
      [2, 0],
    ]),
    [2.2, 11],
  );
  assert.throws(() => buildReportData(store, 'nope'), /no study named "nope"/);
});

test('the HTML is self-contained and escapes every user string', async () => {
  const store = await evilStore();
  const html = renderReport(store, 'evil');
  assert.ok(!/<script[^>]+src=/i.test(html), 'no external scripts');
  assert.ok(!/https?:\/\/[^"']*\.(js|css)\b/.test(html.replace(/<script>[\s\S]*?<\/script>/g, '')), 'no external assets');
  assert.ok(!html.includes('<img src=x'), 'raw user markup never appears');
  assert.ok(!html.includes('</script><script>window.__pwned'), 'a name cannot close the data script');
  assert.ok(html.includes('plotly'), 'plotly inlined');
  // plotly's cartesian bundle (1.5 MB), not the full one (4.8 MB)
  assert.ok(html.includes(inlineScript(plotlySource())));
  assert.ok(html.length > 1_400_000 && html.length < 2_000_000, `${html.length} characters`);
});

test('report opens offline in Chromium: plots drawn, nothing injected, table sorts', { skip: chromiumSkipReason() }, async () => {
  const store = await evilStore();
  const good = join(dir, 'report.html');
  const evil = join(dir, 'evil.html');
  const bytes = writeReport(good, store, 'policy');
  assert.equal(readFileSync(good).length, bytes);
  writeReport(evil, store, 'evil');
  assert.ok(!existsSync(`${good}.tmp`));
  const page = await (await sharedChromium()).newPage({ viewport: { width: 1280, height: 1800 } });
  try {
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:')) return route.continue();
      requests.push(u);
      return route.abort();
    });
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(pathToFileURL(good).href);
    await page.waitForSelector('#pareto .scatterlayer .point');
    const points = await page.locator('#pareto .scatterlayer .point').count();
    assert.ok(points >= 30, `Pareto plot shows the trials (${points} points)`);
    assert.ok((await page.locator('#progress .scatterlayer .point').count()) > 5);
    assert.ok((await page.locator('#heat .hm, #heat image, #heat .heatmaplayer *').count()) > 0, 'heat map drawn');
    assert.ok((await page.locator('#costs .bars .point').count()) >= 3, 'layer cost bars drawn');
    assert.equal(await page.locator('#trials tbody tr').count(), 30);
    const firstCell = (): Promise<string> => page.locator('#trials tbody tr:first-child td:first-child').innerText();
    assert.equal(await firstCell(), '0');
    await page.locator('#trials th[data-key="number"]').click();
    assert.equal(await firstCell(), '29', 'clicking a header sorts descending');
    await page.locator('#trials th[data-key="v1"]').click();
    const col = await page.locator('#trials tbody td:nth-child(4)').allInnerTexts();
    const nums = col.map(Number);
    assert.deepEqual(
      nums,
      [...nums].sort((a, b) => a - b),
      'sorted by quant_error ascending',
    );
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'report.png'), fullPage: true });

    await page.goto(pathToFileURL(evil).href);
    await page.waitForSelector('#pareto .scatterlayer .point');
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no injected script ran');
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(dialogs, 0);
    assert.ok((await page.locator('#trials thead').innerText()).includes('<img src=x'), 'the objective name is shown as text');
    assert.deepEqual(requests, [], 'the report made no network requests');
  } finally {
    await page.close();
  }
});

function compareStore(): MemoryStore {
  const store = new MemoryStore();
  const objectives = [
    { name: 'latency_ms', direction: 'minimize' as const },
    { name: 'error', direction: 'minimize' as const },
  ];
  const add = (name: string, strategy: string, pts: number[][]): void => {
    store.createStudy({ name, objectives, userAttrs: { strategy } });
    for (const v of pts) {
      const t = store.createTrial(name, { params: { x: v[0] as number } });
      store.finishTrial(name, t.number, { state: 'complete', values: v });
    }
  };
  add('a', 'random', [
    [0, 1],
    [1, 0],
  ]);
  add('b', 'nsga2', [
    [0.5, 0.5],
    [0.9, 0.9],
  ]);
  store.createStudy({
    name: 'other',
    objectives: [
      { name: 'latency_ms', direction: 'minimize' },
      { name: 'accuracy', direction: 'maximize' },
    ],
  });
  return store;
}

test('comparison: one frame for all studies, exact hypervolumes, fronts and curves; mismatched objectives refused', () => {
  const store = compareStore();
  const c = buildCompareData(store, ['a', 'b']);
  assert.deepEqual(c.ideal, [0, 0]);
  assert.ok(Math.abs((c.nadir[0] as number) - 1.1) < 1e-12 && Math.abs((c.nadir[1] as number) - 1.1) < 1e-12);
  const [a, b] = c.studies;
  const u = 1 - 1 / 1.1;
  assert.ok(Math.abs((a?.hypervolume as number) - (2 * u - u * u)) < 1e-9, `a: ${a?.hypervolume}`);
  assert.ok(Math.abs((b?.hypervolume as number) - (1 - 0.5 / 1.1) ** 2) < 1e-9, `b: ${b?.hypervolume}`);
  assert.deepEqual(b?.front, [[0.5, 0.5]]);
  assert.equal(a?.strategy, 'random');
  assert.deepEqual(
    a?.curve.map((q) => q.trials),
    [1, 2],
  );
  assert.ok((a?.curve[0]?.hypervolume as number) < (a?.curve[1]?.hypervolume as number));
  assert.throws(
    () => buildCompareData(store, ['a', 'other']),
    /study "other" has objectives latency_ms:minimize,accuracy:maximize, expected latency_ms:minimize,error:minimize/,
  );
  assert.throws(() => buildCompareData(store, ['a', 'zzz']), /no study named "zzz"/);
  assert.throws(() => buildCompareData(store, ['a']), /at least two studies/);
  const html = renderReport(store, 'a', { compare: ['b'] });
  assert.ok(html.includes('"compare":{'), 'comparison embedded in the report data');
});

test('comparison view draws both fronts and hypervolume curves in Chromium', { skip: chromiumSkipReason() }, async () => {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'p1', 20);
  await seedPolicyStudy(store, 'p2', 30);
  const file = join(dir, 'compare.html');
  writeReport(file, store, 'p1', { compare: ['p2'] });
  const page = await (await sharedChromium()).newPage({ viewport: { width: 1280, height: 2400 } });
  try {
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#compare-front .scatterlayer .trace');
    assert.equal(await page.locator('#compare-front .scatterlayer .trace').count(), 2);
    assert.equal(await page.locator('#compare-hv .scatterlayer .trace').count(), 2);
    assert.equal(await page.locator('#compare-table tbody tr').count(), 2);
    const rows = await page.locator('#compare-table tbody tr').allInnerTexts();
    assert.ok(
      rows.some((r) => r.includes('100.0%')),
      'the best study has 100% of the best hypervolume',
    );
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'report-compare.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('one hypervolume per meaning: the report plots the figure hwnas nas prints, the comparison shows it beside the shared-frame one', async () => {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'p', 30);
  const d = buildReportData(store, 'p');
  const objectives = store.getStudy('p')?.objectives ?? [];
  const values = store
    .getTrials('p')
    .filter((t) => t.state === 'complete' && t.values !== null && violation(t.constraints) <= 0)
    .map((t) => t.values as number[]);
  // the frame runNas (src/nas/run.ts) builds without a given frame: observed best -> 0, worst + 10% of the range -> 1
  const seen = frameOf(values, objectives);
  const cli = normalisedHv(values, objectives, { ideal: seen.ideal, nadir: seen.nadir.map((n, i) => n + 0.1 * (n - (seen.ideal[i] as number))) });
  assert.ok(cli > 0 && cli < 1);
  assert.ok(Math.abs((d.progress.points.at(-1)?.value as number) - cli) < 1e-12, `report ${d.progress.points.at(-1)?.value} vs nas ${cli}`);
  assert.match(d.progress.normalisation ?? '', /normalised hypervolume: .*reference point/);
  assert.deepEqual(d.progress.ideal, seen.ideal);
  const c = buildCompareData(compareStore(), ['a', 'b']);
  for (const s of c.studies) {
    const own = buildReportData(compareStore(), s.name).progress.points.at(-1)?.value as number;
    assert.ok(Math.abs(s.ownHypervolume - own) < 1e-12, `${s.name}: ${s.ownHypervolume} vs ${own}`);
  }
});

/** A study over `space` (as `hwnas nas` records it: user attribute archSpace) with random architectures and `values(i)`. */
function nasStore(name: string, objectives: Objective[], values: (i: number) => number[], n = 8): { store: MemoryStore; archs: string[] } {
  const store = new MemoryStore();
  const space = getArchSpace('mbv2-micro');
  store.createStudy({ name, objectives, userAttrs: { archSpace: 'mbv2-micro' } });
  const rng = new Rng(5);
  const archs: string[] = [];
  for (let i = 0; i < n; i++) {
    const params = space.space.sample(rng);
    const t = store.createTrial(name, { params });
    // a table study stores the string (trial 0 here, any text); a trained one only its params
    const arch = i === 0 ? 'stored-arch-string' : space.format(space.fromParams(params));
    archs.push(arch);
    store.finishTrial(name, t.number, { state: 'complete', values: values(i), ...(i === 0 ? { userAttrs: { arch } } : {}) });
  }
  return { store, archs };
}

const ACC: Objective = { name: 'accuracy', direction: 'maximize' };
const LAT: Objective = { name: 'latency_ms', direction: 'minimize' };
// trials 3 and 5 tie at the best accuracy: the best trial is 3, both are marked
const ONE = (i: number): number[] => [i === 3 || i === 5 ? 0.9 : 0.5 + i / 100];

test('nas studies: every trial carries the architecture string hwnas nas prints; one objective: the best trial, no knee', () => {
  const { store, archs } = nasStore('nas1', [ACC], ONE);
  const d = buildReportData(store, 'nas1');
  assert.deepEqual(
    d.trials.map((t) => t.arch),
    archs,
  );
  assert.match(archs[1] as string, /^r\d+-w[\d.]+:k\d/);
  assert.equal(d.best, 3);
  assert.equal(d.knee, null);
  assert.deepEqual(
    d.trials.filter((t) => t.pareto).map((t) => t.number),
    [3, 5],
  );
  const two = nasStore('nas2', [ACC, LAT], (i) => [0.5 + i / 100, i]).store;
  const d2 = buildReportData(two, 'nas2');
  assert.equal(d2.best, null);
  assert.notEqual(d2.knee, null);
  // a study of no architecture space has no arch
  const q = new MemoryStore();
  q.createStudy({ name: 'q', objectives: [ACC] });
  const t = q.createTrial('q', { params: { x: 1 } });
  q.finishTrial('q', t.number, { state: 'complete', values: [0.5] });
  assert.equal('arch' in (buildReportData(q, 'q').trials[0] as object), false);
});

test('nas reports in Chromium: one objective marks the best trial (no front, no knee), the table shows the architecture; a (max, min) front steps along its dominated region', {
  skip: chromiumSkipReason(),
}, async () => {
  const { store, archs } = nasStore('nas1', [ACC], ONE);
  const one = join(dir, 'nas1.html');
  writeReport(one, store, 'nas1');
  const two = join(dir, 'nas2.html');
  writeReport(two, nasStore('nas2', [ACC, LAT], (i) => [0.5 + i / 100, i]).store, 'nas2');
  const page = await (await sharedChromium()).newPage({ viewport: { width: 1280, height: 1400 } });
  try {
    await page.goto(pathToFileURL(one).href);
    await page.waitForSelector('#pareto .scatterlayer .point');
    const note = await page.locator('#pareto-note').innerText();
    assert.equal(note, '8 complete trials; best: trial 3 (accuracy 0.9).');
    const traces = (await page.evaluate("document.getElementById('pareto').data.map(function(t){ return { name: t.name, x: t.x }; })")) as {
      name: string;
      x: number[];
    }[];
    assert.deepEqual(traces.find((t) => t.name === 'best')?.x, [3, 5]);
    assert.match(
      await page.locator('#progress-note').innerText(),
      /^The highest feasible accuracy found up to each trial number; last value 0\.9 \(trial 3\)\.$/,
    );
    const heads = await page.locator('#trials thead th').allInnerTexts();
    assert.ok(heads.includes('best') && !heads.includes('Pareto'), heads.join('|'));
    assert.ok(heads.includes('architecture'), heads.join('|'));
    assert.deepEqual(await page.locator('#trials tbody td.arch').allInnerTexts(), archs);

    await page.goto(pathToFileURL(two).href);
    await page.waitForSelector('#pareto .scatterlayer .point');
    // accuracy (x) maximised: from each front point the boundary of what it dominates runs along y first
    const shape = await page.evaluate("document.getElementById('pareto').data.filter(function(t){ return t.name === 'front'; })[0].line.shape");
    assert.equal(shape, 'vh');
    assert.doesNotMatch(await page.locator('#pareto-note').innerText(), /Click a point/, 'no per-layer costs to click to');
  } finally {
    await page.close();
  }
});

test('a hwnas nas --table study: the report plots the figure the CLI prints (table frame, share of the true front); a changed table falls back to the own frame and says why', () => {
  const space = getArchSpace('nb201');
  const rng = new Rng(3);
  const rows = new Map<string, number[]>();
  while (rows.size < 40) rows.set(space.format(space.fromParams(space.space.sample(rng))), [0.5 + rng.next() * 0.4, 0.01 + rng.next() * 0.09]);
  const csv = join(dir, 'nb201-mini.csv');
  writeFileSync(csv, `arch,accuracy,latency_ms\n${[...rows].map(([a, v]) => `${a},${v.join(',')}`).join('\n')}\n`);
  const objectives = [ACC, LAT];
  const store = new MemoryStore();
  const evaluator = { name: 'nas-table', options: { space: 'nb201', table: csv, objectives: 'accuracy:max,latency_ms:min' } };
  const attrs = { archSpace: 'nb201', config: { name: 'tab', evaluator } };
  store.createStudy({ name: 'tab', objectives, userAttrs: attrs });
  store.createStudy({ name: 'tab2', objectives, userAttrs: attrs });
  const archs = [...rows.keys()];
  for (const [name, picks] of [
    ['tab', archs.slice(0, 15)],
    ['tab2', archs.slice(20, 30)],
  ] as const)
    for (const a of picks) {
      const t = store.createTrial(name, { params: space.toParams(space.parse(a)) });
      store.finishTrial(name, t.number, { state: 'complete', values: rows.get(a) as number[], userAttrs: { arch: a } });
    }
  // what hwnas nas --table prints (src/cli/commands/nas.ts): summariseNas in the frame of tableHv over the same table
  const truth = tableHv(loadNasTable(csv, space), objectives);
  const cli = summariseNas(store.getTrials('tab'), { space, objectives, frame: truth.frame, trueHypervolume: truth.trueHypervolume });
  const d = buildReportData(store, 'tab');
  assert.equal(d.progress.frame, 'table');
  assert.ok(cli.hypervolume > 0 && cli.hypervolume < truth.trueHypervolume);
  assert.ok(
    Math.abs((d.progress.points.at(-1)?.value as number) - cli.hypervolume) < 1e-12,
    `report ${d.progress.points.at(-1)?.value} vs nas ${cli.hypervolume}`,
  );
  assert.ok(Math.abs((d.progress.share as number) - (cli.hypervolumeRatio as number)) < 1e-12);
  assert.equal(d.progress.trueHypervolume, truth.trueHypervolume);
  assert.doesNotMatch(d.progress.normalisation ?? '', /the frame of this study alone/);
  const c = buildCompareData(store, ['tab', 'tab2']);
  assert.ok(Math.abs((c.studies[0]?.table?.share as number) - (cli.hypervolumeRatio as number)) < 1e-12);
  assert.ok(c.studies[1]?.table !== undefined);
  // the table changed since the study ran: no table frame, and the note says why
  store.createStudy({ name: 'moved', objectives, userAttrs: { ...attrs, tableSha256: '0'.repeat(64) } });
  const t = store.createTrial('moved', { params: space.toParams(space.parse(archs[0] as string)) });
  store.finishTrial('moved', t.number, { state: 'complete', values: rows.get(archs[0] as string) as number[] });
  const m = buildReportData(store, 'moved').progress;
  assert.equal(m.frame, 'own');
  assert.equal(m.share, undefined);
  assert.match(m.normalisation ?? '', /no longer has the content the study recorded .*true-front frame, which cannot be computed here/);
});

test('bit-width heat map in Chromium: both panel titles inside the drawn area, the note names the trials shown and those left out', {
  skip: chromiumSkipReason(),
}, async () => {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'p', 70); // 60 rows (the default most): the tallest heat map, whose titles once fell outside
  const file = join(dir, 'heat.html');
  writeReport(file, store, 'p');
  const front = buildReportData(store, 'p')
    .trials.filter((t) => t.pareto)
    .map((t) => t.number);
  const page = await (await sharedChromium()).newPage({ viewport: { width: 1280, height: 1800 } });
  try {
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#heat .annotation-text');
    const boxes = (await page.evaluate(
      "(function(){ var h = document.querySelector('#heat .main-svg').getBoundingClientRect(); return Array.from(document.querySelectorAll('#heat .annotation-text')).map(function(e){ var r = e.getBoundingClientRect(); return { text: e.textContent, inside: r.top >= h.top && r.bottom <= h.bottom && r.height > 0 }; }); })()",
    )) as { text: string; inside: boolean }[];
    assert.deepEqual(boxes, [
      { text: 'weight bits', inside: true },
      { text: 'activation bits', inside: true },
    ]);
    const note = await page.locator('#policy-note').innerText();
    const p = front.length;
    assert.ok(p > 0 && p < 58, `front of ${p}`);
    const rest = [...Array(70).keys()]
      .filter((n) => !front.includes(n))
      .reverse()
      .slice(0, 60 - p);
    assert.equal(
      note,
      `60 of 70 complete trials with a policy, 3 layers (userAttr "policy"): the ${p} Pareto trials (first ${p} rows), then the latest ${rest.length} others (trial ${rest[0]} down to ${rest.at(-1)}). 10 earlier trials are left out (the report shows at most 60); the trial table lists every trial.`,
    );
    // the energy axis (right) of the per-layer bars has its own round tick step (1, 2 or 5 x 10^k), not the latency grid's
    const ticks = (await page.locator('#costs .y2tick text').allTextContents()).map((t) => Number(t.replace('\u2212', '-')));
    assert.ok(ticks.length >= 3, ticks.join(' '));
    const dtick = (ticks[1] as number) - (ticks[0] as number);
    const mantissa = dtick / 10 ** Math.floor(Math.log10(dtick));
    assert.ok(
      [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6),
      `energy ticks ${ticks.join(' ')}`,
    );
  } finally {
    await page.close();
  }
});

test('three objectives in Chromium: parallel coordinates from scatter lines, each axis scaled to its range, a click on a trial picks its per-layer costs', {
  skip: chromiumSkipReason(),
}, async () => {
  const store = new MemoryStore();
  await seedPolicyStudy(store, 'p3', 30, ['latency_ms', 'energy_mj', 'quant_error']);
  const file = join(dir, 'p3.html');
  writeReport(file, store, 'p3');
  const d = buildReportData(store, 'p3');
  const done = d.trials.filter((t) => t.state === 'complete' && t.values);
  const page = await (await sharedChromium()).newPage({ viewport: { width: 1280, height: 1800 } });
  try {
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#pareto .scatterlayer .point');
    assert.equal(await page.locator('#pareto-title').innerText(), 'Pareto front (parallel coordinates)');
    assert.deepEqual(await page.locator('#pareto .xtick text').allTextContents(), ['latency_ms (min)', 'energy_mj (min)', 'quant_error (min)']);
    const traces = (await page.evaluate(
      "document.getElementById('pareto').data.map(function(t){ return { name: t.name, x: t.x, y: t.y, trials: t.customdata }; })",
    )) as { name: string; x: (number | null)[]; y: (number | null)[]; trials: (number | null)[] }[];
    assert.deepEqual(
      traces.map((t) => t.name),
      ['dominated', 'infeasible', 'Pareto front'],
    );
    // one polyline (three vertices and a break) per complete trial, at the objective's place in its own [min, max]
    const lines = traces.flatMap((t) => t.trials.filter((_, k) => k % 4 === 0).map((n) => ({ n, trace: t.name })));
    assert.deepEqual(
      lines.map((l) => l.n).sort((a, b) => (a as number) - (b as number)),
      done.map((t) => t.number),
    );
    assert.deepEqual(
      traces.find((t) => t.name === 'Pareto front')?.trials.filter((_, k) => k % 4 === 0),
      done.filter((t) => t.pareto).map((t) => t.number),
    );
    for (let i = 0; i < 3; i++) {
      const vs = done.map((t) => (t.values as number[])[i] as number);
      const lo = Math.min(...vs);
      const hi = Math.max(...vs);
      assert.ok(hi > lo, `objective ${i} varies`);
      for (const t of traces)
        t.trials.forEach((n, k) => {
          if (k % 4 !== i) return;
          const v = done.find((u) => u.number === n)?.values?.[i] as number;
          assert.equal(t.x[k], i);
          assert.ok(Math.abs((t.y[k] as number) - (v - lo) / (hi - lo)) < 1e-12, `trial ${n}, objective ${i}`);
        });
    }
    // a click on a Pareto trial's vertex shows that trial's per-layer costs
    // (a vertex no other trial's line passes near: the click goes to the closest vertex)
    const pareto = traces.find((t) => t.name === 'Pareto front') as (typeof traces)[number];
    const front = pareto.trials.filter((n): n is number => n !== null); // one marker per vertex
    const ys = pareto.y.filter((v): v is number => v !== null);
    const all = traces.flatMap((t) => t.y.map((v, j) => ({ v, axis: t.x[j], n: t.trials[j] })));
    const before = Number(await page.locator('#cost-trial').inputValue());
    const k = front.findIndex(
      (n, j) => n !== before && all.every((q) => q.n === n || q.axis !== j % 3 || Math.abs((q.v as number) - (ys[j] as number)) > 0.03),
    );
    assert.ok(k >= 0, 'a Pareto trial other than the shown one, with a vertex apart from the others');
    const box = await page.locator('#pareto .scatterlayer .trace:last-child .point').nth(k).boundingBox();
    assert.ok(box);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    assert.equal(Number(await page.locator('#cost-trial').inputValue()), front[k]);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'report-parallel.png'), fullPage: true });
  } finally {
    await page.close();
  }
});
