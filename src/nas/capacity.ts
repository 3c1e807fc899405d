/**
 * Capacity search under a latency line, for MobileNetV2-style spaces whose feasible region is tiny
 * (`mbv2-mbnet` under mbnet32's latency / 1.3: ~0.05% of uniform points on bitfusion-edge, none of 40 timed
 * points on host-cpu). Constrained NSGA-II starting from random points reaches such a line along one path
 * and stays there, and short trainings do not rank the nets that remain (1 and 3 epochs put two nets that
 * a long training separates by 0.9 points level). So: per (width, input size) stratum, `perStratum` random
 * architectures are repaired by repeatedly applying the one change that lowers the target latency most
 * (a block's expansion one step down, its kernel to 3, squeeze-excite off, h-swish to ReLU, a stage's last
 * block dropped) until under the line; the feasible point with the most parameters (a zero-cost proxy of
 * accuracy) represents its stratum. The representatives, most parameters first, then every other feasible
 * point found, are what the strategy proposes; the accuracy comes from the study's evaluator.
 */
import { ConfigError } from '../errors.js';
import { graphTotals } from '../ir/workload.js';
import type { Mbv2Arch, Mbv2SpaceOptions } from '../search/spaces/mbv2.js';
import { type ArchSpace, canonicalArch } from '../search/spaces/types.js';
import type { AskContext, Params, SearchStrategy } from '../search/types.js';
import type { Rng } from '../util/rng.js';

/** An mbv2-family space (`mbv2Space(...)`): the repair moves need its options. */
export type Mbv2LikeSpace = ArchSpace<Mbv2Arch> & { readonly options: Mbv2SpaceOptions };

/** True when `space` is a plain MobileNetV2-style space (not joint with bits), which the capacity search can repair. */
export function isMbv2Space(space: ArchSpace): space is ArchSpace & Mbv2LikeSpace {
  return space.options !== undefined && space.base === undefined;
}

/** The arguments `--strategy capacity` needs: an mbv2 space and a line (ConfigError naming what is missing). */
export function checkCapacityArgs(space: ArchSpace, line: number | undefined): asserts space is ArchSpace & Mbv2LikeSpace {
  if (!isMbv2Space(space))
    throw new ConfigError(
      `--strategy capacity repairs MobileNetV2-style architectures: space '${space.name}' is not one (use mbv2, mbv2-micro, mbv2-mbnet or mbv2-imagenet)`,
    );
  if (line === undefined) throw new ConfigError('--strategy capacity needs --max-latency <ms>: the line it repairs architectures under');
}

/** One feasible point of {@link capacitySearch}. */
export interface CapacityPoint {
  /** `r<input>-w<width>`. */
  readonly stratum: string;
  readonly arch: string;
  readonly params: number;
  readonly macs: number;
  readonly latencyMs: number;
}

/** A stratum's representative: its feasible point with the most parameters. */
export interface CapacityPick extends CapacityPoint {
  /** Random points of the stratum that could be repaired under the line. */
  readonly feasible: number;
}

/** Options of {@link capacitySearch}. */
export interface CapacityOptions {
  /** Latency (ms) of an architecture on the target. Called once per distinct architecture. */
  readonly latency: (a: Mbv2Arch) => number | Promise<number>;
  /** The line (ms): points at or under it are feasible. */
  readonly line: number;
  /** Random points per (width, input size) stratum (default 30). */
  readonly perStratum?: number;
  /** Called after every random point (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Result of {@link capacitySearch}. */
export interface CapacityResult {
  /** One per stratum with a feasible point, most parameters first. */
  readonly picks: CapacityPick[];
  /** Every distinct feasible point found, most parameters first. */
  readonly feasible: CapacityPoint[];
  /** Distinct architectures whose latency was taken. */
  readonly latencyCalls: number;
}

/** The cheaper neighbours of `a`: one change each (see the module comment). */
export function cheaperMoves(a: Mbv2Arch, o: Mbv2SpaceOptions): Mbv2Arch[] {
  const moves: Mbv2Arch[] = [];
  const withBlock = (si: number, bi: number, b: Mbv2Arch['stages'][number][number]): Mbv2Arch => ({
    ...a,
    stages: a.stages.map((st, i) => (i === si ? st.map((x, j) => (j === bi ? b : x)) : st)),
  });
  a.stages.forEach((st, si) =>
    st.forEach((b, bi) => {
      const e = o.expansions.indexOf(b.expansion);
      if (e > 0) moves.push(withBlock(si, bi, { ...b, expansion: o.expansions[e - 1] as number }));
      if (b.kernel > 3 && o.kernels.includes(3)) moves.push(withBlock(si, bi, { ...b, kernel: 3 }));
      if (b.se) moves.push(withBlock(si, bi, { ...b, se: false }));
      if (b.act !== 'relu' && (o.acts ?? ['relu', 'hswish']).includes('relu')) moves.push(withBlock(si, bi, { ...b, act: 'relu' }));
      if (bi === st.length - 1 && st.length > (o.stages[si]?.minDepth ?? 1))
        moves.push({ ...a, stages: a.stages.map((x, i) => (i === si ? x.slice(0, -1) : x)) });
    }),
  );
  return moves;
}

/** Runs the capacity search (see the module comment). Deterministic for a deterministic `latency` and `rng`. */
export async function capacitySearch(space: Mbv2LikeSpace, o: CapacityOptions, rng: Rng): Promise<CapacityResult> {
  if (!(o.line > 0)) throw new ConfigError(`capacity search: the latency line must be a positive number of ms, got ${o.line}`);
  const so = space.options;
  const perStratum = o.perStratum ?? 30;
  const cache = new Map<string, number>();
  const lat = async (a: Mbv2Arch): Promise<number> => {
    const k = space.format(a);
    const hit = cache.get(k);
    if (hit !== undefined) return hit;
    const v = await o.latency(a);
    cache.set(k, v);
    return v;
  };
  const repair = async (a: Mbv2Arch): Promise<Mbv2Arch | undefined> => {
    let cur = a;
    for (let guard = 0; guard < 200 && (await lat(cur)) > o.line; guard++) {
      const moves = cheaperMoves(cur, so);
      if (moves.length === 0) return undefined;
      let best = moves[0] as Mbv2Arch;
      let bestLat = Infinity;
      for (const m of moves) {
        const l = await lat(m);
        if (l < bestLat) [best, bestLat] = [m, l];
      }
      cur = best;
    }
    return (await lat(cur)) <= o.line ? cur : undefined;
  };
  const picks: CapacityPick[] = [];
  const feasible = new Map<string, CapacityPoint>();
  const total = so.widths.length * so.inputSizes.length * perStratum;
  let done = 0;
  for (const width of so.widths) {
    for (const input of so.inputSizes) {
      let best: CapacityPoint | undefined;
      let n = 0;
      for (let i = 0; i < perStratum; i++) {
        const r = await repair(space.fromParams({ ...space.space.sample(rng), width, input }));
        o.onProgress?.(++done, total);
        if (!r) continue;
        n++;
        const arch = space.format(r);
        const t = graphTotals(space.graph(r));
        const p: CapacityPoint = { stratum: `r${input}-w${width}`, arch, params: t.params, macs: t.macs, latencyMs: await lat(r) };
        feasible.set(arch, p);
        if (!best || p.params > best.params) best = p;
      }
      if (best) picks.push({ ...best, feasible: n });
    }
  }
  const byParams = (a: CapacityPoint, b: CapacityPoint): number => b.params - a.params || (a.arch < b.arch ? -1 : 1);
  return { picks: picks.sort(byParams), feasible: [...feasible.values()].sort(byParams), latencyCalls: cache.size };
}

/** The architectures a capacity search proposes, in order: the strata's picks, then every other feasible point. */
export function capacityPoints(r: CapacityResult): string[] {
  const picks = new Set(r.picks.map((p) => p.arch));
  return [...r.picks.map((p) => p.arch), ...r.feasible.filter((p) => !picks.has(p.arch)).map((p) => p.arch)];
}

/**
 * The capacity search as a study strategy: proposes the architectures {@link capacitySearch} found (given as
 * strings, see {@link capacityPoints}; computed once by the command and stored in the study's config), in
 * order, skipping those the history holds. A ConfigError when the list runs out.
 */
export class CapacityStrategy implements SearchStrategy {
  readonly name = 'capacity';
  private readonly points: readonly string[];

  constructor(
    private readonly space: ArchSpace,
    points: readonly string[],
    private readonly line?: number,
  ) {
    this.points = points.map((a) => canonicalArch(space, a));
  }

  ask(ctx: AskContext): Params {
    const seen = new Set(ctx.history.map((t) => this.space.format(this.space.fromParams(t.params))));
    const next = this.points.find((a) => !seen.has(a));
    if (next === undefined)
      throw new ConfigError(
        `capacity search: only ${this.points.length} distinct architectures were repaired${this.line !== undefined ? ` under ${this.line} ms` : ''}; lower --budget, or raise the points per stratum`,
      );
    return this.space.toParams(this.space.parse(next));
  }
}
