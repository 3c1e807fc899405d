import { createHash, randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ConfigError, UserError } from '../../errors.js';
import type { JsonValue } from '../../search/types.js';
import { DEFAULT_STORE_PATH, SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/types.js';
import { abortOwnRunningTrials, DEFAULT_MAX_RETRIES, runStudy, type StudyResult, studyUid } from '../../study/run-study.js';
import { ATTR, failureReason } from '../../study/study-history.js';
import { evaluatorFor, getEvaluation } from '../../workers/registry.js';
import { checkTableSha256, evaluationTable, fileSha256 } from '../../workers/table-hash.js';
import type { RemoteEvaluator } from '../../workers/types.js';
import { EXIT_INTERRUPTED, interruptible, onForcedStop, printJson, threadsOption } from '../io.js';
import { createProgress } from '../progress.js';
import { parseStudyConfig, readStudyConfig, resolveStudy, type StudyConfig, withStrategyDefaults } from './study-config.js';
import { checkLegacyStudyFiles, removeUnusedStudyFiles } from './study-files.js';
import { checkRunFlags, type RunFlags } from './study-flags.js';
import { evaluatorDelayMs, openStore, printBest, type StoreFlag, withDelay, withoutDelay } from './study-store.js';

export { openStore, requireStorePath } from './study-store.js';

/**
 * Creates a study from a validated config (UserError when the name is taken), with `uid` as its unique id (attribute
 * `uid`; a fresh UUID by default). A study that looks a table up
 * (`nas-table`) records the table's sha256 (attribute `tableSha256`), which {@link runConfiguredStudy} checks.
 */
export function createStudyFromConfig(store: Store, config: StudyConfig, uid: string = randomUUID()): void {
  parseStudyConfig(config, `study '${config.name}' config`); // commands build configs in code: never store one that cannot run
  const r = resolveStudy(config);
  const table = evaluationTable(config.evaluator.name, config.evaluator.options);
  store.createStudy({
    name: config.name,
    objectives: r.objectives,
    space: r.space.toJSON(),
    userAttrs: {
      config: config as unknown as JsonValue,
      seed: r.seed,
      strategy: r.strategy.name,
      uid,
      ...(table !== undefined ? { tableSha256: fileSha256(table) } : {}),
    },
  });
}

/**
 * The evaluation of a study, checked against its table: a `nas-table` study's table file must have the content
 * it was stored with (attribute `tableSha256`, or the evaluation's own `tableSha256` option), else a ConfigError
 * naming the file and both hashes; the hash goes into the evaluation's options, so worker threads and Redis
 * workers check their copy of the file too. A study stored without a hash (before 2026-12-07) continues with a
 * note on stderr, and its hash is recorded from then on (refusing it would strand its stored trials).
 */
function checkedEvaluation(store: Store, name: string, config: StudyConfig): { name: string; options?: Record<string, JsonValue> } {
  const options = config.evaluator.options;
  const table = evaluationTable(config.evaluator.name, options);
  if (table === undefined) return { name: config.evaluator.name, ...(options ? { options } : {}) };
  const own = options?.tableSha256;
  const attr = store.getStudy(name)?.userAttrs.tableSha256;
  const stored = typeof own === 'string' ? own : typeof attr === 'string' ? attr : undefined;
  let sha: string;
  if (stored === undefined) {
    sha = fileSha256(table);
    process.stderr.write(
      `note: study '${name}' was stored without its table's content hash (before 2026-12-07): cannot tell whether ${table} changed since; continuing, its sha256 is recorded from now on\n`,
    );
    store.setStudyUserAttr(name, 'tableSha256', sha);
  } else sha = checkTableSha256(table, stored, `study '${name}'`);
  return { name: config.evaluator.name, options: { ...options, tableSha256: sha } };
}

/**
 * The checks of a config study's evaluation options against the data they name (`checkData` in src/workers/registry.ts, e.g.
 * a `searchImages` above the data set's validation count), before any trial: the same UserError as `hwnas study
 * create`. A command's study is not checked again (its command checked its flags and wrote the options). A study that
 * has trials already (stored before this check existed) continues with a note: refusing it would strand its trials.
 */
async function checkEvaluationData(store: Store, name: string, evaluation: { name: string; options?: Record<string, JsonValue> }): Promise<void> {
  if (store.getStudy(name)?.userAttrs.command !== undefined) return;
  try {
    await getEvaluation(evaluation.name).checkData?.(evaluation.options ?? {});
  } catch (e) {
    const stored = store.getTrials(name).length;
    if (!(e instanceof UserError) || stored === 0) throw e;
    process.stderr.write(
      `note: study '${name}': ${e.message}; its ${stored} stored trial(s) were scored on what the data set holds, so it continues so (a new study with this config is refused)\n`,
    );
  }
}

/** Config fields that decide what a study searches (all but the name, the budget and the evaluator's `delayMs`). */
function searchIdentity(config: StudyConfig): string {
  const { name: _n, nTrials: _t, concurrency: _c, ...rest } = withoutDelay(config);
  return stableJson(rest as unknown as JsonValue);
}

/** JSON with object keys sorted (so equal configs give equal text). */
function stableJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Readonly<Record<string, JsonValue>>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k] as JsonValue)}`)
    .join(',')}}`;
}

/**
 * The default study name of a command: `<prefix>-<8 hex digits of the search's settings>`, so running
 * the same command again finds (and continues) the same study, and other settings get another study.
 */
export function defaultStudyName(prefix: string, config: Omit<StudyConfig, 'name'>): string {
  const hash = createHash('sha256')
    .update(searchIdentity({ ...config, name: 'x' } as StudyConfig))
    .digest('hex')
    .slice(0, 8);
  const clean =
    prefix
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 110) || 'study';
  return `${clean}-${hash}`;
}

/**
 * Creates the study of a config, or checks that the stored study of that name runs the same search
 * (then it is continued: 'resumed'). A larger or smaller `nTrials` is taken as the new budget; any
 * other difference is a ConfigError naming the study (pick another `--study` name).
 */
export function ensureStudy(store: Store, config: StudyConfig): 'created' | 'resumed' {
  const existing = store.getStudy(config.name);
  if (!existing) {
    createStudyFromConfig(store, config);
    return 'created';
  }
  const stored = existing.userAttrs.config;
  if (stored === undefined) throw new ConfigError(`study '${config.name}' exists but was not created by an hwnas command or config; use another --study name`);
  const old = parseStudyConfig(stored, `study '${config.name}' config`);
  if (searchIdentity(old) !== searchIdentity(config)) {
    throw new ConfigError(
      `study '${config.name}' exists with other settings (stored: ${searchIdentity(old).slice(0, 300)}); use another --study name, or the same settings to continue it`,
    );
  }
  if (old.nTrials !== config.nTrials || old.concurrency !== config.concurrency || evaluatorDelayMs(old) !== evaluatorDelayMs(config))
    store.setStudyUserAttr(config.name, 'config', config as unknown as JsonValue);
  return 'resumed';
}

/** What {@link openCommandStudy} returns. */
export interface CommandStudy {
  readonly name: string;
  /** 'created' for a new study, 'resumed' when the store held this command's study already. */
  readonly status: 'created' | 'resumed';
  /** The study's config (the stored one when resumed: costly preparation is not redone). */
  readonly config: StudyConfig;
}

/**
 * The study behind a long command (`hwnas quantize`, `transform`, `nas`). `settings` are the command's
 * own inputs (model, data, target, budget, strategy, seed, ...; JSON); the default name is
 * `<prefix>-<hash of settings>`, so the same command run again continues its study. When the study
 * exists, its stored settings must equal these (ConfigError otherwise) and its stored config is
 * returned without calling `prepare`; else `prepare(name, uid)` builds the config (costly work such as
 * Hessian traces goes there, once) and the study is created with the settings attached and `uid` as its
 * unique id, which keys the files `prepare` writes next to the store (`studyFilePath` of study-files.ts; with `storePath`
 * they are removed when the study is not created). A resumed study
 * of the pre-uid layout is checked to still own its files ({@link checkLegacyStudyFiles}).
 */
export async function openCommandStudy(
  store: Store,
  o: {
    readonly prefix: string;
    readonly name?: string;
    readonly settings: Readonly<Record<string, JsonValue>>;
    readonly nTrials: number;
    readonly prepare: (name: string, uid: string) => StudyConfig | Promise<StudyConfig>;
    /**
     * The store's path: when `prepare` throws, or the process exits during it (Ctrl-C: exit 130 with a line saying
     * nothing is stored, unless the command watches Ctrl-C itself), the files it wrote under the uid next to the store
     * are removed ({@link removeUnusedStudyFiles}); no later run could use them.
     */
    readonly storePath?: string;
    /**
     * Trials this run has in flight (its threads, or its trials on a Redis queue): kept in the config, so that
     * `hwnas study resume` without --threads runs as the command did, not on every core.
     */
    readonly concurrency?: number;
  },
): Promise<CommandStudy> {
  // the evaluator's delayMs is timing only: not in the name's hash nor in the comparison with the stored settings
  const settings = stableJson(withoutDelay(o.settings) as JsonValue);
  const name =
    o.name ??
    `${
      o.prefix
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 110) || 'study'
    }-${createHash('sha256').update(settings).digest('hex').slice(0, 8)}`;
  const existing = store.getStudy(name);
  if (existing) {
    const stored = existing.userAttrs.command;
    if (stored === undefined || existing.userAttrs.config === undefined)
      throw new ConfigError(`study '${name}' exists but was not created by this command; use another --study name`);
    const storedIdentity = stableJson(typeof stored === 'object' && stored !== null ? (withoutDelay(stored) as JsonValue) : stored);
    if (storedIdentity !== settings) {
      throw new ConfigError(
        `study '${name}' exists with other settings (stored: ${storedIdentity.slice(0, 300)}; now: ${settings.slice(0, 300)}); use another --study name, or the same settings to continue it`,
      );
    }
    let config = parseStudyConfig(existing.userAttrs.config, `study '${name}' config`);
    const delayMs = evaluatorDelayMs(o.settings);
    if (config.nTrials !== o.nTrials || (o.concurrency !== undefined && config.concurrency !== o.concurrency) || evaluatorDelayMs(config) !== delayMs) {
      config = withDelay({ ...config, nTrials: o.nTrials, ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}) }, delayMs);
      store.setStudyUserAttr(name, 'config', config as unknown as JsonValue);
      store.setStudyUserAttr(name, 'command', o.settings as JsonValue);
    }
    checkLegacyStudyFiles(existing, config);
    return { name, status: 'resumed', config };
  }
  const uid = randomUUID();
  const storePath = o.storePath;
  const clean = (): void => {
    if (storePath !== undefined) removeUnusedStudyFiles(storePath, name, uid);
  };
  process.on('exit', clean);
  // Ctrl-C during a preparation no command watches (quantize's sensitivity, nas's block-wise distillation) exits
  // through the handler (so `clean` runs) rather than by the signal's default, which skips 'exit' listeners
  const onSig = (): void => {
    process.stderr.write(
      `\ninterrupted while preparing study '${name}'; nothing stored (the study is created when its preparation ends): the same command starts it again\n`,
    );
    process.exit(EXIT_INTERRUPTED);
  };
  const own = storePath !== undefined && process.listenerCount('SIGINT') === 0;
  if (own) process.once('SIGINT', onSig);
  let config: StudyConfig;
  try {
    config = await o.prepare(name, uid);
    if (config.name !== name) throw new Error(`prepare returned a config named '${config.name}', expected '${name}'`);
    if (o.concurrency !== undefined) config = { ...config, concurrency: o.concurrency };
    createStudyFromConfig(store, config, uid);
  } catch (e) {
    clean();
    throw e;
  } finally {
    process.removeListener('exit', clean);
    if (own) process.removeListener('SIGINT', onSig);
  }
  store.setStudyUserAttr(name, 'command', o.settings as JsonValue);
  return { name, status: 'created', config };
}

/** Options of {@link runConfiguredStudy}. */
export interface RunConfiguredOptions {
  /** Enqueue on this Redis (workers run trials) instead of local threads. */
  readonly redis?: string;
  readonly queue?: string;
  /**
   * Local worker threads (0 = in this thread; default: config concurrency or the core count); with `redis`, the trials
   * in flight on the queue when above 0 (default: config concurrency, else 4).
   */
  readonly threads?: number;
  /** Propose from the trials finished so far (faster with uneven durations; not reproducible with several in flight). */
  readonly asFinished?: boolean;
  /** The evaluator's `delayMs` from now on (0: none), stored in the study's config; undefined keeps the stored one. */
  readonly delayMs?: number;
  /** Silence the progress bar. */
  readonly quiet?: boolean;
  readonly signal?: AbortSignal;
}

/** Runs (or resumes) a study created from a config, on threads, Redis workers or in-process. */
export async function runConfiguredStudy(store: Store, name: string, o: RunConfiguredOptions = {}): Promise<StudyResult> {
  const study = store.getStudy(name);
  if (!study)
    throw new UserError(
      `no study named ${JSON.stringify(name)}; create it with 'hwnas study create --config <file>' (known: ${
        store
          .listStudies()
          .map((s) => s.name)
          .join(', ') || 'none'
      })`,
    );
  const cfgJson = study.userAttrs.config;
  if (cfgJson === undefined)
    throw new UserError(`study '${name}' was not created from a config (no 'config' attribute); run it through the API that created it`);
  let config = parseStudyConfig(cfgJson, `study '${name}' config`);
  if (o.delayMs !== undefined && o.delayMs !== (evaluatorDelayMs(config) ?? 0)) {
    config = withDelay(config, o.delayMs);
    store.setStudyUserAttr(name, 'config', config as unknown as JsonValue);
  }
  if (study.userAttrs.command !== undefined) checkLegacyStudyFiles(study, config); // also for 'hwnas study resume'
  const r = resolveStudy(config);
  const evaluation = checkedEvaluation(store, name, config);
  await checkEvaluationData(store, name, evaluation);
  let remote: RemoteEvaluator | undefined;
  const threads = o.threads ?? config.concurrency ?? Math.max(1, availableParallelism());
  if (o.redis) {
    const { makeRedisEvaluator } = await import('../../workers/redis.js');
    remote = await makeRedisEvaluator({
      redisUrl: o.redis,
      ...(o.queue !== undefined ? { queueName: o.queue } : {}), // '' reaches the queue's check (exit 2), not the default
      ...(o.quiet ? {} : { log: (line: string) => process.stderr.write(`${line}\n`) }), // 'waiting for workers', jobs lost by Redis
      evaluation,
      studyUid: studyUid(study),
      // --threads n with --redis: n trials in flight on the queue (it was ignored there)
      concurrency: o.threads !== undefined && o.threads > 0 ? o.threads : (config.concurrency ?? 4),
    });
  } else if (threads > 0) {
    const { makeThreadPoolEvaluator } = await import('../../workers/thread-pool.js');
    remote = makeThreadPoolEvaluator({ evaluation, threads });
  }
  // cost-aware strategies compute the evaluation's cheap objectives (a cost model, a table's cost columns) in this process
  const cheap = strategyIsCostAware(config.strategy) ? await getEvaluation(evaluation.name).cheapObjectives?.(evaluation.options ?? {}) : undefined;
  if (strategyIsCostAware(config.strategy) && !cheap)
    throw new UserError(
      `study '${name}': its strategy is cost-aware but evaluator '${evaluation.name}' gives no cheap objectives (cost-aware search needs hardware-cost objectives: a table's cost columns (nas-table) or the target's cost model (nas-train))`,
    );
  // one objective: the best value so far; several: how many trials are on the Pareto front so far
  const single = r.objectives.length === 1;
  const field = single ? 'best' : 'pareto-front';
  const bar = createProgress({ total: config.nTrials, label: name, fields: [field], quiet: o.quiet ?? false });
  let failedHere = 0;
  let finishedHere = 0;
  // a second Ctrl-C exits at once: the trials this process runs are marked failed first, so none stays 'running'
  const release = onForcedStop(() => {
    bar.stop();
    const n = abortOwnRunningTrials(store, name);
    return n.length > 0
      ? `trial${n.length === 1 ? '' : 's'} ${n.join(', ')} of study '${name}' marked failed; the next run of the study (the same command, or hwnas study resume ${name}${store instanceof SqliteStore && store.path !== DEFAULT_STORE_PATH ? ` --store ${store.path}` : ''}) runs ${n.length === 1 ? 'it' : 'them'} again`
      : undefined;
  });
  try {
    return await runStudy({
      ...(cheap ? { cheapObjectives: cheap } : {}),
      store,
      studyName: name,
      space: r.space,
      objectives: r.objectives,
      strategy: r.strategy,
      evaluate: remote?.evaluate ?? evaluatorFor(evaluation),
      // external commands run as separate processes: in this process, `concurrency` of them at once (pruning needs this process)
      concurrency: remote?.concurrency ?? (evaluation.name === 'command' ? (config.concurrency ?? 1) : 1),
      nTrials: config.nTrials,
      ...(o.asFinished ? { asFinished: true } : {}),
      retry: { maxRetries: config.maxRetries ?? DEFAULT_MAX_RETRIES },
      ...(r.pruner ? { pruner: r.pruner } : {}),
      seed: r.seed,
      catchErrors: true,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => {
        // a trial stopped by the user's interruption is not a failure to report (the interruption line says it)
        if (p.trial.state === 'failed' && p.trial.userAttrs[ATTR.failReason] !== 'aborted' && !o.signal?.aborted) {
          failedHere++;
          // once per failed trial, as the store has it (hwnas study export shows it in full)
          if (!o.quiet) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${name}: trial ${p.trial.number} failed: ${failureReason(p.trial)}\n`);
        }
        finishedHere++;
        bar.update(p.done, {
          [field]: single ? (p.best[0]?.values ?? []).map((v) => v.toPrecision(4)).join(', ') : `${p.best.length} trial${p.best.length === 1 ? '' : 's'}`,
        });
      },
    });
  } finally {
    release();
    bar.stop();
    if (failedHere > 0 && !o.quiet)
      process.stderr.write(
        `${name}: ${failedHere} of ${finishedHere} trial${finishedHere === 1 ? '' : 's'} run here failed (reasons above; all of them: hwnas study export ${name})\n`,
      );
    await remote?.close();
  }
}

/** True when a study config's strategy is (or wraps) a 'prescreen' with costAware set. */
function strategyIsCostAware(s: unknown): boolean {
  if (s === null || typeof s !== 'object') return false;
  const o = (s as { options?: Record<string, unknown> }).options;
  if ((s as { name?: unknown }).name === 'prescreen' && o?.costAware === true) return true;
  return o !== undefined && (strategyIsCostAware(o.inner) || strategyIsCostAware(o.stage1) || strategyIsCostAware(o.stage2));
}

/**
 * A study whose every trial failed with an error (a bad evaluator option, a missing file) did not
 * run: a UserError quoting the first error, not a summary with exit 0.
 */
export function failIfNothingCompleted(r: StudyResult): void {
  if (r.aborted || r.trials.some((t) => t.state === 'complete' || t.state === 'pruned' || t.state === 'running')) return;
  const failed = r.trials.filter((t) => t.state === 'failed');
  if (failed.length === 0) return;
  const first = failed.find((t) => typeof t.userAttrs['hwnas:error'] === 'string');
  throw new UserError(
    `study '${r.study.name}': all ${failed.length} trials failed${first ? `; first error (trial ${first.number}): ${String(first.userAttrs['hwnas:error'])}` : ''}`,
  );
}

function summary(r: StudyResult): Record<string, unknown> {
  const counts: Record<string, number> = {};
  for (const t of r.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return {
    study: r.study.name,
    trials: r.trials.length,
    created: r.created,
    recovered: r.recovered,
    aborted: r.aborted,
    counts,
    best: r.best.map((t) => ({ number: t.number, values: t.values, params: t.params })),
  };
}

async function runAction(name: string, f: RunFlags): Promise<void> {
  const threads = f.threads !== undefined ? threadsOption(f.threads) : undefined;
  const delayMs = checkRunFlags(name, f);
  const store = openStore(f.store, false, true);
  try {
    await interruptible(async (signal) => {
      const r = await runConfiguredStudy(store, name, {
        ...(f.redis ? { redis: f.redis } : {}),
        ...(f.queue !== undefined ? { queue: f.queue } : {}),
        ...(threads !== undefined ? { threads } : {}),
        ...(f.asFinished ? { asFinished: true } : {}),
        ...(delayMs !== undefined ? { delayMs } : {}),
        quiet: !!f.json,
        signal,
      });
      failIfNothingCompleted(r);
      if (f.json) printJson(summary(r));
      else {
        const s = summary(r);
        process.stdout.write(
          `study '${name}': ${r.trials.length} trials (${JSON.stringify(s.counts)}), ${r.created} created now, ${r.recovered} recovered${r.aborted ? ', stopped early (resume with hwnas study resume)' : ''}\n`,
        );
        printBest(store, name);
      }
    });
  } finally {
    store.close();
  }
}

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const createAction = async (f: StoreFlag & { config: string }) => {
  const config = withStrategyDefaults(readStudyConfig(f.config));
  // Validate everything (evaluator and its options, also against its data; space, strategy) before a store file is made or touched.
  resolveStudy(config);
  evaluatorFor({ name: config.evaluator.name, ...(config.evaluator.options ? { options: config.evaluator.options } : {}) });
  await getEvaluation(config.evaluator.name).checkData?.(config.evaluator.options ?? {});
  const store = openStore(f.store);
  try {
    createStudyFromConfig(store, config);
    const s = store.getStudy(config.name);
    if (f.json) printJson(s);
    else
      process.stdout.write(
        `created study '${config.name}' (${s?.objectives.map((o) => `${o.name} ${o.direction}`).join(', ')}), ${config.nTrials} trials; run it with: hwnas study run ${config.name}${f.store !== undefined ? ` --store ${f.store}` : ''}\n`,
      );
  } finally {
    store.close();
  }
};

/** The action of the command registered in src/cli/register/study.ts (imported when that command runs). */
export const runOrResumeAction = (name: string, f: RunFlags) => runAction(name, f);
