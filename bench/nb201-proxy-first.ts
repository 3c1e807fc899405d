/**
 * The bench side of `proxyFirst` (src/search/strategies/proxy-first.ts; issue 18, session 54, search54) on NB201: the
 * free score is SynFlow of bench/data/nb201-synflow.csv (`c10` = the CIFAR-10 network's `c10_synflow_log10`, `in16` =
 * the ImageNet16-120 network's `in16_synflow_log10`), the cost group a cell's MACs and parameters of NB201's CIFAR-10
 * network (hwnas's workload, src/ir/workload.ts graphTotals; computed once per computation class representative of
 * the file). Neither reads an accuracy. A label `<method>^synflow` of bench/compare-optuna.ts wraps the method's strategy
 * (after its repeat filter) with it; bench/data/search54-prereg.md says which score each problem takes.
 */
import { join } from 'node:path';
import { ConfigError } from '../src/errors.js';
import { graphTotals } from '../src/ir/workload.js';
import { NB201_EDGE_PARAMS, NB201_OPS, type Nb201Op, nb201Graph } from '../src/search/spaces/nb201.js';
import { proxyFirst } from '../src/search/strategies/proxy-first.js';
import type { Params, SearchStrategy } from '../src/search/types.js';
import { nb201CellOps } from './nb201-hwnas-cost.js';
import { readSynflow, type SynflowRow } from './proxy-tau.js';

/** Which network's score. */
export type SynflowNet = 'c10' | 'in16';

/** The `cell` field (op index per edge, NB201_EDGE_PARAMS order) of an NB201 point. */
export function nb201CellField(p: Params): string {
  return NB201_EDGE_PARAMS.map((e) => {
    const i = NB201_OPS.indexOf(p[e] as Nb201Op);
    if (i < 0) throw new ConfigError(`NB201 point ${JSON.stringify(p)}: edge ${e} '${String(p[e])}'; expected one of ${NB201_OPS.join(', ')}`);
    return i;
  }).join('');
}

let rows: Map<string, SynflowRow> | undefined;
const fns = new Map<SynflowNet, { score: (p: Params) => number; group: (p: Params) => string }>();
const groups = new Map<string, string>();

/** The score and group functions of `net` (one object each per process, so the enumeration by group is made once). */
export function nb201SynflowFunctions(net: SynflowNet, path = join(process.cwd(), 'bench', 'data', 'nb201-synflow.csv')) {
  const hit = fns.get(net);
  if (hit) return hit;
  rows ??= readSynflow(path);
  const r = rows;
  const row = (p: Params): SynflowRow => {
    const cell = nb201CellField(p);
    const x = r.get(cell);
    if (!x) throw new ConfigError(`${path}: no row for cell ${cell}; expected all 15,625 NB201 cells`);
    return x;
  };
  const f = {
    score: (p: Params): number => {
      const x = row(p);
      const s = net === 'c10' ? x.score : x.in16;
      if (s === undefined) throw new ConfigError(`${path}: no in16 score for cell ${nb201CellField(p)}`);
      return s;
    },
    group: (p: Params): string => {
      const rep = row(p).rep;
      let g = groups.get(rep);
      if (g === undefined) {
        const t = graphTotals(nb201Graph(nb201CellOps(rep)));
        g = `${t.macs}|${t.params}`;
        groups.set(rep, g);
      }
      return g;
    },
  };
  fns.set(net, f);
  return f;
}

/** `strategy` wrapped by `proxyFirst` with SynFlow of `net` and NB201's MACs groups. */
export function nb201SynflowFirst(strategy: SearchStrategy, net: SynflowNet): SearchStrategy {
  return proxyFirst(strategy, nb201SynflowFunctions(net));
}
