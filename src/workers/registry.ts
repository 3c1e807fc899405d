/**
 * Evaluations by name. Functions cannot travel over Redis or into a worker thread, so a study names
 * its evaluation (`{ name, options }`, JSON) and every process that runs trials builds the function
 * from this registry. Built-ins are in ./builtin.ts; more are added with {@link registerEvaluation}
 * in a module that workers load too (`hwnas worker --import <module>`).
 */
import { ConfigError } from '../errors.js';
import type { SearchSpace } from '../search/space.js';
import type { CheapObjectives, JsonValue, Objective } from '../search/types.js';
import type { Evaluator } from '../study/run-study.js';

/** A JSON reference to a registered evaluation: what a study config and a queued job carry. */
export interface EvaluationSpec {
  /** Registry name (e.g. 'zdt1', 'policy-cost'). */
  readonly name: string;
  /** Options of the evaluation (validated by its factory). */
  readonly options?: Readonly<Record<string, JsonValue>>;
}

/**
 * A built evaluation function, with an optional `dispose` that frees what it holds once loaded (the tensors of an engine
 * model). A process calls it when it drops the evaluation ({@link evaluatorFor} beyond {@link KEPT_EVALUATORS}, and
 * {@link disposeEvaluators} when a worker shuts down), never while a call of it is running; a later call must work
 * again (it loads anew), so a caller still holding the function is not broken by the drop.
 */
export type BuiltEvaluator = Evaluator & { readonly dispose?: () => void | Promise<void> };

/** A registered evaluation: a factory plus optional defaults for the study's space and objectives. */
export interface EvaluationEntry {
  readonly name: string;
  /** One line for `hwnas study` help and errors. */
  readonly description: string;
  /** Builds the evaluation function (ConfigError naming the bad option); give it a `dispose` when it holds tensors. */
  create(options: Readonly<Record<string, JsonValue>>): BuiltEvaluator;
  /** The natural search space of this evaluation (used when a study config gives none). */
  defaultSpace?(options: Readonly<Record<string, JsonValue>>): SearchSpace;
  /**
   * Architecture evaluations: the name of the architecture space (src/search/spaces/registry.ts) their
   * default space is, so `hwnas study create` applies the repeat filter as `hwnas nas` does; undefined when these
   * options make it no architecture search (`command` with `model`).
   */
  archSpace?(options: Readonly<Record<string, JsonValue>>): string | undefined;
  /** The objectives this evaluation returns, in value order. */
  objectives(options: Readonly<Record<string, JsonValue>>): Objective[];
  /**
   * Cost-aware search: the objectives computable without an evaluation (a cost model, a table's cost
   * columns, a training evaluator's cost model: that one may load the data set first to learn its shape),
   * handed to the strategy in the study's process; undefined when none is.
   */
  cheapObjectives?(options: Readonly<Record<string, JsonValue>>): CheapObjectives | undefined | Promise<CheapObjectives | undefined>;
  /**
   * Checks of the options against the data they name, which the factory cannot make without loading it (e.g. a
   * `searchImages` above the data set's validation count): a UserError naming the option, its value and what the data
   * allows. Run by `hwnas study create` and before a config's study runs, in the study's process; may load the data set.
   */
  checkData?(options: Readonly<Record<string, JsonValue>>): Promise<void>;
}

const entries = new Map<string, EvaluationEntry>();

/** Registers (or replaces) an evaluation under `entry.name`. */
export function registerEvaluation(entry: EvaluationEntry): void {
  entries.set(entry.name, entry);
}

/** Names of the registered evaluations, sorted. */
export function evaluationNames(): string[] {
  return [...entries.keys()].sort();
}

/** The registered evaluation (ConfigError naming the known ones when unknown). */
export function getEvaluation(name: string): EvaluationEntry {
  const e = entries.get(name);
  if (!e) throw new ConfigError(`unknown evaluator '${name}'; expected one of ${evaluationNames().join(', ') || '(none registered)'}`);
  return e;
}

/**
 * How many built evaluation functions a process keeps ({@link evaluatorFor}). A built evaluation holds what it loaded
 * on first use (a data set, a model, calibration), so a long-lived `hwnas worker` serving the studies of many
 * settings kept every one of them until session 55; now the least recently used beyond this many are dropped (a
 * job of a dropped spec builds it again) and, since session 56, disposed (see {@link BuiltEvaluator}). A few, not one: a worker running the jobs of two studies side by side
 * would otherwise rebuild for every job.
 */
export const KEPT_EVALUATORS = 4;

/** A kept evaluation: the calls of it running now, and whether it was dropped (disposed once they end). */
interface Kept {
  readonly f: BuiltEvaluator;
  readonly call: Evaluator;
  running: number;
  dropped: boolean;
}

const built = new Map<string, Kept>();

/** Disposes a dropped evaluation now when idle (else its last running call does); a failing dispose is ignored. */
function release(k: Kept): Promise<void> {
  if (!k.dropped || k.running > 0 || !k.f.dispose) return Promise.resolve();
  try {
    return Promise.resolve(k.f.dispose()).catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}

function keep(f: BuiltEvaluator): Kept {
  const k: Kept = {
    f,
    running: 0,
    dropped: false,
    call: async (params, ctx) => {
      k.running++;
      try {
        return await f(params, ctx);
      } finally {
        k.running--;
        void release(k);
      }
    },
  };
  return k;
}

/**
 * The evaluation function of a spec, built once per process and spec (factories may be costly) and kept while it is
 * among the {@link KEPT_EVALUATORS} most recently asked for; one dropped beyond that is disposed (see {@link BuiltEvaluator})
 * once its running calls end.
 */
export function evaluatorFor(spec: EvaluationSpec): Evaluator {
  const key = JSON.stringify([spec.name, spec.options ?? {}]);
  let k = built.get(key);
  if (k)
    built.delete(key); // re-inserted below: the map's order is the order of use
  else k = keep(getEvaluation(spec.name).create(spec.options ?? {}));
  built.set(key, k);
  for (const [old, o] of built) {
    if (built.size <= KEPT_EVALUATORS) break;
    built.delete(old);
    o.dropped = true;
    void release(o);
  }
  return k.call;
}

/**
 * Drops every kept evaluation (a worker shutting down): the idle ones are disposed before this resolves, the running
 * ones when their calls end.
 */
export async function disposeEvaluators(): Promise<void> {
  const all = [...built.values()];
  built.clear();
  for (const k of all) k.dropped = true;
  await Promise.all(all.map(release));
}

/** Imports modules that register more evaluations (paths or package names), in order. */
export async function importEvaluationModules(modules: readonly string[]): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  const { isAbsolute, resolve } = await import('node:path');
  for (const m of modules) {
    const target = m.startsWith('.') || isAbsolute(m) ? pathToFileURL(resolve(m)).href : m;
    try {
      await import(target);
    } catch (e) {
      throw new ConfigError(`cannot import evaluation module ${JSON.stringify(m)}: ${(e as Error).message}`);
    }
  }
}
