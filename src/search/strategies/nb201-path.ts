/**
 * Path encoding of NAS-Bench-201 cells (White et al., BANANAS, AAAI 2021): one binary feature per sequence
 * of operations along a path from the cell's input node to its output node. A cell has four input-output
 * routes (0-3, 0-1-3, 0-2-3, 0-1-2-3); a route whose edges are all not `none` is a path, and its feature is
 * the sequence of its 1-3 operations over {skip, conv 1x1, conv 3x3, avg pool}: 4 + 16 + 64 = 84 features.
 * Routes of the same length share features (as in BANANAS: the encoding describes which computations reach
 * the output, not where they sit). Unlike the adjacency (one-hot per edge) encoding it gives cells that compute
 * the same paths the same code and ignores edges that cannot reach the output.
 */
import { ConfigError } from '../../errors.js';
import type { SearchSpace } from '../space.js';
import type { Params } from '../types.js';

// NB201's edges and operations as src/search/spaces/nb201.ts defines them (src/search may not import
// search/spaces, which sits above it; nb201-path.test.ts checks that the two agree).
/** The six edges as [to, from], in the order of NB201's architecture string. */
export const NB201_EDGES: readonly (readonly [number, number])[] = [
  [1, 0],
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [3, 2],
];
/** Parameter name of each edge. */
export const NB201_EDGE_PARAMS: readonly string[] = NB201_EDGES.map(([t, f]) => `e${t}${f}`);
/** NB201's operations. */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;

/** The four input-output routes as lists of edge indices (into {@link NB201_EDGES}). */
const ROUTES: readonly (readonly number[])[] = (() => {
  const edge = (to: number, from: number): number => NB201_EDGES.findIndex(([t, f]) => t === to && f === from);
  return [[edge(3, 0)], [edge(1, 0), edge(3, 1)], [edge(2, 0), edge(3, 2)], [edge(1, 0), edge(2, 1), edge(3, 2)]];
})();

/** Non-`none` operations, in feature order. */
const PATH_OPS = NB201_OPS.filter((o) => o !== 'none');
/** Feature offset of paths of length 1, 2, 3. */
const OFFSET = [0, 0, 4, 20];
/** Number of path features. */
export const NB201_PATH_FEATURES = 84;

/** The path-encoding vector (0/1, length {@link NB201_PATH_FEATURES}) of a cell given as its six edge operations in NB201_EDGES order. */
export function nb201PathEncode(cell: readonly string[]): number[] {
  const v = new Array<number>(NB201_PATH_FEATURES).fill(0);
  for (const route of ROUTES) {
    let code = 0;
    let ok = true;
    route.forEach((e, i) => {
      const k = PATH_OPS.indexOf(cell[e] as (typeof PATH_OPS)[number]);
      if (k < 0) ok = false;
      code += k * 4 ** i;
    });
    if (ok) v[(OFFSET[route.length] as number) + code] = 1;
  }
  return v;
}

/** True when `space` is NB201's cell space (the six edge parameters with NB201's operations). */
export function isNb201Space(space: SearchSpace): boolean {
  return NB201_EDGE_PARAMS.every((n) => {
    const p = space.params[n];
    return p?.kind === 'categorical' && p.choices.length === NB201_OPS.length && NB201_OPS.every((o) => p.choices.includes(o));
  });
}

/** The path encoding as a predictor encoding of `space` (ConfigError unless it is NB201's cell space). */
export function nb201PathEncoding(space: SearchSpace): { readonly name: string; encode(p: Params): number[] } {
  if (!isNb201Space(space))
    throw new ConfigError(
      `the path encoding is defined for NB201 cells (parameters ${NB201_EDGE_PARAMS.join(', ')} over ${NB201_OPS.join(', ')}): this space has other parameters`,
    );
  return { name: 'nb201-path', encode: (p) => nb201PathEncode(NB201_EDGE_PARAMS.map((n) => String(p[n]))) };
}
