/**
 * The page shared by the static report and the live dashboard: markup, styles and the browser
 * script that draws {@link ReportData} with Plotly. User strings reach the DOM only through
 * `textContent` and reach Plotly HTML-escaped (Plotly renders a subset of HTML in labels).
 */

/** Styles of the page. */
export const PAGE_CSS = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:20px;margin:0}header .meta{opacity:.8;font-size:13px}
header select{font-size:14px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:14px;padding:14px}
section{background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:10px 14px;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:15px;margin:4px 0 8px}
.plot{height:380px}.note{color:#667;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:3px 8px;border-bottom:1px solid #e4e6ea;text-align:right;white-space:nowrap}
th{cursor:pointer;background:#eef0f4;position:sticky;top:0}th.sorted-asc::after{content:' \\25B2'}th.sorted-desc::after{content:' \\25BC'}
td.params{text-align:left;max-width:520px;overflow:hidden;text-overflow:ellipsis;font-family:ui-monospace,monospace}
td.arch{text-align:left;font-family:ui-monospace,monospace}
tr.pareto td{background:#eef7ee}.tablewrap{max-height:520px;overflow:auto}
`;

/** Body markup (no user data: the script fills it). */
export const PAGE_BODY = `
<header><h1 id="title">hwnas study</h1><span class="meta" id="meta"></span><span id="study-picker"></span></header>
<main>
<section><h2 id="pareto-title">Pareto front</h2><div id="pareto" class="plot"></div><div class="note" id="pareto-note"></div></section>
<section><h2 id="progress-title">Hypervolume vs trial</h2><div id="progress" class="plot"></div><div class="note" id="progress-note"></div></section>
<section class="wide" id="compare-section" style="display:none"><h2>Strategy comparison (same objectives, one normalised frame)</h2><div id="compare-front" class="plot"></div><div id="compare-hv" class="plot"></div><div class="tablewrap"><table id="compare-table"><thead></thead><tbody></tbody></table></div><div class="note" id="compare-note"></div></section>
<section class="wide" id="policy-section"><h2 id="policy-title">Bit widths per layer (Pareto trials first)</h2><div id="heat" class="plot"></div><div class="note" id="policy-note"></div></section>
<section class="wide" id="cost-section"><h2>Per-layer latency and energy <select id="cost-trial"></select></h2><div id="costs" class="plot"></div><div class="note" id="cost-note"></div></section>
<section class="wide"><h2>Trials</h2><div class="tablewrap"><table id="trials"><thead></thead><tbody></tbody></table></div></section>
</main>
`;

/** The browser script (plain ES2019; expects `Plotly` loaded first). Defines `hwnasRender(data)` and `hwnasLive(apiBase)`. */
export const PAGE_SCRIPT = String.raw`
(function(){
'use strict';
var state = { sortKey: 'number', sortDir: 1, costTrial: null, data: null };
function esc(s){ return String(s).replace(/&/g,'&amp;').replace(/</g,'&lt;').replace(/>/g,'&gt;'); }
function el(id){ return document.getElementById(id); }
function fmt(v){
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return String(v);
  if (!isFinite(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  var a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}
function setText(id, s){ var e = el(id); if (e) e.textContent = s; }
var CFG = { displaylogo: false, responsive: true };
function layout(extra){ var l = { margin: { l: 60, r: 20, t: 10, b: 50 }, hovermode: 'closest', paper_bgcolor: '#fff', plot_bgcolor: '#fafbfc' }; for (var k in extra) l[k] = extra[k]; return l; }

// The front's staircase (points sorted by the x objective) bounds the region the front dominates: from each point it
// runs along x first when x is minimised ('hv'), along y first when x is maximised ('vh'), whatever y's direction.
function stepShape(obj){ return obj[0].direction === 'maximize' ? 'vh' : 'hv'; }

function drawPareto(d){
  var obj = d.study.objectives;
  var done = d.trials.filter(function(t){ return t.state === 'complete' && t.values; });
  var target = el('pareto');
  var label = function(o){ return esc(o.name) + (o.direction === 'maximize' ? ' (max)' : ' (min)'); };
  var hover = function(t){ return 'trial ' + t.number + '<br>' + obj.map(function(o, i){ return esc(o.name) + ' = ' + fmt(t.values[i]); }).join('<br>') + (t.violation > 0 ? '<br>infeasible (' + fmt(t.violation) + ')' : ''); };
  if (done.length === 0) { Plotly.purge(target); setText('pareto-note', 'No complete trials yet.'); return; }
  var click = d.layerCosts.length > 0 ? ' Click a point to see its per-layer costs.' : '';
  var bestT = d.best !== null ? done.filter(function(t){ return t.number === d.best; })[0] : undefined;
  setText('pareto-note', obj.length === 1
    ? done.length + ' complete trials' + (bestT ? '; best: trial ' + bestT.number + ' (' + obj[0].name + ' ' + fmt(bestT.values[0]) + ')' : '; none feasible') + '.' + click
    : done.length + ' complete trials, ' + done.filter(function(t){ return t.pareto; }).length + ' on the Pareto front' + (d.knee !== null ? ' (knee: trial ' + d.knee + ')' : '') + '.' + click);
  if (obj.length === 1) {
    // one objective: no front, the best feasible trial (ties included) is marked
    setText('pareto-title', 'Objective vs trial');
    var groups1 = [
      { name: 'feasible', f: function(t){ return !t.pareto && t.violation <= 0; }, marker: { color: '#4a78c2', size: 7 } },
      { name: 'infeasible', f: function(t){ return t.violation > 0; }, marker: { color: '#d9a0a0', symbol: 'x', size: 7 } },
      { name: 'best', f: function(t){ return t.pareto; }, marker: { color: '#d6452b', size: 11, line: { color: '#7a1e0f', width: 1 } } }
    ];
    Plotly.react(target, groups1.map(function(g){ var ts = done.filter(g.f); return { type: 'scatter', mode: 'markers', name: g.name, x: ts.map(function(t){ return t.number; }), y: ts.map(function(t){ return t.values[0]; }), text: ts.map(hover), customdata: ts.map(function(t){ return t.number; }), hoverinfo: 'text', marker: g.marker }; }),
      layout({ xaxis: { title: { text: 'trial' } }, yaxis: { title: { text: label(obj[0]) } }, legend: { orientation: 'h', y: 1.08 } }), CFG);
  } else if (obj.length === 2) {
    setText('pareto-title', 'Pareto front');
    var groups = [
      { name: 'dominated', f: function(t){ return !t.pareto && t.violation <= 0; }, marker: { color: '#a9b4c6', size: 7 } },
      { name: 'infeasible', f: function(t){ return t.violation > 0; }, marker: { color: '#d9a0a0', symbol: 'x', size: 7 } },
      { name: 'Pareto front', f: function(t){ return t.pareto; }, marker: { color: '#d6452b', size: 10, line: { color: '#7a1e0f', width: 1 } } }
    ];
    var traces = groups.map(function(g){ var ts = done.filter(g.f); return { type: 'scatter', mode: 'markers', name: g.name, x: ts.map(function(t){ return t.values[0]; }), y: ts.map(function(t){ return t.values[1]; }), text: ts.map(hover), customdata: ts.map(function(t){ return t.number; }), hoverinfo: 'text', marker: g.marker }; });
    var front = done.filter(function(t){ return t.pareto; }).sort(function(a, b){ return a.values[0] - b.values[0]; });
    traces.push({ type: 'scatter', mode: 'lines', name: 'front', x: front.map(function(t){ return t.values[0]; }), y: front.map(function(t){ return t.values[1]; }), line: { color: '#d6452b', shape: stepShape(obj), width: 1 }, hoverinfo: 'skip', showlegend: false });
    Plotly.react(target, traces, layout({ xaxis: { title: { text: label(obj[0]) } }, yaxis: { title: { text: label(obj[1]) } }, legend: { orientation: 'h', y: 1.08 } }), CFG);
  } else {
    setText('pareto-title', 'Pareto front (parallel coordinates)');
    setText('pareto-note', el('pareto-note').textContent + ' One line per trial; each axis spans its objective\'s range over the complete trials, lowest value at the bottom.');
    drawParallel(target, obj, done, hover, label);
  }
  if (!target.__hwnasClick && target.on) {
    target.__hwnasClick = true;
    target.on('plotly_click', function(ev){ var p = ev && ev.points && ev.points[0]; if (p && p.customdata !== undefined) { state.costTrial = p.customdata; drawCosts(state.data); } });
  }
}

// Parallel coordinates from scatter lines (plotly's cartesian bundle has no parcoords trace): objective i is the
// vertical axis at x = i, scaled to its own [min, max] over the complete trials (min at the bottom, as parcoords
// drew it), its values written beside it; each trial is one polyline (the traces break at nulls), the Pareto trials
// last, on top. Each vertex hovers the trial's values and a click on it picks the trial, as on the 2-D plot.
function drawParallel(target, obj, done, hover, label){
  var n = obj.length;
  // a value JSON could not hold (an infinity arrives as null) has no place on its axis: the line breaks there
  var num = function(v){ return typeof v === 'number' && isFinite(v); };
  var span = obj.map(function(o, i){
    var lo = Infinity, hi = -Infinity;
    done.forEach(function(t){ var v = t.values[i]; if (num(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } });
    return lo <= hi ? { lo: lo, hi: hi } : { lo: 0, hi: 0 };
  });
  var y = function(v, i){ var s = span[i]; return !num(v) ? null : s.hi > s.lo ? (v - s.lo) / (s.hi - s.lo) : 0.5; };
  var groups = [
    { name: 'dominated', f: function(t){ return !t.pareto && t.violation <= 0; }, mode: 'lines', line: { color: '#b8c2d3', width: 1 } },
    { name: 'infeasible', f: function(t){ return t.violation > 0; }, mode: 'lines', line: { color: '#d9a0a0', width: 1, dash: 'dot' } },
    { name: 'Pareto front', f: function(t){ return t.pareto; }, mode: 'lines+markers', line: { color: '#d6452b', width: 2 }, marker: { color: '#d6452b', size: 6 } }
  ];
  var traces = groups.map(function(g){
    var tr = { type: 'scatter', mode: g.mode, name: g.name, x: [], y: [], text: [], customdata: [], hoverinfo: 'text', line: g.line, connectgaps: false };
    if (g.marker) tr.marker = g.marker;
    done.filter(g.f).forEach(function(t){
      var h = hover(t);
      for (var i = 0; i < n; i++) { tr.x.push(i); tr.y.push(y(t.values[i], i)); tr.text.push(h); tr.customdata.push(t.number); }
      tr.x.push(null); tr.y.push(null); tr.text.push(null); tr.customdata.push(null);
    });
    return tr;
  });
  var notes = [];
  span.forEach(function(s, i){
    (s.hi > s.lo ? [0, 0.25, 0.5, 0.75, 1] : [0.5]).forEach(function(f){
      notes.push({ x: i, y: f, xref: 'x', yref: 'y', text: fmt(s.hi > s.lo ? s.lo + f * (s.hi - s.lo) : s.lo), showarrow: false, xanchor: 'right', xshift: -4, bgcolor: 'rgba(255,255,255,0.75)', font: { size: 10, color: '#556' } });
    });
  });
  Plotly.react(target, traces, layout({
    xaxis: { tickvals: obj.map(function(o, i){ return i; }), ticktext: obj.map(label), side: 'top', range: [-0.45, n - 0.55], showgrid: true, gridcolor: '#444', gridwidth: 1, zeroline: false },
    yaxis: { visible: false, range: [-0.04, 1.04] },
    annotations: notes, legend: { orientation: 'h', y: -0.04, yanchor: 'top' }, margin: { l: 30, r: 30, t: 40, b: 40 } }), CFG);
}

function drawProgress(d){
  var p = d.progress;
  setText('progress-title', p.kind === 'hypervolume' ? 'Normalised hypervolume vs trial' : 'Best value vs trial');
  if (p.points.length === 0) { Plotly.purge(el('progress')); setText('progress-note', 'No feasible complete trials yet.'); return; }
  var o0 = d.study.objectives[0];
  var lastHv = p.points[p.points.length - 1].value;
  var share = p.frame === 'table' ? (p.share !== undefined ? ' (' + (100 * p.share).toFixed(1) + '% of the table\'s true front, whose normalised hypervolume is ' + fmt(p.trueHypervolume) + ')' : ' (the table\'s true front has no area in this frame)') : '';
  setText('progress-note', p.kind === 'hypervolume' ? 'Last value ' + lastHv.toFixed(4) + share + '. ' + p.normalisation + '. Ideal point (minimisation form): [' + p.ideal.map(fmt).join(', ') + ']; reference point: [' + p.reference.map(fmt).join(', ') + '].'
    : 'The ' + (o0.direction === 'maximize' ? 'highest' : 'lowest') + ' feasible ' + o0.name + ' found up to each trial number; last value ' + fmt(p.points[p.points.length - 1].value) + (d.best !== null ? ' (trial ' + d.best + ')' : '') + '.');
  Plotly.react(el('progress'), [{ type: 'scatter', mode: 'lines+markers', x: p.points.map(function(q){ return q.trial; }), y: p.points.map(function(q){ return q.value; }), line: { shape: 'hv', color: '#2b7bd6' }, marker: { size: 4 }, name: p.kind }],
    layout({ xaxis: { title: { text: 'trial number' } }, yaxis: { title: { text: p.kind === 'hypervolume' ? 'normalised hypervolume (' + (p.frame === 'table' ? 'table\'s true-front frame' : 'own frame') + ')' : 'best ' + esc(o0.name) + (o0.direction === 'maximize' ? ' (max)' : ' (min)') } } }), CFG);
}

function drawHeat(d){
  var P = d.policies;
  var sec = el('policy-section');
  if (P.rows.length === 0) { sec.style.display = 'none'; return; }
  sec.style.display = '';
  var ylab = P.rows.map(function(r){ return 'trial ' + r.trial; });
  var x = P.layers.map(esc);
  var text = function(key){ return P.rows.map(function(r){ return r[key].map(function(b, i){ return 'trial ' + r.trial + ', ' + esc(P.layers[i]) + ': ' + b + ' bits'; }); }); };
  var h = Math.max(260, Math.min(900, 60 + P.rows.length * 16));
  el('heat').style.height = h + 'px';
  Plotly.react(el('heat'), [
    { type: 'heatmap', z: P.rows.map(function(r){ return r.weightBits; }), x: x, y: ylab, text: text('weightBits'), hoverinfo: 'text', colorscale: 'Viridis', zmin: 1, zmax: 8, xaxis: 'x', yaxis: 'y', colorbar: { title: { text: 'bits' } } },
    { type: 'heatmap', z: P.rows.map(function(r){ return r.actBits; }), x: x, y: ylab, text: text('actBits'), hoverinfo: 'text', colorscale: 'Viridis', zmin: 1, zmax: 8, xaxis: 'x2', yaxis: 'y2', showscale: false }
  ], layout({ grid: { rows: 1, columns: 2, pattern: 'independent' }, margin: { l: 80, r: 20, t: 34, b: 80 },
    // each title sits just above its panel (bottom-anchored at the plot area's top edge, inside the top margin)
    annotations: [{ text: '<b>weight bits</b>', x: 0.225, y: 1, yanchor: 'bottom', yshift: 4, xref: 'paper', yref: 'paper', showarrow: false }, { text: '<b>activation bits</b>', x: 0.775, y: 1, yanchor: 'bottom', yshift: 4, xref: 'paper', yref: 'paper', showarrow: false }],
    yaxis: { autorange: 'reversed', dtick: 1, tickfont: { size: 10 } }, yaxis2: { autorange: 'reversed', dtick: 1, tickfont: { size: 10 } } }), CFG);
  setText('policy-title', 'Bit widths per layer (' + (d.study.objectives.length === 1 ? 'best trial' : 'Pareto trials') + ' first)');
  setText('policy-note', heatNote(d));
}

// Which trials the heat map (and the per-layer cost picker) shows: the front first, then the latest, and what is left out.
function heatNote(d){
  var P = d.policies, n = P.rows.length;
  var front = {}; d.trials.forEach(function(t){ if (t.pareto) front[t.number] = true; });
  var p = 0; while (p < n && front[P.rows[p].trial]) p++;
  var rest = P.rows.slice(p).map(function(r){ return r.trial; });
  var which = (p > 0 ? 'the ' + p + ' ' + (d.study.objectives.length === 1 ? 'best' : 'Pareto') + ' trial' + (p === 1 ? '' : 's') + ' (first ' + (p === 1 ? 'row' : p + ' rows') + ')' : '')
    + (p > 0 && rest.length > 0 ? ', then ' : '') + (rest.length > 0 ? 'the latest ' + rest.length + ' other' + (rest.length === 1 ? '' : 's') + ' (trial ' + rest[0] + (rest.length > 1 ? ' down to ' + rest[rest.length - 1] : '') + ')' : '');
  var left = P.total - n;
  return n + ' of ' + P.total + ' complete trials with a policy, ' + P.layers.length + ' layers (userAttr "policy"): ' + which + '. '
    + (left > 0 ? left + ' earlier trial' + (left === 1 ? ' is' : 's are') + ' left out (the report shows at most ' + P.limit + '); the trial table lists every trial.' : 'None left out.');
}

function drawCosts(d){
  var sec = el('cost-section');
  if (!d || d.layerCosts.length === 0) { sec.style.display = 'none'; return; }
  sec.style.display = '';
  var sel = el('cost-trial');
  var nums = d.layerCosts.map(function(r){ return r.trial; });
  var pick = d.knee !== null ? d.knee : d.best;
  if (state.costTrial === null || nums.indexOf(state.costTrial) < 0) state.costTrial = (pick !== null && nums.indexOf(pick) >= 0) ? pick : nums[0];
  var want = nums.join(',');
  if (sel.getAttribute('data-nums') !== want) {
    sel.textContent = '';
    nums.forEach(function(n){ var o = document.createElement('option'); o.value = String(n); o.textContent = 'trial ' + n + (n === d.knee ? ' (knee)' : n === d.best ? ' (best)' : ''); sel.appendChild(o); });
    sel.setAttribute('data-nums', want);
    sel.onchange = function(){ state.costTrial = Number(sel.value); drawCosts(state.data); };
  }
  sel.value = String(state.costTrial);
  var row = d.layerCosts[nums.indexOf(state.costTrial)];
  var names = row.layers.map(function(l){ return esc(l.layer); });
  var traces = [{ type: 'bar', name: 'latency (ms)', x: names, y: row.layers.map(function(l){ return l.latencyMs; }), offsetgroup: 1, marker: { color: '#2b7bd6' } }];
  var hasEnergy = row.layers.some(function(l){ return l.energyMj !== null; });
  if (hasEnergy) traces.push({ type: 'bar', name: 'energy (mJ)', x: names, y: row.layers.map(function(l){ return l.energyMj; }), yaxis: 'y2', offsetgroup: 2, marker: { color: '#e0902b' } });
  Plotly.react(el('costs'), traces, layout({ barmode: 'group', yaxis: { title: { text: 'latency (ms)' } }, yaxis2: { title: { text: 'energy (mJ)' }, overlaying: 'y', side: 'right', showgrid: false, tickmode: 'auto', nticks: 8, rangemode: 'tozero' }, legend: { orientation: 'h', y: 1.1 }, margin: { l: 60, r: 60, t: 10, b: 80 } }), CFG);
  setText('cost-note', 'Trial ' + row.trial + ': ' + row.layers.length + ' layers (userAttr "layerCosts"); pick another trial above or click a point on the ' + (d.study.objectives.length === 1 ? 'objective' : 'Pareto') + ' plot. The picker lists ' + nums.length + ' trials: the ' + (d.study.objectives.length === 1 ? 'best' : 'Pareto') + ' trials first, then the latest (at most ' + d.policies.limit + '; a click on an earlier trial keeps the shown one).');
}

var PALETTE = ['#d6452b', '#2b7bd6', '#2ca02c', '#9467bd', '#e0902b', '#17becf', '#8c564b', '#e377c2'];
function drawCompare(d){
  var sec = el('compare-section');
  var C = d.compare;
  if (!C) { sec.style.display = 'none'; return; }
  sec.style.display = '';
  var obj = C.objectives;
  var label = function(o){ return esc(o.name) + (o.direction === 'maximize' ? ' (max)' : ' (min)'); };
  var name = function(s){ return esc(s.name) + (s.strategy ? ' [' + esc(s.strategy) + ']' : ''); };
  if (obj.length === 2) {
    Plotly.react(el('compare-front'), C.studies.map(function(s, i){ return { type: 'scatter', mode: 'lines+markers', name: name(s), x: s.front.map(function(v){ return v[0]; }), y: s.front.map(function(v){ return v[1]; }), line: { shape: stepShape(obj), color: PALETTE[i % PALETTE.length] }, marker: { size: 7 } }; }),
      layout({ xaxis: { title: { text: label(obj[0]) } }, yaxis: { title: { text: label(obj[1]) } }, legend: { orientation: 'h', y: 1.1 } }), CFG);
  } else { el('compare-front').style.display = 'none'; }
  Plotly.react(el('compare-hv'), C.studies.map(function(s, i){ return { type: 'scatter', mode: 'lines', name: name(s), x: s.curve.map(function(q){ return q.trials; }), y: s.curve.map(function(q){ return q.hypervolume; }), line: { shape: 'hv', color: PALETTE[i % PALETTE.length] } }; }),
    layout({ xaxis: { title: { text: 'trials (queries)' } }, yaxis: { title: { text: 'normalised hypervolume (shared frame)' } }, legend: { orientation: 'h', y: 1.1 } }), CFG);
  var best = Math.max.apply(null, C.studies.map(function(s){ return s.hypervolume; }));
  var thead = el('compare-table').tHead; thead.textContent = '';
  var hr = thead.insertRow();
  ['study', 'strategy', 'complete trials', 'front size', 'normalised hypervolume (shared frame)', 'share of best', 'own-frame hypervolume', 'table frame (as hwnas nas --table prints)'].forEach(function(h){ var th = document.createElement('th'); th.textContent = h; hr.appendChild(th); });
  var tb = el('compare-table').tBodies[0]; tb.textContent = '';
  C.studies.forEach(function(s){ var tr = tb.insertRow();
    [s.name, s.strategy || '', s.complete, s.front.length, fmt(s.hypervolume), best > 0 ? (100 * s.hypervolume / best).toFixed(1) + '%' : '-', fmt(s.ownHypervolume), s.table ? s.table.hypervolume.toFixed(4) + (s.table.share !== null ? ' (' + (100 * s.table.share).toFixed(1) + '% of the true front)' : '') : '-'].forEach(function(v){ var td = tr.insertCell(); td.textContent = String(v); }); });
  setText('compare-note', C.studies.length + ' studies. Frame (minimisation form): best over all studies -> 0, worst + 10% of the range -> 1; reference point [1, ..., 1]. Ideal (minimisation form): [' + C.ideal.map(fmt).join(', ') + ']; reference: [' + C.nadir.map(fmt).join(', ') + ']. The shared-frame figures compare the studies; each study\'s own-frame figure (its own best -> 0, its own worst + 10% -> 1) is not comparable between studies; hwnas nas without --table prints it (its frame also spans infeasible trials). A study run on a table that is readable here and unchanged also gets the figure hwnas nas --table prints: its hypervolume in the table\'s true-front frame and its share of the true front\'s; those are comparable between studies on the same table and objectives.');
}

function paramText(p){ var s = JSON.stringify(p); return s.length > 300 ? s.slice(0, 297) + '...' : s; }
function drawTable(d){
  var obj = d.study.objectives;
  var hasArch = d.trials.some(function(t){ return t.arch !== undefined; });
  var cols = [{ key: 'number', head: '#', v: function(t){ return t.number; } }, { key: 'state', head: 'state', v: function(t){ return t.state; } }]
    .concat(obj.map(function(o, i){ return { key: 'v' + i, head: o.name + (o.direction === 'maximize' ? ' \u2191' : ' \u2193'), v: function(t){ return t.values ? t.values[i] : null; } }; }))
    .concat([{ key: 'violation', head: 'violation', v: function(t){ return t.violation; } }, { key: 'pareto', head: obj.length === 1 ? 'best' : 'Pareto', v: function(t){ return t.pareto ? 'yes' : ''; } },
      { key: 'seconds', head: 'seconds', v: function(t){ return t.finishedAt ? (Date.parse(t.finishedAt) - Date.parse(t.startedAt)) / 1000 : null; } }])
    .concat(hasArch ? [{ key: 'arch', head: 'architecture', v: function(t){ return t.arch === undefined ? null : t.arch; } }] : [])
    .concat([{ key: 'params', head: 'params', v: function(t){ return paramText(t.params); } }]);
  var thead = el('trials').tHead; thead.textContent = '';
  var hr = thead.insertRow();
  cols.forEach(function(c){ var th = document.createElement('th'); th.textContent = c.head; th.setAttribute('data-key', c.key);
    if (state.sortKey === c.key) th.className = state.sortDir > 0 ? 'sorted-asc' : 'sorted-desc';
    th.onclick = function(){ if (state.sortKey === c.key) state.sortDir = -state.sortDir; else { state.sortKey = c.key; state.sortDir = 1; } drawTable(state.data); };
    hr.appendChild(th); });
  var col = cols.filter(function(c){ return c.key === state.sortKey; })[0] || cols[0];
  var rows = d.trials.slice().sort(function(a, b){ var x = col.v(a), y = col.v(b);
    if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * state.sortDir; });
  var tb = el('trials').tBodies[0]; tb.textContent = '';
  rows.forEach(function(t){ var tr = tb.insertRow(); if (t.pareto) tr.className = 'pareto';
    cols.forEach(function(c){ var td = tr.insertCell(); td.textContent = fmt(c.v(t)); if (c.key === 'params') { td.className = 'params'; td.title = JSON.stringify(t.params); } else if (c.key === 'arch') td.className = 'arch'; }); });
}

function render(d){
  state.data = d;
  document.title = 'hwnas: ' + d.study.name;
  setText('title', 'Study ' + d.study.name);
  var c = d.counts;
  setText('meta', d.trials.length + ' trials (' + c.complete + ' complete, ' + c.running + ' running, ' + c.failed + ' failed, ' + c.pruned + ' pruned) \u00b7 objectives: ' + d.study.objectives.map(function(o){ return o.name + ' (' + o.direction + ')'; }).join(', ') + ' \u00b7 ' + d.generatedAt);
  drawPareto(d); drawProgress(d); drawCompare(d); drawHeat(d); drawCosts(d); drawTable(d);
  document.body.setAttribute('data-rendered-trials', String(d.trials.length));
}

function live(api){
  var current = new URLSearchParams(location.search).get('study');
  var picker = el('study-picker');
  var sel = document.createElement('select'); sel.id = 'study-select'; picker.appendChild(sel);
  sel.onchange = function(){ current = sel.value; history.replaceState(null, '', '?study=' + encodeURIComponent(current)); tick(); };
  function get(path){ return fetch(api + path, { cache: 'no-store' }).then(function(r){ if (!r.ok) throw new Error(r.status + ' ' + path); return r.json(); }); }
  function tick(){
    return get('/studies').then(function(list){
      var names = list.studies.map(function(s){ return s.name; });
      if (sel.getAttribute('data-names') !== names.join('\n')) {
        sel.textContent = '';
        names.forEach(function(n){ var o = document.createElement('option'); o.value = n; o.textContent = n; sel.appendChild(o); });
        sel.setAttribute('data-names', names.join('\n'));
      }
      if (names.length === 0) { setText('title', 'No studies in this store yet'); return; }
      if (current === null || names.indexOf(current) < 0) current = names[names.length - 1];
      sel.value = current;
      return get('/studies/' + encodeURIComponent(current)).then(render);
    }).catch(function(e){ setText('meta', 'dashboard: ' + e.message); });
  }
  tick(); setInterval(tick, 2000);
}

window.hwnasRender = render;
window.hwnasLive = live;
})();
`;
