import { graphTotals, graphWorkloads, type Workload } from '../../ir/index.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { formatTable } from '../../util/table.js';
import { humanCount, printJson, shapeStr } from '../io.js';

/** One layer of {@link layerTable} (and of `hwnas inspect --json`): a node, its op, per-sample shapes, MACs and parameters. */
export interface LayerRow {
  readonly name: string;
  readonly op: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly macs: number;
  readonly params: number;
}

/** The {@link LayerRow} of a node's workload (its first input's shape). */
export function layerRow(w: Workload): LayerRow {
  return { name: w.node, op: w.op, inputShape: w.inShapes[0] ?? [], outputShape: w.outShape, macs: w.macs, params: w.params };
}

/** The per-layer table of `hwnas inspect` and `hwnas demo` (MACs and parameters in human units), with a TOTAL row given `total`. */
export function layerTable(layers: readonly LayerRow[], total?: { readonly macs: number; readonly params: number }): string {
  const rows: Array<Record<string, string>> = layers.map((l) => ({
    name: l.name,
    op: l.op,
    input: l.op === 'input' ? '-' : shapeStr(l.inputShape), // the input node reads nothing (was shown as [])
    output: shapeStr(l.outputShape),
    macs: humanCount(l.macs),
    params: humanCount(l.params),
  }));
  if (total) rows.push({ name: 'TOTAL', op: '', input: '', output: '', macs: humanCount(total.macs), params: humanCount(total.params) });
  return formatTable(rows, [
    { key: 'name', header: 'layer' },
    { key: 'op', header: 'op' },
    { key: 'input', header: 'input' },
    { key: 'output', header: 'output' },
    { key: 'macs', header: 'MACs', align: 'right' },
    { key: 'params', header: 'params', align: 'right' },
  ]);
}

/** The action of the command registered in src/cli/register/inspect.ts (imported when that command runs). */
export const inspectAction = (spec: string, opts: { json?: boolean; all?: boolean }) => {
  const model = loadModelSpec(spec);
  const wl = graphWorkloads(model.graph);
  const totals = graphTotals(model.graph);
  const layers = wl.filter((w) => opts.all || opts.json || w.macs > 0 || w.params > 0 || w.op === 'input').map(layerRow);
  if (opts.json) {
    printJson({ model: model.graph.name, layers, totals: { macs: totals.macs, params: totals.params, layers: totals.layers } });
    return;
  }
  process.stdout.write(
    `${model.graph.name}: ${totals.layers} conv/dense layers, ${humanCount(totals.macs)} MACs, ${humanCount(totals.params)} params (shapes are per sample, NCHW)\n`,
  );
  process.stdout.write(layerTable(layers, totals) + '\n');
};
