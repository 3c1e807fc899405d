import { resolve } from 'node:path';
import { requireImagesInSplit } from '../../data/split.js';
import { ConfigError } from '../../errors.js';
import { checkPolicyBits, defaultPolicy, policyPreset } from '../../hardware/precision.js';
import { getTarget } from '../../hardware/registry.js';
import { checkCapacityArgs } from '../../nas/capacity.js';
import { type ArchLatencyOptions, archCost, archLatencyMs, archPolicy, checkNetworkLatencyTarget } from '../../nas/cost.js';
import { loadNasData, loadSearchDataset } from '../../nas/data.js';
import { parseMaxFaultDrop, parseObjectives } from '../../nas/objectives.js';
import { capNasBudget, type NasBest, type NasResult, nasDatasetOptions, summariseNas, tableHv } from '../../nas/run.js';
import { type BlockwiseStrategy, predictorCheck } from '../../nas/strategies/blockwise.js';
import { type NasStrategyConfig, nasStrategyConfig, nasStrategyNames } from '../../nas/strategy-config.js';
import { computationClassKey, formatTableColumns, loadNasTable, type NasTable, resolveTableColumns } from '../../nas/tabular.js';
import { canonicalStrategyName, createStrategy } from '../../search/registry.js';
import { checkJointPrecisions, jointSpaceName } from '../../search/spaces/joint.js';
import { archSpaceTableColumns, getArchSpace } from '../../search/spaces/registry.js';
import { type ArchSpace, spaceInputShape } from '../../search/spaces/types.js';
import { AUTO_PICKS, autoPick } from '../../search/strategies/auto.js';
import { isNb201Space } from '../../search/strategies/nb201-path.js';
import type { JsonValue, Objective } from '../../search/types.js';
import { DEFAULT_STORE_PATH } from '../../store/sqlite-store.js';
import { Rng } from '../../util/rng.js';
import { getEvaluation } from '../../workers/registry.js';
import { checkOutDir, checkOutPath, floatOption, interruptible, intOption, printJson } from '../io.js';
import { studyFilePath } from './study-files.js';
import '../plugins.js';
import { createProgress } from '../progress.js';
import { type ExportedNetwork, exportNasNetworks, outTarget, trialsToExport } from './nas-export.js';
import { checkNasFlags, type NasFlags } from './nas-flags.js';
import { failIfNothingCompleted, openCommandStudy, openStore, runConfiguredStudy } from './study.js';

/** The action of the command registered in src/cli/register/nas.ts (imported when that command runs). */
export const nasAction = async (f: NasFlags) => {
  // evaluators' own progress lines (supernet training, in worker threads too): off like the bars' plain lines
  if (f.json && !process.stderr.isTTY) process.env.HWNAS_QUIET_PROGRESS = '1';
  const flags = checkNasFlags(f);
  const retrievalTask = checkNasTask(f);
  const strategyName = canonicalStrategyName(f.strategy);
  const space = getArchSpace(spaceName(f, strategyName));
  if (strategyName === 'distinct')
    throw new ConfigError(
      `--strategy '${f.strategy}': the repeat filter wraps every strategy unless --no-distinct; expected one of ${nasStrategyNames().join(', ')}`,
    );
  if (!nasStrategyNames().includes(strategyName))
    throw new ConfigError(`--strategy '${f.strategy}': expected one of ${nasStrategyNames().join(', ')} (or the alias 'evolution')`);
  const prescreen = prescreenSettings(f, strategyName, space);
  let budget = flags.budget;
  const seed = flags.seed;
  const objectivesSpec = f.objectives ?? (retrievalTask ? 'map:max,latency_ms:min' : 'accuracy:max,latency_ms:min');
  const objectives = parseObjectives(objectivesSpec);
  const targetName = f.target ?? 'bitfusion-edge';
  const target = getTarget(targetName);
  // with --table the target costs nothing but the strategy's own ranking (two-stage, capacity): not reported otherwise
  const targetUsed = f.table === undefined || strategyName === 'two-stage' || strategyName === 'capacity';
  if (f.table !== undefined) checkNoTableIgnoredFlags(f, targetUsed);
  if (strategyName !== 'blockwise' && space.base !== undefined && f.precisions !== undefined)
    for (const p of f.precisions.split(',').map((x) => x.trim())) checkPolicyBits(policyPreset(p), target.supportedBits, target.name, `--precisions ${p}`);
  const policy = f.policy !== undefined ? policyPreset(f.policy) : undefined;
  const { evaluatorName, latencyMode, maxLatency } = flags;
  if (latencyMode === 'network' && f.table === undefined) checkNetworkLatencyTarget(target, f.target);
  const out = checkNasOut(f, strategyName, evaluatorName, retrievalTask);
  if (strategyName === 'capacity') checkCapacityArgs(space, maxLatency); // before anything costly
  if (strategyName === 'blockwise') {
    if (!(space.options ?? space.base?.options))
      throw new ConfigError(
        `--strategy blockwise distils the stages of MobileNetV2-style networks: space '${space.name}' is not one (use mbv2, mbv2-micro, mbv2-mbnet or mbv2-imagenet)`,
      );
    if (f.table !== undefined || evaluatorName !== 'train' || latencyMode !== 'model')
      throw new ConfigError(
        '--strategy blockwise distils a teacher on --dataset and scores its own students: give --dataset, without --table, --evaluator or --latency network',
      );
  }
  if (strategyName === 'two-stage' && target.kind === 'measured')
    throw new ConfigError(
      `--strategy two-stage ranks parameters by the latency of 200 random architectures from the target's cost model; '${target.name}' is measured per architecture: use another strategy or a modelled target`,
    );
  if ((f.split !== undefined || f.opPreselection === false) && strategyName !== 'two-stage')
    throw new ConfigError(`--split / --no-op-preselection apply to --strategy two-stage, not '${strategyName}'`);
  const { threadsAsked, capacityPoints } = flags;

  // the evaluation, by registry name with JSON options, so that threads, Redis workers and `hwnas study resume` rebuild it
  let evaluator: { name: string; options: Record<string, JsonValue> };
  let tableFrame: ReturnType<typeof tableHv> | undefined;
  let dataLimit: number | undefined;
  if (evaluatorName === 'command') {
    // the user's own trainer evaluates each architecture (docs/evaluators.md); hwnas costs it on the target
    if (f.cmd === undefined) throw new ConfigError('--evaluator command needs --cmd <line>: the command that trains and scores each trial folder');
    if (f.table !== undefined || latencyMode !== 'model')
      throw new ConfigError(
        `--evaluator command: the command scores each trial, so ${f.table !== undefined ? `--table ${f.table}` : `--latency ${f.latency}`} does not apply (give --cmd and, for your data's input shape and classes, --dataset)`,
      );
    const timeoutS = flags.cmdTimeoutS;
    checkNoFaultFlags(f, '--evaluator command');
    evaluator = {
      name: 'command',
      options: {
        cmd: f.cmd,
        space: space.name,
        ...(f.dataset !== undefined ? await commandDataShape(f.dataset) : {}),
        target: targetName,
        objectives: objectivesSpec,
        cwd: process.cwd(),
        ...(f.policy !== undefined ? { policy: f.policy } : {}),
        ...(timeoutS !== undefined ? { timeoutS } : {}),
        ...(maxLatency !== undefined ? { maxLatencyMs: maxLatency } : {}),
      },
    };
  } else if (f.table !== undefined) {
    if (f.dataset !== undefined) throw new ConfigError('give either --table or --dataset, not both');
    checkNoFaultFlags(f, '--table');
    const table = resolve(f.table);
    // reads and checks the table now; with --max-latency the true front is that of the rows under the line
    const columns = resolveTableColumns(table, f.tableColumns, archSpaceTableColumns(space.name));
    const nasTable = loadNasTable(table, space, columns);
    tableFrame = tableHv(nasTable, objectives, maxLatency !== undefined ? { maxMs: maxLatency } : undefined);
    budget = capBudget(budget, space, nasTable);
    const delayMs = flags.tableDelayMs;
    evaluator = {
      name: 'nas-table',
      options: {
        space: space.name,
        table,
        objectives: objectivesSpec,
        ...(columns ? { columns: formatTableColumns(columns) } : {}),
        ...(delayMs > 0 ? { delayMs } : {}),
        ...(maxLatency !== undefined ? { maxLatencyMs: maxLatency } : {}),
      },
    };
  } else {
    if (f.dataset === undefined) throw new ConfigError('give --table <file> (tabular benchmark) or --dataset <spec> (short training per trial)');
    budget = capBudget(budget, space);
    const limit = f.limit === undefined ? undefined : intOption('--limit', f.limit, 2000, 1);
    dataLimit = limit;
    nasDatasetOptions(f.dataset, limit, spaceInputShape(space)); // checks the spec and --limit before the study is created
    const common: Record<string, JsonValue> = {
      space: space.name,
      dataset: f.dataset,
      target: targetName,
      objectives: objectivesSpec,
      ...(limit !== undefined ? { limit } : {}),
      ...(f.policy !== undefined ? { policy: f.policy } : {}),
      ...(latencyMode === 'network' ? { latency: 'network', latencyAnchor: f.latencyAnchor !== false } : {}),
      ...(maxLatency !== undefined ? { maxLatencyMs: maxLatency } : {}),
    };
    evaluator = retrievalTask
      ? retrievalEvaluatorSpec(f, common)
      : evaluatorName === 'supernet'
        ? {
            name: 'nas-supernet',
            options: {
              ...common,
              steps: intOption('--supernet-steps', f.supernetSteps, 1000, 1),
              seed,
              ...(f.supernetSampling !== undefined ? { sampling: f.supernetSampling } : {}),
              ...(f.bnImages !== undefined ? { bnImages: intOption('--bn-images', f.bnImages, 512, 1) } : {}),
            },
          }
        : {
            name: 'nas-train',
            options: {
              ...common,
              epochs: intOption('--epochs', f.epochs, 1, 1),
              ...(f.ptq ? { scoring: 'ptq' } : {}),
              ...(f.qaftEpochs !== undefined ? { qaftEpochs: intOption('--qaft-epochs', f.qaftEpochs, 1, 0) } : {}),
              ...faultOptions(f),
              ...(f.protect !== undefined ? { protect: checkProtect(f, space, strategyName, !!prescreen) } : {}),
            },
          };
    if (evaluatorName !== 'train' || retrievalTask) checkNoFaultFlags(f, `--evaluator ${evaluatorName}${retrievalTask ? ' --task retrieval' : ''}`);
    if ((f.supernetSampling !== undefined || f.bnImages !== undefined) && evaluatorName !== 'supernet')
      throw new ConfigError('--supernet-sampling / --bn-images apply to --evaluator supernet');
    if ((f.ptq || f.qaftEpochs !== undefined) && (space.policy === undefined || evaluatorName !== 'train'))
      throw new ConfigError(
        `--ptq / --qaft-epochs apply to joint spaces (<space>+bits) with --evaluator train; got --space ${space.name} --evaluator ${evaluatorName}`,
      );
    if (evaluatorName === 'supernet' && !space.options)
      throw new ConfigError(`--evaluator supernet needs an mbv2-style space (mbv2, mbv2-micro, mbv2-mbnet, mbv2-imagenet), got '${space.name}'`);
  }
  const blockwise = strategyName === 'blockwise';
  let blockwiseSettings: Record<string, JsonValue> = {};
  if (blockwise) {
    const base = space.base ?? space;
    if (f.teacher !== undefined) base.parse(f.teacher);
    const joint = space.base !== undefined;
    if (!joint && (f.precisions !== undefined || f.qaSteps !== undefined))
      throw new ConfigError(`--precisions / --qa-steps quantize the stage candidates: use a joint space (--space ${space.name}+bits)`);
    const precisions = f.precisions?.split(',').map((x) => x.trim());
    const offered = (space.space.params.q_stem as { choices?: readonly unknown[] } | undefined)?.choices ?? [];
    for (const p of precisions ?? []) {
      // a label the joint space offers and the target runs (ConfigError naming it otherwise)
      if (!offered.includes(p)) throw new ConfigError(`--precisions: '${p}' is not a precision of ${space.name} (expected some of ${offered.join(', ')})`);
      checkPolicyBits(policyPreset(p), target.supportedBits, target.name, `--precisions ${p}`);
    }
    blockwiseSettings = {
      ...(f.teacher !== undefined ? { teacher: base.format(base.parse(f.teacher)) } : {}),
      teacherEpochs: intOption('--teacher-epochs', f.teacherEpochs, 2, 1),
      candidates: intOption('--candidates', f.candidates, 12, 2),
      distillSteps: intOption('--distill-steps', f.distillSteps, 200, 1),
      finetuneEpochs: intOption('--finetune-epochs', f.finetuneEpochs, 1, 0),
      fitTrials: intOption('--fit-trials', f.fitTrials, joint ? 8 : 0, 0),
      ...(joint ? { precisions: precisions ?? ['w8a8', 'w4a8', 'w4a4', 'w2a8'], qaSteps: intOption('--qa-steps', f.qaSteps, 50, 0) } : {}),
    };
  } else getEvaluation(evaluator.name).create(evaluator.options); // checks the options now (data sets and engines load on the first trial)
  // with --protect the repeat filter is off: the same architecture with another ECC share is another design point
  const distinct = f.distinct !== false && f.protect === undefined;
  const settings: Record<string, JsonValue> = {
    space: space.name,
    strategy: strategyName,
    budget,
    seed,
    evaluator,
    distinct,
    ...(prescreen ? { prescreen } : {}),
    ...(strategyName === 'capacity' ? { capacityPoints } : {}),
    ...blockwiseSettings,
    ...(strategyName === 'two-stage'
      ? {
          sensitivityTarget: targetName,
          ...(f.policy !== undefined ? { sensitivityPolicy: f.policy } : {}),
          ...(f.split !== undefined ? { split: f.split } : {}),
          ...(f.opPreselection === false ? { opPreselection: false } : {}),
        }
      : {}),
  };
  if (f.dataset !== undefined && evaluatorName !== 'command') {
    // the data as the trials will load it, before the study is created: a data set the space cannot take, the
    // numbered-class note and counts above the validation split are said now, with nothing stored
    const ds = await loadNasData(f.dataset, dataLimit, space);
    if (f.faultImages !== undefined)
      requireImagesInSplit(intOption('--fault-images', f.faultImages, 1000, 1), '--fault-images', ds.val, 'validation', `--dataset '${f.dataset}'`);
  }
  // a queue name Redis cannot take is refused before the study is created (loads bullmq only when --queue is given)
  if (f.queue !== undefined) (await import('../../workers/redis.js')).checkQueueName(f.queue);
  const storePath = f.store ?? f.storage ?? DEFAULT_STORE_PATH;
  const store = openStore(storePath);
  let sensitive: string[] | undefined;
  let teacherInfo: JsonValue | undefined;
  let twoStageInfo: JsonValue | undefined;
  const threads = cappedThreads(threadsAsked, budget);
  // kept in the study config, so `hwnas study resume` runs as this run did (review55 #5): one trial at a time without
  // --threads, not on every core; with --redis and no --threads the queue's default applies
  const inFlight = f.redis ? (threads > 0 ? threads : undefined) : Math.max(1, threads);
  try {
    const opened = await openCommandStudy(store, {
      storePath,
      ...(inFlight !== undefined ? { concurrency: inFlight } : {}),
      prefix: `nas-${space.name}-${strategyName}`,
      ...(f.study !== undefined ? { name: f.study } : {}),
      settings,
      nTrials: budget,
      prepare: async (name, uid) => {
        if (blockwise) {
          const {
            options: { epochs: _e, latency: _l, latencyAnchor: _a, ...common },
          } = evaluator;
          // keyed by the study's uid: another store's study of this name in the same folder has its own artifact
          const artifact = studyFilePath(storePath, 'blockwise', name, uid);
          const { prepareBlockwise } = await import('../../nas/blockwise-study.js'); // loads the tensor engine
          const bar = createProgress({ total: 1, label: 'block-wise: teacher, distillation', quiet: !!f.json });
          let p: Awaited<ReturnType<typeof prepareBlockwise>>;
          try {
            p = await prepareBlockwise({
              space,
              dataset: await loadSearchDataset(f.dataset as string, common.limit as number | undefined, spaceInputShape(space)),
              target,
              ...(policy ? { policy } : {}),
              artifact,
              ...(f.teacher !== undefined ? { teacher: f.teacher } : {}),
              teacherEpochs: blockwiseSettings.teacherEpochs as number,
              candidatesPerStage: blockwiseSettings.candidates as number,
              steps: blockwiseSettings.distillSteps as number,
              fitTrials: blockwiseSettings.fitTrials as number,
              ...(blockwiseSettings.precisions !== undefined
                ? { precisions: blockwiseSettings.precisions as string[], qaSteps: blockwiseSettings.qaSteps as number }
                : {}),
              seed,
              onProgress: (what, done, total) => {
                if (what === 'distil' || what === 'quantize') {
                  bar.setTotal(total);
                  bar.update(done);
                }
              },
            });
          } finally {
            bar.stop();
          }
          teacherInfo = { ...p.teacher, distillations: p.distillations, jointCombinations: p.jointCombinations, artifact };
          if (!f.json)
            process.stderr.write(
              `block-wise: teacher ${p.teacher.arch} accuracy ${(p.teacher.accuracy * 100).toFixed(2)}% (validation), ${p.teacher.latencyMs.toPrecision(4)} ms on ${target.name}; ${p.distillations} stage distillations (joint space ${p.jointCombinations.toExponential(2)} combinations); saved in ${artifact}\n`,
            );
          return {
            name,
            evaluator: { name: 'nas-blockwise', options: { ...common, artifact, finetuneEpochs: blockwiseSettings.finetuneEpochs as number } },
            strategy: { name: 'blockwise', options: p.strategyOptions as Record<string, JsonValue> },
            objectives: [...objectives],
            nTrials: budget,
            seed,
          };
        }
        const capacityBar = strategyName === 'capacity' ? createProgress({ total: 1, label: 'capacity search', quiet: !!f.json }) : undefined;
        let c: NasStrategyConfig;
        try {
          const anchor = latencyMode === 'network' && f.latencyAnchor !== false ? space.graph(space.fromParams(space.space.sample(new Rng(0)))) : undefined;
          const latency: ArchLatencyOptions = anchor ? { mode: latencyMode, anchor } : { mode: latencyMode };
          c = await nasStrategyConfig(strategyName, space, {
            budget,
            seed,
            distinct,
            ...(f.split !== undefined ? { split: f.split as 'position' | 'effect' } : {}),
            ...(f.opPreselection === false ? { preselectOps: false } : {}),
            sensitivityCost: (p) => archCost(space, p, target, policy ? { policy } : {}).latencyMs,
            capacity: {
              latency: async (a) => {
                const g = space.graph(a);
                return (await archLatencyMs(target, g, archPolicy(space, a, g, policy ?? defaultPolicy(target)), latency)).latencyMs;
              },
              ...(maxLatency !== undefined ? { line: maxLatency } : {}),
              perStratum: capacityPoints,
              onProgress: (done, total) => {
                if (done === 1) capacityBar?.setTotal(total);
                capacityBar?.update(done);
              },
            },
          });
        } finally {
          capacityBar?.stop();
        }
        if (c.twoStage) {
          const sp = c.twoStage.split;
          const fmt = (op: JsonValue[]): string =>
            op.length === 4 ? `k${op[0]}e${op[1]}${op[3] === 'relu' ? 'r' : 'h'}${op[2] ? 's' : ''}` : JSON.stringify(op);
          twoStageInfo = {
            ...(sp ? { split: { end: sp.end, stages: sp.stages, share: sp.share, global: sp.global } } : {}),
            droppedOps: c.twoStage.dropped.map(fmt),
            ...(c.twoStage.probes ? { operators: c.twoStage.probes.length } : {}),
          };
          if (!f.json)
            process.stderr.write(
              `two-stage: stage 1 = ${sp ? `${sp.end} stages ${sp.stages.join(',')} (${(sp.share * 100).toFixed(0)}% of the stages' latency effect on ${target.name})${sp.global.length ? ` + ${sp.global.join(', ')}` : ''}` : 'parameters by latency effect'}; operators dropped before the search: ${c.twoStage.dropped.length}${c.twoStage.probes ? ` of ${c.twoStage.probes.length}` : ''}${c.twoStage.dropped.length ? ` (${c.twoStage.dropped.map(fmt).join(' ')})` : ''}\n`,
            );
        }
        if (c.capacity && !f.json)
          process.stderr.write(
            `capacity search: ${c.capacity.picks.length} strata with a point under ${maxLatency} ms, ${c.capacity.feasible.length} distinct feasible points, ${c.capacity.latencyCalls} latencies taken\n`,
          );
        const inner = { name: c.name, options: c.options as Record<string, JsonValue> };
        return {
          name,
          evaluator,
          strategy: prescreen ? { name: 'prescreen', options: { inner, ...prescreen } } : inner,
          objectives: [...objectives],
          nTrials: budget,
          seed,
        };
      },
    });
    const name = opened.name;
    if (opened.status === 'created') {
      const attrs: Record<string, JsonValue> = {
        archSpace: space.name,
        ...(targetUsed ? { target: targetName } : {}),
        evaluator: f.table !== undefined ? 'table' : evaluatorName,
        ...(f.dataset !== undefined ? { dataset: f.dataset } : {}),
      };
      for (const [k, v] of Object.entries(attrs)) store.setStudyUserAttr(name, k, v);
      if (teacherInfo !== undefined) store.setStudyUserAttr(name, 'teacher', teacherInfo);
      if (twoStageInfo !== undefined) store.setStudyUserAttr(name, 'twoStage', twoStageInfo);
    }
    const strategyOptions = typeof opened.config.strategy === 'object' ? opened.config.strategy.options : undefined;
    const s = strategyOptions?.sensitive;
    if (Array.isArray(s)) sensitive = s.map(String);
    const resumeHint = `hwnas study resume ${name}${(f.store ?? f.storage) ? ` --store ${storePath}` : ''}`;
    process.stderr.write(`study '${name}' in ${storePath} (${opened.status === 'created' ? 'new' : 'continued'}); resume with: ${resumeHint}\n`);
    const { aborted } = await interruptible(async (signal) => {
      const run = await runConfiguredStudy(store, name, {
        threads,
        ...(f.asFinished ? { asFinished: true } : {}),
        ...(f.redis ? { redis: f.redis } : {}),
        ...(f.queue !== undefined ? { queue: f.queue } : {}),
        quiet: !!f.json,
        signal,
      });
      failIfNothingCompleted(run); // every trial failed (e.g. the evaluation command exits non-zero): exit 2 quoting the first error
      return run;
    });
    if (aborted && !f.json) process.stderr.write(`interrupted: the finished trials are kept; continue with ${resumeHint} (or the same command)\n`);
    const r = summariseNas(store.getTrials(name), {
      space,
      objectives,
      ...(tableFrame ? { frame: tableFrame.frame, trueHypervolume: tableFrame.trueHypervolume } : {}),
      ...(tableFrame?.best ? { tableBest: tableFrame.best } : {}),
      ...(sensitive ? { sensitive } : {}),
    });
    const teacher = store.getStudy(name)?.userAttrs.teacher;
    const twoStage = store.getStudy(name)?.userAttrs.twoStage;
    const predictor = blockwise && strategyOptions ? blockwisePredictorCheck(space, strategyOptions, store.getTrials(name), objectives) : undefined;
    let exported: ExportedNetwork[] | undefined;
    if (out && aborted && !f.json)
      process.stderr.write(`--out: nothing written (the search was interrupted); run the same command to finish it and write ${out.path}\n`);
    if (out && !aborted) {
      const todo = trialsToExport(r.pareto, out.kind, objectives[0] as Objective);
      if (todo.length === 0 && !f.json) process.stderr.write('--out: no feasible trial on the front: nothing written\n');
      exported = await exportNasNetworks({
        store,
        study: name,
        seed: typeof opened.config.seed === 'number' ? opened.config.seed : seed,
        space,
        evaluatorOptions: evaluator.options,
        trials: todo,
        out,
        onStart: (t, i, n) => {
          if (!f.json) process.stderr.write(`--out: training trial #${t.number} again (${i + 1}/${n}): ${t.arch}\n`);
        },
      });
    }
    printNas(f, r, {
      space,
      strategy: f.strategy,
      ...(strategyName === 'auto' ? { auto: autoRuns(space, distinct) } : {}),
      ...(targetUsed ? { target: target.name } : {}),
      objectives,
      seed,
      study: name,
      store: storePath,
      aborted,
      ...(teacher !== undefined ? { teacher } : {}),
      ...(twoStage !== undefined ? { twoStage } : {}),
      ...(predictor !== undefined ? { predictor } : {}),
      ...(exported !== undefined ? { exported } : {}),
    });
  } finally {
    store.close();
  }
};

/** The block-wise study's accuracy-predictor check (leave-one-out over its measured students; undefined when fewer than 4 or no accuracy objective). */
function blockwisePredictorCheck(
  space: ArchSpace,
  options: Readonly<Record<string, JsonValue>>,
  trials: Parameters<BlockwiseStrategy['measured']>[0],
  objectives: readonly Objective[],
): JsonValue | undefined {
  const ai = objectives.findIndex((ob) => ob.name === 'accuracy');
  if (ai < 0) return undefined;
  if (space.name !== options.archSpace) return undefined;
  const s = createStrategy('blockwise', options) as BlockwiseStrategy;
  const { x, y } = s.measured(trials, ai);
  if (y.length < 4) return undefined;
  const c = predictorCheck(x, y);
  return { networks: c.networks, perStage: c.perStage, plainSum: c.plainSum, intercept: c.predictor.intercept, stageWeights: [...c.predictor.weights] };
}

/**
 * The space `--space` and `--precisions` name: with `--precisions` (and a strategy other than blockwise, which reads it
 * as its stage precisions) the joint space whose slots choose only among those labels, `<space>+bits[w8a8,w4a8,...]`.
 * The name is stored in the study (settings, evaluator and strategy options), so a resume rebuilds the same space and
 * the same `--study` with other labels is an error.
 */
function spaceName(f: NasFlags, strategyName: string): string {
  if (f.precisions === undefined || strategyName === 'blockwise') return f.space;
  const m = /^(.*)\+bits$/.exec(f.space);
  if (!m)
    throw new ConfigError(
      /\+bits\[/.test(f.space)
        ? `--precisions and --space ${f.space} both set the per-slot labels: give one`
        : `--precisions ${f.precisions}: sets the per-slot precision labels of a joint space; use --space ${f.space}+bits`,
    );
  const labels = checkJointPrecisions(
    f.precisions.split(',').map((x) => x.trim()),
    `--precisions ${f.precisions}`,
  );
  return jointSpaceName(m[1] as string, labels);
}

/** The budget capped at the architectures there are (a note on stderr when it was larger; see capNasBudget). */
function capBudget(budget: number, space: ArchSpace, table?: NasTable): number {
  const c = capNasBudget(budget, space, table);
  if (c.note !== undefined) process.stderr.write(`note: ${c.note}\n`);
  return c.budget;
}

/** `--threads` capped at the budget (a thread per trial at most), with a one-line note when it was larger. */
function cappedThreads(threads: number, budget: number): number {
  if (threads <= budget) return threads;
  process.stderr.write(`note: --threads ${threads} is more than the ${budget} trials of the budget: running ${budget} worker threads\n`);
  return budget;
}

/** The strategy `auto` runs on `space` (the class key comes with the repeat filter, so without it `auto` runs TPE). */
function autoRuns(space: ArchSpace, distinct: boolean): { runs: string; meanClassSize: number | null } {
  const pick = autoPick(space.space, distinct ? computationClassKey(space) : undefined);
  // `hwnas nas --strategy auto` has no mid side (no midClassSize), so the pick is large or small
  return { runs: pick.side === 'mid' ? 'mid' : AUTO_PICKS[pick.side], meanClassSize: pick.classSize ?? null };
}

/** Prints a NAS result: JSON (today's fields plus `study`, `store`, `interrupted`) or the Pareto table. */
function printNas(
  f: NasFlags,
  r: NasResult,
  o: {
    space: ArchSpace;
    strategy: string;
    /** Left out for a table run whose strategy does not cost on a target (the table holds the costs). */
    target?: string;
    objectives: readonly Objective[];
    seed: number;
    study: string;
    store: string;
    aborted: boolean;
    teacher?: JsonValue;
    twoStage?: JsonValue;
    predictor?: JsonValue;
    auto?: { runs: string; meanClassSize: number | null };
    exported?: readonly ExportedNetwork[];
  },
): void {
  if (f.json) {
    printJson({
      space: o.space.name,
      strategy: o.strategy,
      ...(o.auto ? { auto: o.auto } : {}),
      ...(o.target !== undefined ? { target: o.target } : {}),
      objectives: o.objectives,
      seed: o.seed,
      trials: r.trials.map((t) => ({ arch: t.arch, values: t.values })),
      pareto: r.pareto.map((t) => ({ arch: t.arch, values: t.values })),
      // one objective: the best trial and its comparison with the table's best instead of a hypervolume
      ...(o.objectives.length === 1
        ? r.best
          ? {
              best: { trial: r.best.trial.number, arch: r.best.trial.arch, value: r.best.value },
              ...(r.best.tableBest ? { tableBest: r.best.tableBest } : {}),
              ...(r.best.ratio !== undefined ? { bestRatio: r.best.ratio, bestRatioMeaning: ratioMeaning(r.best.objective) } : {}),
            }
          : {}
        : {
            hypervolume: r.hypervolume,
            hypervolumeCurve: r.hypervolumeCurve,
            hypervolumeReference: r.hypervolumeReference,
            ...(r.trueHypervolume !== undefined ? { trueHypervolume: r.trueHypervolume, hypervolumeRatio: r.hypervolumeRatio } : {}),
          }),
      ...(r.sensitive ? { sensitive: r.sensitive } : {}),
      failed: r.failed,
      infeasible: r.infeasible,
      store: o.store,
      study: o.study,
      ...(o.aborted ? { interrupted: true } : {}),
      ...(o.teacher !== undefined ? { teacher: o.teacher } : {}),
      ...(o.twoStage !== undefined ? { twoStage: o.twoStage } : {}),
      ...(o.predictor !== undefined ? { predictor: o.predictor } : {}),
      ...(o.exported !== undefined ? { exported: o.exported } : {}),
    });
    return;
  }
  const out = process.stdout;
  const single = o.objectives.length === 1;
  const found = single ? (r.best ? `best trial #${r.best.trial.number}` : 'no feasible trial') : `${r.pareto.length} on the Pareto front`;
  out.write(
    `${o.space.name} / ${o.strategy}${o.auto ? ` (runs ${o.auto.runs}: ${o.auto.meanClassSize === null ? 'no classes of equal computation known' : `classes of equal computation average ${o.auto.meanClassSize.toFixed(2)} points`})` : ''}: ${r.trials.length} architecture${r.trials.length === 1 ? '' : 's'} evaluated${r.infeasible > 0 ? ` (${r.infeasible} over the constraint)` : ''}, ${found}${o.aborted ? ' (interrupted)' : ''}\n`,
  );
  out.write(`trials recorded in ${o.store}, study '${o.study}' (hwnas report ${o.study} --store ${o.store})\n`);
  if (single) {
    if (r.best) out.write(`${bestLine(r.best)}\n`);
  } else {
    out.write(
      `normalised hypervolume ${r.hypervolume.toFixed(4)}${r.hypervolumeRatio !== undefined ? ` (${(r.hypervolumeRatio * 100).toFixed(1)}% of the table's true front)` : ''}\n`,
    );
    out.write(`hypervolume reference: ${r.hypervolumeReference}\n`);
  }
  if (r.sensitive) out.write(`stage 1 (hardware-sensitive) parameters: ${r.sensitive.join(', ')}\n`);
  const t = o.teacher as { arch?: string; accuracy?: number; latencyMs?: number } | undefined;
  if (t?.arch !== undefined) out.write(`teacher ${t.arch}: accuracy ${Number(t.accuracy).toPrecision(5)}, latency_ms ${Number(t.latencyMs).toPrecision(5)}\n`);
  const pc = o.predictor as { networks?: number; perStage?: { tau: number; mae: number }; plainSum?: { tau: number; mae: number } } | undefined;
  if (pc?.perStage && pc.plainSum)
    out.write(
      `accuracy predictor from stage losses, leave-one-out over ${pc.networks} students: per-stage weights tau ${pc.perStage.tau.toFixed(3)} / MAE ${(pc.perStage.mae * 100).toFixed(2)} pp; plain sum tau ${pc.plainSum.tau.toFixed(3)} / MAE ${(pc.plainSum.mae * 100).toFixed(2)} pp\n`,
    );
  const names = o.objectives.map((x) => x.name);
  out.write(`${names.join('\t')}\tarch\n`);
  for (const t of [...r.pareto].sort((a, b) => (a.values[names[0] as string] as number) - (b.values[names[0] as string] as number))) {
    out.write(`${names.map((n) => Number(t.values[n]).toPrecision(5)).join('\t')}\t${t.arch}\n`);
  }
  for (const e of o.exported ?? []) out.write(`${exportedLine(e)}\n`);
}

/** One `--out` line: the file, its input and its validation accuracy in onnxruntime next to the search's. */
function exportedLine(e: ExportedNetwork): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const rec = e.recordedAccuracy !== undefined ? ` (the search recorded ${pct(e.recordedAccuracy)})` : '';
  return `wrote ${e.file}: trial #${e.trial}, input ${e.input.join('x')}, validation accuracy ${pct(e.onnxAccuracy)} in onnxruntime${rec}`;
}

/**
 * `--out`: where the front networks go, checked before the search. Only the training evaluator trains networks whose
 * accuracy the file can repeat; a table has no weights at all.
 */
function checkNasOut(f: NasFlags, strategyName: string, evaluatorName: string, retrievalTask: boolean): ReturnType<typeof outTarget> | undefined {
  if (f.out === undefined) return undefined;
  if (f.table !== undefined)
    throw new ConfigError(
      `--out ${f.out}: a --table search trains nothing (the table holds each architecture's accuracy and costs), so there are no weights to write; search with --dataset <spec> (short training per trial) to get front networks as ONNX`,
    );
  if (evaluatorName !== 'train' || retrievalTask || strategyName === 'blockwise')
    throw new ConfigError(
      `--out ${f.out}: writes the front networks of a training search (--dataset with --evaluator train, classification, not --strategy blockwise); got ${retrievalTask ? '--task retrieval (train the front architecture with hwnas train space:<space>:<arch> --task retrieval --out)' : strategyName === 'blockwise' ? '--strategy blockwise' : `--evaluator ${evaluatorName}`}`,
    );
  const t = outTarget(f.out);
  if (t.kind === 'file') checkOutPath('--out', t.path);
  else checkOutDir('--out', t.path);
  return t;
}

/** What {@link NasBest.ratio} divides, in words. */
function ratioMeaning(ob: Objective): string {
  return ob.direction === 'maximize' ? `best ${ob.name} found / the table's best` : `the table's best ${ob.name} / best found`;
}

/** The one-objective summary line: the best value found and, in tabular mode, the table's best and the ratio. */
function bestLine(b: NasBest): string {
  const name = b.objective.name;
  const v = (x: number): string => x.toPrecision(5);
  if (!b.tableBest) return `best ${name} ${v(b.value)} (trial #${b.trial.number})`;
  const share =
    b.ratio !== undefined ? `: ${(b.ratio * 100).toFixed(1)}% of it (${ratioMeaning(b.objective)})` : `: a gap of ${v(Math.abs(b.tableBest.value - b.value))}`;
  return `best ${name} ${v(b.value)} (trial #${b.trial.number}); the table's best ${v(b.tableBest.value)}${share}`;
}

/** `--task`: true for retrieval (CMP-NAS), with its flag checks; false for classification. */
function checkNasTask(f: NasFlags): boolean {
  const task = f.task ?? 'classification';
  if (task !== 'classification' && task !== 'retrieval') throw new ConfigError(`--task '${task}': expected classification or retrieval`);
  if (task === 'classification') {
    if (f.galleryModel !== undefined) throw new ConfigError('--gallery-model applies to --task retrieval only');
    if (f.alignWeight !== undefined) throw new ConfigError(`--align-weight ${f.alignWeight} applies to --task retrieval only`);
    return false;
  }
  if (f.galleryModel === undefined)
    throw new ConfigError('--task retrieval needs --gallery-model <g.onnx> (the frozen gallery model the query models must be compatible with)');
  if (f.table !== undefined || (f.evaluator !== undefined && f.evaluator !== 'train'))
    throw new ConfigError('--task retrieval trains each architecture compatibly (short training per trial): drop --table / --evaluator');
  if (f.strategy === 'blockwise') throw new ConfigError('--task retrieval: --strategy blockwise is not supported (it distils a classification teacher)');
  return true;
}

/** The `nas-retrieval` evaluation of `hwnas nas --task retrieval`. */
function retrievalEvaluatorSpec(f: NasFlags, common: Record<string, JsonValue>): { name: string; options: Record<string, JsonValue> } {
  // No default here: a resumed study keeps the λ it was made with (stored with the study; the trials' default is 1).
  const alignWeight =
    f.alignWeight === undefined ? undefined : floatOption('--align-weight', f.alignWeight, 1, 0, 'the weight λ of the alignment term; default 1');
  return {
    name: 'nas-retrieval',
    options: {
      ...common,
      gallery: resolve(f.galleryModel as string),
      epochs: intOption('--epochs', f.epochs, 1, 1),
      // left out when not given, so studies stored before the flag existed are found again
      ...(alignWeight !== undefined ? { alignWeight } : {}),
    },
  };
}

/** The resilience options of the `nas-train` evaluation from the fault flags (issue 14). */
function faultOptions(f: NasFlags): Record<string, JsonValue> {
  const c = f.maxFaultDrop !== undefined ? parseMaxFaultDrop(f.maxFaultDrop) : undefined;
  const ber = f.faultBer !== undefined ? Number(f.faultBer) : undefined;
  if (ber !== undefined && !(ber > 0 && ber <= 1)) throw new ConfigError(`--fault-ber '${f.faultBer}': expected a bit error rate in (0, 1]`);
  if (ber !== undefined && c?.ber !== undefined && ber !== c.ber)
    throw new ConfigError(`--fault-ber ${f.faultBer} and --max-fault-drop ${f.maxFaultDrop} name different bit error rates: give one`);
  const b = ber ?? c?.ber;
  return {
    ...(b !== undefined ? { faultBer: b } : {}),
    ...(c ? { maxFaultDrop: c.maxDrop } : {}),
    ...(f.faultRuns !== undefined ? { faultRuns: intOption('--fault-runs', f.faultRuns, 5, 1) } : {}),
    ...(f.faultImages !== undefined ? { faultImages: intOption('--fault-images', f.faultImages, 1000, 1) } : {}),
  };
}

/** `--protect ecc` (issue 14): where the trial's ECC choice is a plain parameter of the study's space. */
function checkProtect(f: NasFlags, space: ArchSpace, strategyName: string, prescreen: boolean): 'ecc' {
  if (f.protect !== 'ecc') throw new ConfigError(`--protect '${f.protect}': expected ecc`);
  if (space.base === undefined) throw new ConfigError(`--protect ecc needs a joint space with integer precisions (--space ${space.name}+bits)`);
  if (!['nsga2', 'random', 'tpe', 'regularized-evolution'].includes(strategyName) || prescreen)
    throw new ConfigError(
      `--protect ecc works with --strategy nsga2, random, tpe or evolution without --cost-aware / --predictor, not ${strategyName}${prescreen ? ' with a pre-screen' : ''}`,
    );
  return 'ecc';
}

/** The flags of `pairs` that were given (a value other than undefined), by name. */
function givenFlags(pairs: readonly (readonly [string, unknown])[]): string[] {
  return pairs.filter(([, v]) => v !== undefined).map(([k]) => k);
}

function checkNoFaultFlags(f: NasFlags, where: string): void {
  const given = givenFlags([
    ['--max-fault-drop', f.maxFaultDrop],
    ['--fault-ber', f.faultBer],
    ['--fault-runs', f.faultRuns],
    ['--fault-images', f.faultImages],
    ['--protect', f.protect],
  ]);
  if (given.length > 0) throw new ConfigError(`${given.join(', ')} apply to training-based search (--dataset, --evaluator train), not ${where}`);
}

/**
 * `--table`: the table holds accuracy and costs, so the training, evaluator and hardware flags would be ignored:
 * refused by name instead. `--target` / `--policy` stay allowed where the strategy ranks by the target's cost
 * model (two-stage, capacity).
 */
function checkNoTableIgnoredFlags(f: NasFlags, targetUsed: boolean): void {
  const given = givenFlags([
    ...(targetUsed
      ? []
      : ([
          ['--target', f.target],
          ['--policy', f.policy],
        ] as const)),
    ['--evaluator', f.evaluator],
    ['--latency', f.latency],
    ['--no-latency-anchor', f.latencyAnchor === false ? true : undefined],
    ['--epochs', f.epochs],
    ['--limit', f.limit],
    ['--cmd-timeout', f.cmdTimeout],
    ['--supernet-steps', f.supernetSteps],
    ['--supernet-sampling', f.supernetSampling],
    ['--bn-images', f.bnImages],
    ['--qaft-epochs', f.qaftEpochs],
    ['--ptq', f.ptq],
    ['--teacher', f.teacher],
    ['--teacher-epochs', f.teacherEpochs],
    ['--candidates', f.candidates],
    ['--distill-steps', f.distillSteps],
    ['--finetune-epochs', f.finetuneEpochs],
    ['--qa-steps', f.qaSteps],
    ['--fit-trials', f.fitTrials],
  ]);
  if (given.length > 0)
    throw new ConfigError(
      `${given.join(', ')}: no effect with --table (the table holds each architecture's accuracy and costs; training, evaluator and hardware flags apply to --dataset): drop ${given.length === 1 ? 'it' : 'them'}`,
    );
}

/** The 'prescreen' options of --cost-aware / --predictor (undefined without them); generic strategies only, --cost-aware with --table or the train evaluator only. */
function prescreenSettings(f: NasFlags, strategyName: string, space: ArchSpace): Record<string, JsonValue> | undefined {
  if (!f.costAware && f.predictor === false) throw new ConfigError('--no-predictor applies to --cost-aware only (without it, no proposal is screened)');
  if (f.predictorEncoding !== undefined && (!(f.costAware || f.predictor) || f.predictor === false))
    throw new ConfigError(
      `--predictor-encoding ${f.predictorEncoding}: chooses what the GP predictor sees; it needs --predictor or --cost-aware (and not --no-predictor)`,
    );
  if (f.predictorEncoding !== undefined && f.predictorEncoding !== 'onehot' && f.predictorEncoding !== 'path')
    throw new ConfigError(`--predictor-encoding '${f.predictorEncoding}': expected onehot or path`);
  if (f.predictorEncoding === 'path' && !isNb201Space(space.space))
    throw new ConfigError(`--predictor-encoding path: the path encoding is defined for NB201 cells (--space nb201), not --space ${f.space}`);
  // --acquisition / --ehvi-share: left out of the stored options when not given (same reason)
  if (f.acquisition !== undefined && f.acquisition !== 'optimistic' && f.acquisition !== 'ehvi')
    throw new ConfigError(`--acquisition '${f.acquisition}': expected optimistic or ehvi`);
  if (f.acquisition !== undefined && (!f.costAware || f.predictor === false))
    throw new ConfigError(`--acquisition ${f.acquisition}: ranks proposals by the GP of accuracy; it needs --cost-aware (and not --no-predictor)`);
  if (f.ehviShare !== undefined && f.acquisition !== 'ehvi') throw new ConfigError(`--ehvi-share ${f.ehviShare}: applies to --acquisition ehvi only`);
  const share = f.ehviShare === undefined ? undefined : Number(f.ehviShare);
  if (share !== undefined && !(Number.isFinite(share) && share > 0 && share <= 1))
    throw new ConfigError(`--ehvi-share '${f.ehviShare}': expected a number in (0, 1]`);
  if (!f.costAware && !f.predictor) return undefined;
  const flag = f.costAware ? '--cost-aware' : '--predictor';
  if (!['nsga2', 'regularized-evolution', 'tpe', 'random', 'bo'].includes(strategyName))
    throw new ConfigError(
      `${flag} screens the proposals of a generic strategy; --strategy '${f.strategy}' is not one (expected nsga2, evolution, tpe, random or bo)`,
    );
  if (f.costAware && f.table === undefined && (f.evaluator ?? 'train') !== 'train')
    throw new ConfigError(
      `--cost-aware needs --table (its cost columns) or --evaluator train (the target's cost model), not --evaluator ${f.evaluator}: those are the cheap objectives`,
    );
  // the default encoding is left out of the stored options, so studies stored before the flag existed are found again
  const encoding: Record<string, JsonValue> = f.predictorEncoding === 'path' ? { encoding: 'path' } : {};
  const acquisition: Record<string, JsonValue> = {
    ...(f.acquisition !== undefined ? { acquisition: f.acquisition } : {}),
    ...(share !== undefined ? { ehviShare: share } : {}),
  };
  // --cost-aware implies the GP (skipping alone measured worse than plain NSGA-II); --no-predictor turns it off
  return f.costAware ? { costAware: true, surrogate: f.predictor === false ? 'none' : 'gp', ...encoding, ...acquisition } : { surrogate: 'gp', ...encoding };
}

/**
 * `--dataset` of `--evaluator command`: hwnas does not train on it, but each trial's network takes its images (channels,
 * square size) and classes, and the command gets its spec in architecture.json to load it itself (docs/evaluators.md).
 */
async function commandDataShape(spec: string): Promise<{ inChannels: number; inputSize: number; classes: number; dataset: string }> {
  const { loadDataset } = await import('../../data/load.js');
  const ds = await loadDataset(spec);
  const [c, h, w] = ds.shape;
  if (h !== w)
    throw new ConfigError(
      `--dataset '${spec}' gives ${c}x${h}x${w} images: the spaces build square inputs; add size=<n> to the spec (e.g. '${spec};size=${h}')`,
    );
  return { inChannels: c, inputSize: h, classes: ds.numClasses, dataset: spec };
}
