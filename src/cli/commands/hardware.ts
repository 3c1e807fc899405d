import { ConfigError } from '../../errors.js';
import {
  type ComplexityReport,
  compareReports,
  complexityReport,
  evalPredictor,
  fitPredictor,
  formatComparison,
  formatReport,
  getTarget,
  type HardwareTarget,
  hostLut,
  listTargets,
  loadLut,
  loadPredictor,
  lutCalibrations,
  lutPredictorMeta,
  measureHost,
  type PooledNetwork,
  type PrecisionPolicy,
  policySlices,
  prepareNetwork,
  samplesFromLut,
  saveLut,
  savePredictor,
  type TableCalibration,
} from '../../hardware/index.js';
import { costDefaultPolicy } from '../../hardware/precision.js';
import { loadModelSpec, loadModelSpecWithPrecision } from '../../onnx/model-source.js';
import { modelCostReport, packedModelBytes } from '../../quant/cost.js';
import { formatQuantity, formatTable } from '../../util/table.js';
import { checkOutPath, intOption, printJson } from '../io.js';
import { loadPolicySpec } from '../policy-source.js';
import { createProgress } from '../progress.js';

/** The action of the command registered in src/cli/register/hardware.ts (imported when that command runs). */
export const targetsAction = (f: { json?: boolean }) => {
  const rows = listTargets();
  if (f.json) return printJson(rows);
  process.stdout.write(
    `${formatTable(rows, [
      { key: 'name', header: 'target' },
      { key: 'kind', header: 'kind' },
      { key: 'description', header: 'description' },
    ])}\n`,
  );
};

/** The action of the command registered in src/cli/register/hardware.ts (imported when that command runs). */
export const costAction = async (spec: string, f: { target: string; policy?: string; compare?: string; totals?: boolean; json?: boolean }) => {
  const { model, precision } = loadModelSpecWithPrecision(spec);
  const t = getTarget(f.target);
  // a QDQ file is costed at its own precision unless --policy says otherwise
  const policyOn = (tt: HardwareTarget): PrecisionPolicy =>
    f.policy === undefined ? costDefaultPolicy(model.graph, tt, precision, spec) : loadPolicySpec(f.policy, model.graph, tt);
  const policy = policyOn(t);
  if (precision && !f.json)
    process.stderr.write(
      f.policy === undefined
        ? `precision: the QDQ file's own (policy '${precision.name}': each layer's bits read from its codes and grids; --policy overrides)\n`
        : `precision: --policy ${f.policy} (the QDQ file's own precision is not used)\n`,
    );
  // the second target or policy of --compare, resolved before any target is prepared
  let other: { readonly t: HardwareTarget; readonly policy: PrecisionPolicy } | undefined;
  if (f.compare) {
    const m = /^(target|policy)=(.+)$/.exec(f.compare);
    if (!m) throw new ConfigError(`--compare must be 'target=<t>' or 'policy=<p>', got '${f.compare}'`);
    const t2 = m[1] === 'target' ? getTarget(m[2] as string) : t;
    const p2 = m[1] === 'policy' ? loadPolicySpec(m[2] as string, model.graph, t2) : policyOn(t2);
    other = { t: t2, policy: p2 };
  }
  // a measured target measures the model, and the channel groups of the policies it will cost (host-cpu)
  await t.prepare?.(model, other?.t === t ? [policy, other.policy] : [policy]);
  if (other && other.t !== t) await other.t.prepare?.(model, [other.policy]);
  const report = modelCostReport(model.graph, t, policy);
  if (other) {
    const cmp = compareReports(report, complexityReport(model.graph, other.t, other.policy));
    warnAllFallback(cmp.a);
    if (other.t !== t) warnAllFallback(cmp.b);
    // the packed model size of each side, as for one model (the size depends on the policy only, not the target)
    const sizeA = report.modelSizeBytes;
    const sizeB = packedModelBytes(model.graph, other.policy);
    if (f.json) return printJson({ ...cmp, a: { ...cmp.a, modelSizeBytes: sizeA }, b: { ...cmp.b, modelSizeBytes: sizeB } });
    process.stdout.write(
      `${formatComparison(cmp, { layers: !f.totals })}\n` +
        `model size: A ${kibText(sizeA)}, B ${kibText(sizeB)}; A/B ${formatQuantity(sizeA / sizeB)}x (1 KiB = 1024 bytes; the size hwnas quantize reports): ${MODEL_SIZE_COUNTS}\n`,
    );
    return;
  }
  // the packed model size, as quantize reports it: the 'weights' total counts the codes and biases only
  const { modelSizeBytes } = report;
  if (f.json) {
    warnAllFallback(report); // the text report says it in its header
    return printJson(report);
  }
  process.stdout.write(
    `${formatReport(report, { layers: !f.totals })}\n` +
      `model size ${formatQuantity(modelSizeBytes / 1024)} KiB (${modelSizeBytes} bytes, 1 KiB = 1024 bytes; the size hwnas quantize reports): ${MODEL_SIZE_COUNTS}; 'weights' above has no scales or other parameters\n`,
  );
};

/** The action of the command registered in src/cli/register/hardware.ts (imported when that command runs). */
export const measureAction = async (spec: string, f: { out: string; repeats?: string; threads?: string; policy?: string; json?: boolean }) => {
  const repeats = intOption('--repeats', f.repeats, 30, 1);
  const threads = intOption('--threads', f.threads, 1, 1);
  checkOutPath('--out', f.out, [['model', spec]]);
  const model = loadModelSpec(spec);
  // checked against host-cpu as `cost --target host-cpu` does: it runs float32 only, so other bits are refused, not timed as fp32
  const slices = f.policy ? policySlices(prepareNetwork(model.graph), loadPolicySpec(f.policy, model.graph, getTarget('host-cpu'))) : [];
  const bar = createProgress({ total: model.graph.nodes.length, label: 'measure', fields: ['node'], quiet: !!f.json });
  let total = model.graph.nodes.length;
  const m = await measureHost(model, {
    repeats,
    threads,
    ...(slices.length > 0 ? { slices } : {}),
    onProgress: (done, all, node) => {
      if (all !== total) {
        total = all;
        bar.setTotal(all);
      }
      bar.update(done, { node });
    },
  });
  bar.stop();
  const lut = hostLut(m);
  saveLut(lut, f.out);
  if (f.json) return printJson(m);
  process.stdout.write(
    `${m.graph} on ${m.device}: network ${m.network.latencyMs.toFixed(3)} ms (median ${m.network.medianMs.toFixed(3)}, IQR ${m.network.iqrMs.toFixed(3)}); ` +
      `sum of layers ${m.sumOfLayersMs.toFixed(3)} ms (error ${(m.sumOfLayersError * 100).toFixed(1)}%), ` +
      `fusion model ${m.fusionModelMs.toFixed(3)} ms (error ${(m.fusionModelError * 100).toFixed(1)}%); composition calibrated on this whole-network timing: ` +
      `${(lut.kernelScale ?? 1).toFixed(3)} x kernels + ${(lut.networkOverheadMs ?? 0).toFixed(4)} ms; wrote ${lut.entries.length} table entries (one per distinct runtime kernel of ${m.layers.length} layers${m.slices.length > 0 ? `, and of ${m.slices.length} distinct channel-group slices` : ''}) to ${f.out}\n`,
  );
};

/** The action of the command registered in src/cli/register/hardware.ts (imported when that command runs). */
export const predictorFitAction = (luts: string[], f: { out: string; json?: boolean }) => {
  checkOutPath(
    '--out',
    f.out,
    luts.map((p) => ['table', p] as const),
  );
  const tables = luts.map((p) => ({ path: p, lut: loadLut(p) }));
  // fused flag and calibration of the tables, so predictor:<file> costs networks per kernel as they do
  const meta = lutPredictorMeta(tables);
  const samples = tables.flatMap((t) => samplesFromLut(t.lut));
  if (samples.length < 10) throw new ConfigError(`predictor fit needs at least 10 measured layers, the tables give ${samples.length}`);
  const m = fitPredictor(samples, {}, meta);
  savePredictor(m, f.out);
  const fit = evalPredictor(m, samples);
  const cal = lutCalibrations(tables);
  if (f.json)
    return printJson({
      out: f.out,
      samples: samples.length,
      train: fit,
      calibration: { method: meta.calibration ?? null, kernelScale: meta.kernelScale ?? 1, networkOverheadMs: meta.networkOverheadMs ?? 0, ...cal },
    });
  process.stdout.write(`fitted on ${samples.length} layers; training fit: ${fmtMetrics(fit)}; wrote ${f.out}\n`);
  if (cal.tables.length > 0) process.stdout.write(`${calibrationText(cal, meta)}\n`);
};

/** The action of the command registered in src/cli/register/hardware.ts (imported when that command runs). */
export const predictorEvalAction = (path: string, luts: string[], f: { json?: boolean }) => {
  const m = loadPredictor(path);
  const samples = luts.flatMap((p) => samplesFromLut(loadLut(p)));
  if (samples.length === 0) throw new ConfigError(`the tables ${luts.join(', ')} hold no measured layers`);
  const r = evalPredictor(m, samples);
  if (f.json) return printJson(r);
  process.stdout.write(`${samples.length} layers: ${fmtMetrics(r)}\n`);
};

/** What `cost`'s model size counts, said with every size it prints (one and --compare). */
const MODEL_SIZE_COUNTS =
  "weights at the policy's bits + a float32 scale per output channel of each integer layer + 32-bit biases (int32 on integer layers) and other float32 parameters; " +
  'no fault protection: quantize --protect ecc adds the ECC check bits of its hardened layers to its size (and their cost to its latency and energy), cost never does';

/** `<KiB> KiB (<bytes> bytes)`: a model size as `cost --compare` prints it. */
function kibText(bytes: number): string {
  return `${formatQuantity(bytes / 1024)} KiB (${bytes} bytes)`;
}

/** A warning on stderr when a table's fallback costed every row (`lut:<file>?fallback=<t>` matching no key): never silent. */
function warnAllFallback(r: ComplexityReport): void {
  const f = r.fallback;
  if (f && f.rows > 0 && f.rows === f.costedRows)
    process.stderr.write(
      `warning: ${r.target}: no row came from the table; all ${f.rows} are the fallback ${f.target}'s (policy ${r.policy}: check its bits and the model's layers against the table's keys)\n`,
    );
}

/** The calibration `predictor fit` wrote and where it comes from, so a table or a network measured under load shows. */
function calibrationText(cal: ReturnType<typeof lutCalibrations>, meta: Readonly<Record<string, string | number>>): string {
  const one = (k: number, o: number): string => `${k.toFixed(3)} x kernels + ${o.toFixed(4)} ms`;
  const used = one(Number(meta.kernelScale ?? 1), Number(meta.networkOverheadMs ?? 0));
  if (cal.networks !== undefined) {
    const nets = cal.networks;
    if (nets.length === 1) {
      const n = nets[0] as PooledNetwork;
      return `calibration ${used} from one network (${n.graph} in ${n.path}): one network's whole timing sets the overhead of every network; measure more networks and fit on their tables together`;
    }
    const pct = (e: number): string => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(1)}%`;
    return `calibration ${used}, fitted on the whole-network timings of ${nets.length} networks in ${cal.tables.length} tables: ${nets.map((n) => `${n.graph} (${n.path}) measured ${n.networkMs.toFixed(3)} ms, calibrated ${n.predictedMs.toFixed(3)} ms (${pct(n.error)})`).join('; ')}; ${cal.farthest === undefined ? 'two networks set a scale and an overhead exactly: fit on three or more to see one timed under load' : `farthest: ${cal.farthest} (a network timed under load shows here: re-measure it or leave its table out)`}`;
  }
  if (cal.tables.length === 1) {
    const t = cal.tables[0] as TableCalibration;
    return `calibration ${used} from one table (${t.path}): one network's whole timing sets the overhead of every network; fit on several tables to take their median`;
  }
  const over = cal.tables.map((t) => t.networkOverheadMs);
  return `calibration ${used}, the median of ${cal.tables.length} tables (they keep no network timings to refit on: re-measure with this version to pool them): ${cal.tables.map((t) => `${t.path} ${one(t.kernelScale, t.networkOverheadMs)}`).join('; ')}; overhead spread ${Math.min(...over).toFixed(4)}-${Math.max(...over).toFixed(4)} ms, farthest from the median: ${cal.farthest} (a table measured under load shows here: re-measure it or leave it out)`;
}

function fmtMetrics(r: { rmse: number; mape: number; kendallTau: number; within10: number }): string {
  return `RMSE ${r.rmse.toFixed(4)} ms, MAPE ${(r.mape * 100).toFixed(1)}%, Kendall tau ${r.kendallTau.toFixed(3)}, within +-10%: ${(r.within10 * 100).toFixed(1)}%`;
}
