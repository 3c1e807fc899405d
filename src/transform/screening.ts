/**
 * What HANT's screening produces, kept so that the selection can run as a study: the per-unit
 * alternative table (latency on the target, relative distillation loss), the distilled weights of every
 * alternative, the teacher and the few images an evaluation needs (batch-norm calibration, validation).
 *
 * On disk (`saveScreening`, read back by `loadScreening`; the CLI puts it next to its store, in
 * `.hwnas/transform/<study>-<study uid>/`): `screening.json` (the manifest, written last, so a folder without it
 * is an unfinished screening), `teacher.json` + `.bin` and `alts/u<unit>-a<alt>.json` + `.bin` (hwnas IR,
 * src/ir/serialize.ts), `calib-x.npy`, `val-x.npy`, `val-y.npy`. An evaluation on another machine (a
 * Redis worker) reads the same folder: the path is absolute, so it must be on a shared disk mounted at
 * the same path there. This module reads and writes files only; it does not load the tensor engine.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/file-io.js';
import { readNpy, writeNpy } from '../data/npy.js';
import type { Labels } from '../data/types.js';
import { ConfigError, UserError } from '../errors.js';
import { type PrecisionPolicy, parsePolicy } from '../hardware/precision.js';
import { loadModel, saveModel } from '../ir/serialize.js';
import type { Model } from '../ir/types.js';
import { violation } from '../search/pareto.js';
import type { Objective, Params, Trial } from '../search/types.js';
import type { AltFamily } from './alternatives.js';
import type { HantIlpOptions } from './strategies/hant-ilp.js';
import type { Unit } from './units.js';

/** Format tag of `screening.json`. */
export const SCREENING_FORMAT = 'hwnas-hant-screening';

/** What a HANT trial returns: validation accuracy of the assembled student (before fine-tuning) and its latency. */
export const HANT_OBJECTIVES: readonly Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'latency_ms', direction: 'minimize' },
];

/** One screened alternative in the table. */
export interface HantTableAlternative {
  /** Name, unique within its unit. */
  readonly name: string;
  readonly family: AltFamily;
  /** Latency of its subgraph on the target (ms). */
  readonly latencyMs: number;
  /** Relative distillation loss after refinement (equal to `screenLoss` when it was not refined). */
  readonly loss: number;
  /** Relative distillation loss after the screening distillation. */
  readonly screenLoss: number;
  readonly macs: number;
  readonly params: number;
}

/** One unit of the table. */
export interface HantTableUnit {
  readonly unit: Unit;
  /** The teacher's latency of this unit (ms). */
  readonly teacherLatencyMs: number;
  readonly alternatives: readonly HantTableAlternative[];
}

/** `screening.json`: everything about a screening but the weights and images. */
export interface HantScreeningManifest {
  readonly format: typeof SCREENING_FORMAT;
  readonly version: 1;
  /** Hardware target name and the precision policy the latencies are costed at. */
  readonly target: string;
  readonly policy: PrecisionPolicy;
  /** Network latency budget (ms) and the teacher's latency outside the units (ms). */
  readonly budgetMs: number;
  readonly fixedMs: number;
  /** The teacher: its test accuracy, network latency (ms) and MACs. */
  readonly teacher: { readonly name: string; readonly accuracy: number; readonly latencyMs: number; readonly macs: number };
  readonly units: readonly HantTableUnit[];
  /** The ILP on the screening losses (size, solve time), before refinement. */
  readonly ilp: { readonly solveMs: number; readonly variables: number; readonly minAlternatives: number; readonly maxAlternatives: number };
  /** Wall time of the screening phases (s). */
  readonly seconds: { readonly distill: number; readonly ilp: number; readonly refine: number };
}

/** Images with labels (the validation images of trials). */
export interface LabelledImages {
  readonly x: Float32Array;
  readonly y: Labels;
  readonly n: number;
}

/** A screening in memory (just computed) or read from its folder. */
export interface HantScreening {
  readonly manifest: HantScreeningManifest;
  readonly teacher: Model;
  /** The subgraph of alternative `alt` of unit `unit` with its distilled weights. */
  alternative(unit: number, alt: number): Model;
  /** Training images for batch-norm recalibration of assembled students (the distillation images). */
  readonly calib: { readonly x: Float32Array; readonly n: number };
  /** Validation images a trial's accuracy is measured on. */
  readonly val: LabelledImages;
}

/** The `hant-ilp` strategy options of a screening (its table and budget). */
export function ilpOptions(m: HantScreeningManifest): HantIlpOptions {
  return {
    budgetMs: m.budgetMs,
    fixedMs: m.fixedMs,
    units: m.units.map((u) => ({ name: u.unit.name, alternatives: u.alternatives.map((a) => ({ name: a.name, latencyMs: a.latencyMs, loss: a.loss })) })),
  };
}

/** Alternative index per unit of a trial's parameters (ConfigError naming an unknown value). */
export function choiceOf(m: HantScreeningManifest, params: Params): number[] {
  return m.units.map((u) => {
    const v = params[u.unit.name];
    const j = u.alternatives.findIndex((a) => a.name === v);
    if (j < 0)
      throw new ConfigError(
        `parameter '${u.unit.name}' = ${JSON.stringify(v)}: expected one of the unit's alternatives (${u.alternatives
          .slice(0, 8)
          .map((a) => a.name)
          .join(', ')}${u.alternatives.length > 8 ? ', ...' : ''})`,
      );
    return j;
  });
}

/** Predicted network latency of a choice: fixed + Σ chosen latencies (ms). */
export function predictedLatency(m: HantScreeningManifest, choice: readonly number[]): number {
  return m.units.reduce((s, u, i) => s + (u.alternatives[choice[i] as number]?.latencyMs ?? NaN), m.fixedMs);
}

/**
 * The trial HANT keeps: the complete, feasible (latency within the budget) trial of highest validation
 * accuracy; ties go to the lower latency, then the earlier trial. Undefined when there is none.
 */
export function bestHantTrial(trials: readonly Trial[]): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.values === null || violation(t.constraints) > 0) continue;
    const [acc = NaN, ms = NaN] = t.values;
    const [bAcc = NaN, bMs = NaN] = best?.values ?? [];
    if (!best || acc > bAcc || (acc === bAcc && ms < bMs)) best = t;
  }
  return best;
}

const altPath = (dir: string, u: number, a: number): string => join(dir, 'alts', `u${u}-a${a}.json`);

/** Writes a screening to `dir` (created); the manifest last, so a folder without it is incomplete. */
export function saveScreening(dir: string, s: HantScreening): void {
  mkdirSync(join(dir, 'alts'), { recursive: true });
  saveModel(s.teacher, join(dir, 'teacher.json'));
  s.manifest.units.forEach((u, i) => {
    for (let j = 0; j < u.alternatives.length; j++) saveModel(s.alternative(i, j), altPath(dir, i, j));
  });
  const per = (x: Float32Array, n: number): number => (n > 0 ? x.length / n : 0);
  writeNpy(join(dir, 'calib-x.npy'), { dtype: 'float32', shape: [s.calib.n, per(s.calib.x, s.calib.n)], data: s.calib.x.slice() });
  writeNpy(join(dir, 'val-x.npy'), { dtype: 'float32', shape: [s.val.n, per(s.val.x, s.val.n)], data: s.val.x.slice() });
  writeNpy(
    join(dir, 'val-y.npy'),
    s.val.y instanceof Uint8Array ? { dtype: 'uint8', shape: [s.val.n], data: s.val.y.slice() } : { dtype: 'int32', shape: [s.val.n], data: s.val.y.slice() },
  );
  writeFileAtomic(join(dir, 'screening.json'), [new TextEncoder().encode(JSON.stringify(s.manifest))]);
}

/** Reads `screening.json` of a screening folder (UserError naming the folder when it is missing or not one). */
export function readManifest(dir: string): HantScreeningManifest {
  const path = join(dir, 'screening.json');
  if (!existsSync(path)) {
    throw new UserError(
      `no HANT screening at '${dir}' (no screening.json): expected the folder 'hwnas transform' wrote next to its store; on another machine it must be on a shared disk at the same path`,
    );
  }
  let m: HantScreeningManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as HantScreeningManifest;
  } catch (e) {
    throw new ConfigError(`'${path}' is not valid JSON: ${(e as Error).message}`);
  }
  if (m?.format !== SCREENING_FORMAT || m.version !== 1 || !Array.isArray(m.units)) {
    throw new ConfigError(
      `'${path}' is not an hwnas HANT screening (format ${JSON.stringify(m?.format)}, version ${JSON.stringify(m?.version)}): expected format '${SCREENING_FORMAT}', version 1`,
    );
  }
  return { ...m, policy: parsePolicy(m.policy) };
}

/** Reads a screening folder written by {@link saveScreening}; alternatives load on first use. */
export function loadScreening(dir: string): HantScreening {
  const manifest = readManifest(dir);
  const teacher = loadModel(join(dir, 'teacher.json'));
  const calib = readNpy(join(dir, 'calib-x.npy'), 'HANT calibration images');
  const vx = readNpy(join(dir, 'val-x.npy'), 'HANT validation images');
  const vy = readNpy(join(dir, 'val-y.npy'), 'HANT validation labels');
  if (calib.dtype !== 'float32' || vx.dtype !== 'float32' || (vy.dtype !== 'uint8' && vy.dtype !== 'int32') || vx.shape[0] !== vy.shape[0]) {
    throw new ConfigError(
      `HANT screening '${dir}': image files have unexpected types or sizes (calib ${calib.dtype}, val ${vx.dtype} [${vx.shape.join(',')}], labels ${vy.dtype} [${vy.shape.join(',')}])`,
    );
  }
  const cache = new Map<string, Model>();
  return {
    manifest,
    teacher,
    alternative(u, a) {
      const p = altPath(dir, u, a);
      let m = cache.get(p);
      if (!m) {
        m = loadModel(p);
        cache.set(p, m);
      }
      return m;
    },
    calib: { x: calib.data as Float32Array, n: calib.shape[0] as number },
    val: { x: vx.data as Float32Array, y: vy.data as Labels, n: vx.shape[0] as number },
  };
}
