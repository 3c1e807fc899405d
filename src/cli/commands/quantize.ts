import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { requireImagesInSplit, requireScoredSplit } from '../../data/split.js';
import { ConfigError, InfeasibleError, UserError } from '../../errors.js';
import { getTarget, type HardwareTarget } from '../../hardware/index.js';
import type { Graph, Model } from '../../ir/index.js';
import type { PrecisionPolicy } from '../../ir/precision.js';
import { saveModel } from '../../ir/serialize.js';
import { parseMaxFaultDrop, parseObjectives } from '../../nas/objectives.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { budgetEcho, PolicyCoster, parseBudget, quantLayerInfos } from '../../quant/cost.js';
import type { ChannelSetup, QuantEvent, QuantPlanOptions, QuantSession, QuantStrategy } from '../../quant/index.js';
import { paretoTrials } from '../../search/pareto.js';
import type { JsonValue, Objective, Trial } from '../../search/types.js';
import { DEFAULT_STORE_PATH } from '../../store/sqlite-store.js';
import { formatTable, type TableColumn } from '../../util/table.js';
import { checkOutPath, humanCount, interruptible, intOption, printJson, seedOption } from '../io.js';
import { createProgress } from '../progress.js';
import { STRATEGIES } from '../register/quantize.js';
import { onnxAccuracy } from './eval.js';
import { openCommandStudy, openStore, runConfiguredStudy } from './study.js';
import { studyFilePath } from './study-files.js';
import { datasetForModel, sayWhereOnInterrupt, trainedModel, trainProgress } from './train.js';

/** What `--objectives` may name (issue 14): accuracy (maximised, first) and the costs and resilience (minimised). */
const QUANT_METRICS = ['accuracy', 'latency_ms', 'energy_mj', 'size_kb', 'fault_drop', 'fault_score'] as const;
type QuantMetric = (typeof QUANT_METRICS)[number];

/** `--objectives accuracy:max,latency_ms:min,fault_drop:min` (undefined without the flag). */
function parseQuantObjectives(spec: string | undefined, strategy: QuantStrategy): QuantMetric[] | undefined {
  if (spec === undefined) return undefined;
  const list = parseObjectives(spec);
  for (const o of list) {
    if (!(QUANT_METRICS as readonly string[]).includes(o.name))
      throw new ConfigError(`--objectives: '${o.name}' is not a quantize metric; expected ${QUANT_METRICS.join(', ')}`);
    const want = o.name === 'accuracy' ? 'maximize' : 'minimize';
    if (o.direction !== want) throw new ConfigError(`--objectives: '${o.name}' can only be ${want === 'maximize' ? 'max' : 'min'}imised here`);
  }
  if (list[0]?.name !== 'accuracy')
    throw new ConfigError(`--objectives '${spec}': expected accuracy:max first (the final policy is the most accurate feasible trial)`);
  if (list.length > 1 && strategy !== 'nsga2' && strategy !== 'random')
    throw new ConfigError(`--objectives with ${list.length} objectives needs --strategy nsga2 or random, not ${strategy}`);
  return list.map((o) => o.name as QuantMetric);
}

function parseBits(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const bits = s.split(',').map((x) => Number(x.trim()));
  if (bits.length === 0 || bits.some((b) => !Number.isInteger(b) || b < 1 || b > 8))
    throw new ConfigError(`--bits must be a comma list of integers 1..8, got '${s}'`);
  // refused here, before any training: a repeated width used to fail only after it, inside a strategy's score table
  const repeated = bits.find((b, i) => bits.indexOf(b) !== i);
  if (repeated !== undefined) throw new ConfigError(`--bits '${s}' repeats ${repeated}: expected each bit-width once`);
  return bits;
}

/**
 * Gap (as a fraction) between the command's score of the chosen policy and hwnas's post-training accuracy of it above
 * which quantize warns: 5 points, about twice the sampling error of an accuracy near 85% on 200 test images
 * (sqrt(0.85 x 0.15 / 200) = 2.5 points), and the command scores other images than hwnas's test split; a broken
 * evaluator (review56: 0.99 vs 45%) is far beyond it.
 */
const COMMAND_SCORE_GAP = 0.05;

/**
 * Fail fast on a budget that no precision can meet (before a zoo model is trained for minutes): the
 * cheapest uniform precision the target runs at the candidate bit-widths is costed on the graph. Only for
 * analytical targets (no `prepare`), whose cost does not fall when bits rise; the search itself still
 * checks exactly.
 */
function checkBudgetReachable(graph: Graph, target: HardwareTarget, budgetSpec: string, bits: readonly number[] | undefined): void {
  const cand = bits ?? [2, 3, 4, 5, 6, 7, 8];
  const w = cand.filter((b) => target.supportedBits.weight.includes(b));
  const a = cand.filter((b) => target.supportedBits.act.includes(b));
  if (w.length === 0 || a.length === 0) return; // the pipeline names the unsupported bit-widths
  const coster = new PolicyCoster(graph, target);
  const budget = parseBudget(budgetSpec, coster.uniformCost({ weightBits: 8, actBits: 8 }));
  let cheapest = Infinity;
  for (const wb of w) for (const ab of a) cheapest = Math.min(cheapest, coster.uniformCost({ weightBits: wb, actBits: ab })[budget.kind]);
  if (cheapest > budget.value) {
    const unit = { latency: ' ms', energy: ' mJ', size: ' bytes', bops: ' bit-ops' }[budget.kind];
    throw new InfeasibleError(
      `--budget '${budgetSpec}' cannot be met on '${target.name}': it allows ${budget.kind} ${fmt(budget.value)}${unit}, the cheapest achievable is ${fmt(cheapest)}${unit} ` +
        `(uniform W${Math.min(...w)}A${Math.min(...a)}); expected a budget >= ${fmt(cheapest)}${unit}`,
    );
  }
}

/** The trial cap of a greedy study: the bound on its path for the graph's layers and the candidate widths the target runs. */
async function greedyCap(graph: Graph, target: HardwareTarget, bits: readonly number[] | undefined): Promise<number> {
  const { greedyTrialBound } = await import('../../quant/strategies/greedy.js');
  const cand = bits ?? [2, 3, 4, 5, 6, 7, 8];
  const w = cand.filter((b) => target.supportedBits.weight.includes(b)).length;
  const a = cand.filter((b) => target.supportedBits.act.includes(b)).length;
  return greedyTrialBound(quantLayerInfos(graph).length, w, a);
}

/** `--protect ecc|range|ecc,range` (undefined without the flag). */
function parseProtect(spec: string | undefined): { readonly ecc: boolean; readonly range: boolean } | undefined {
  if (spec === undefined) return undefined;
  const items = spec.split(',').map((x) => x.trim());
  const bad = items.find((x) => x !== 'ecc' && x !== 'range');
  if (bad !== undefined || items.length === 0) throw new ConfigError(`--protect '${spec}': expected ecc, range or ecc,range (got '${bad ?? ''}')`);
  return { ecc: items.includes('ecc'), range: items.includes('range') };
}

/**
 * The ILP's fault row (issue 14): the predictor's per-layer damage at `ber`, and with `protect` the protection
 * options with their cost on the target in the budget's units (ECC per layer: src/resilience/protection.ts
 * `eccExtraCost`; range restriction: the clip nodes' network cost at the W8A8 reference, which the trial
 * evaluation then costs exactly for the chosen policy).
 */
async function faultRow(
  graph: Graph,
  weights: Model['weights'],
  target: HardwareTarget,
  session: QuantSession,
  ber: number,
  max: number,
  protect: { readonly ecc: boolean; readonly range: boolean } | undefined,
): Promise<NonNullable<QuantPlanOptions['fault']>> {
  const [{ eccSurvivalFactor, layerDamageFn }, prot, { uniformPolicy }] = await Promise.all([
    import('../../resilience/predictor.js'),
    import('../../resilience/protection.js'),
    import('../../hardware/precision.js'),
  ]);
  const kind = session.budget.kind;
  const names = session.coster.layers.map((l) => l.name);
  const harden = protect?.ecc
    ? {
        factor: eccSurvivalFactor(ber),
        extraCost: (layer: number, p: { weightBits: number; actBits: number }) => prot.eccExtraCost(target, graph, names[layer] as string, p)[kind],
      }
    : undefined;
  let range: { damage: (layer: number, p: { weightBits: number; actBits: number }) => number; extraCost: number } | undefined;
  if (protect?.range) {
    const bounds = new Map(prot.rangeRestrictionPoints(graph).map((x) => [x, { min: 0, max: 1 }] as const));
    const restricted = prot.restrictRanges({ graph, weights: new Map() }, bounds).graph;
    const c = prot.protectionCost(target, graph, uniformPolicy(8, 8), { restricted });
    const extra = { latency: c.latencyMs - c.baseLatencyMs, energy: c.energyMj - c.baseEnergyMj, size: 0, bops: 0 };
    range = { damage: layerDamageFn(graph, ber, weights, { rangeRestriction: true }), extraCost: extra[kind] };
  }
  return { damage: layerDamageFn(graph, ber, weights), max, ...(harden ? { harden } : {}), ...(range ? { range } : {}) };
}

/** The protection of the study's chosen trial, costed on the target for its policy, with the predictor's score. */
async function chosenProtection(s: QuantSession, trials: readonly Trial[], trial: number, policy: PrecisionPolicy) {
  const [{ readProtection }, prot, { predictResilience }] = await Promise.all([
    import('../../quant/strategies/problem.js'),
    import('../../resilience/protection.js'),
    import('../../resilience/predictor.js'),
  ]);
  const t = trials.find((x) => x.number === trial);
  if (!t) throw new Error(`trial ${trial} is not in the study`);
  const graph = s.model.graph;
  const { hardened, range } = readProtection(
    s.coster.layers.map((l) => ({ name: l.name, outChannels: l.outChannels })),
    t.params,
  );
  const bounds = new Map(prot.rangeRestrictionPoints(graph).map((x) => [x, { min: 0, max: 1 }] as const));
  const restricted = range ? prot.restrictRanges({ graph, weights: new Map() }, bounds).graph : undefined;
  const c = prot.protectionCost(s.target, graph, policy, { ...(restricted ? { restricted } : {}), hardened: new Set(hardened) });
  const ber = typeof t.userAttrs.fault_ber === 'number' ? t.userAttrs.fault_ber : 1e-5;
  const faultScore = predictResilience(graph, policy, ber, s.model.weights, { rangeRestriction: range, hardened: new Set(hardened) }).score;
  return {
    range,
    hardened,
    baseLatencyMs: c.baseLatencyMs,
    extraLatencyMs: c.latencyMs - c.baseLatencyMs,
    extraEnergyMj: c.energyMj - c.baseEnergyMj,
    extraWeightBytes: c.extraWeightBytes,
    faultScore,
    ber,
  };
}

/** The one objective of a quantization study without `--objectives`. */
const QUANT_OBJECTIVES_DEFAULT: readonly Objective[] = [{ name: 'accuracy', direction: 'maximize' }];

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** Bytes in KiB (1024 bytes), 4 significant digits: the one size unit of `quantize` (its `size_kb` objective is KiB too). */
function kib(bytes: number): string {
  return fmt(bytes / 1024);
}

/** One point of the `--json` front: the trial, its objective values (accuracy as `valAccuracy`), its policy. */
type FrontPoint = { readonly trial: number; readonly policy: JsonValue } & Readonly<Record<string, number | JsonValue>>;

/**
 * The feasible Pareto front of a multi-objective quantize study, most accurate first: each point's stored values under the
 * objectives' names, except accuracy, which is named `valAccuracy` (the trials are scored on the validation images the
 * search uses, while the top-level accuracies of the result are on the test split).
 */
function frontPoints(trials: readonly Trial[], objectives: readonly Objective[]): FrontPoint[] {
  return paretoTrials(trials, objectives)
    .sort((a, b) => (b.values?.[0] ?? 0) - (a.values?.[0] ?? 0) || a.number - b.number)
    .map((t) => ({
      trial: t.number,
      ...Object.fromEntries(objectives.map((o, i) => [o.name === 'accuracy' ? 'valAccuracy' : o.name, t.values?.[i] ?? null])),
      policy: t.userAttrs.policy ?? null,
    }));
}

/** Text headers and formats of the front table's objective columns. */
const FRONT_COLUMNS: Readonly<Record<QuantMetric, { readonly header: string; readonly format: (v: number) => string }>> = {
  accuracy: { header: 'val accuracy', format: (v) => `${(v * 100).toFixed(2)}%` },
  latency_ms: { header: 'latency ms', format: fmt },
  energy_mj: { header: 'energy mJ', format: fmt },
  size_kb: { header: 'size KiB', format: fmt },
  fault_drop: { header: 'fault drop pp', format: (v) => (v * 100).toFixed(2) },
  fault_score: { header: 'fault score', format: fmt },
};

/**
 * The front as a text table (review 52 #11: it was in `--json` only): one row per point, the chosen trial marked `*`,
 * each objective's value, and the weight / activation bits per layer in the layers' order.
 */
function formatFront(front: readonly FrontPoint[], objectives: readonly Objective[], chosen: number, layers: readonly string[], valImages: number): string {
  const bitsOf = (policy: JsonValue, key: 'weightBits' | 'actBits'): string => {
    const p = policy as { default?: Record<string, number>; layers?: Record<string, Record<string, number>> } | null;
    return layers.map((l) => String(p?.layers?.[l]?.[key] ?? p?.default?.[key] ?? '?')).join(',');
  };
  const rows = front.map((pt) => ({
    trial: `${pt.trial === chosen ? '*' : ''}${pt.trial}`,
    ...Object.fromEntries(
      objectives.map((o) => {
        const v = pt[o.name === 'accuracy' ? 'valAccuracy' : o.name];
        return [o.name, typeof v === 'number' ? FRONT_COLUMNS[o.name as QuantMetric].format(v) : '-'];
      }),
    ),
    w: bitsOf(pt.policy, 'weightBits'),
    a: bitsOf(pt.policy, 'actBits'),
  }));
  const columns: TableColumn<Record<string, string>>[] = [
    { key: 'trial', header: 'trial', align: 'right' },
    ...objectives.map((o): TableColumn<Record<string, string>> => ({ key: o.name, header: FRONT_COLUMNS[o.name as QuantMetric].header, align: 'right' })),
    { key: 'w', header: `W bits (${layers.join(',')})` },
    { key: 'a', header: 'A bits' },
  ];
  const names = objectives.map((o) => `${o.name}:${o.direction === 'maximize' ? 'max' : 'min'}`).join(', ');
  return (
    `feasible Pareto front of the study (${names}): ${front.length} trial(s), * = the chosen policy above; ` +
    `val accuracy = the search's score of the trial on ${valImages} validation images (not the test split); size in KiB\n` +
    `${formatTable(rows, columns)}\n`
  );
}

/** The action of the command registered in src/cli/register/quantize.ts (imported when that command runs). */
export const quantizeAction = async (
  spec: string,
  f: {
    dataset: string;
    target: string;
    strategy?: string;
    budget: string;
    bits?: string;
    episodes?: string;
    finetuneEpochs?: string;
    trainEpochs?: string;
    searchImages?: string;
    reward?: string;
    ptq?: string;
    seed?: string;
    trials?: string;
    out?: string;
    policyOut?: string;
    store?: string;
    study?: string;
    threads?: string;
    asFinished?: boolean;
    redis?: string;
    evaluator?: string;
    cmd?: string;
    cmdTimeout?: string;
    maxFaultScore?: string;
    faultBer?: string;
    objectives?: string;
    maxFaultDrop?: string;
    faultRuns?: string;
    faultImages?: string;
    protect?: string;
    actDamage?: string;
    actChannels?: boolean;
    recheck?: string;
    json?: boolean;
  },
) => {
  // every flag is checked before any training or search starts
  const strategy = (f.strategy ?? 'ilp') as QuantStrategy;
  if (!STRATEGIES.includes(strategy)) throw new ConfigError(`--strategy must be one of ${STRATEGIES.join(', ')}, got '${f.strategy}'`);
  const seed = seedOption(f.seed);
  const trainEpochs = intOption('--train-epochs', f.trainEpochs, 2, 1);
  const episodes = intOption('--episodes', f.episodes, 40, 1);
  const trials = intOption('--trials', f.trials, 1, 1);
  const finetuneEpochs = intOption('--finetune-epochs', f.finetuneEpochs, 1, 0);
  const searchImages = intOption('--search-images', f.searchImages, 1000, 10);
  const actDamage = f.actDamage;
  if (actDamage !== undefined && actDamage !== 'measured' && actDamage !== 'hessian')
    throw new ConfigError(`--act-damage must be measured or hessian, got '${actDamage}'`);
  if (actDamage !== undefined && strategy !== 'cw-hawq') throw new ConfigError(`--act-damage applies to --strategy cw-hawq, not ${strategy}`);
  const actChannels = f.actChannels === true;
  if (actChannels && strategy !== 'cw-hawq') throw new ConfigError(`--act-channels applies to --strategy cw-hawq, not ${strategy}`);
  if (actChannels && actDamage === 'measured')
    throw new ConfigError("--act-channels needs --act-damage hessian (per-channel activation traces), got 'measured'");
  const recheck = f.recheck !== undefined ? intOption('--recheck', f.recheck, 8, 0) : undefined;
  if (recheck !== undefined && strategy !== 'greedy') throw new ConfigError(`--recheck applies to --strategy greedy, not ${strategy}`);
  const reward = f.reward ?? 'ptq';
  if (reward !== 'ptq' && reward !== 'finetune') throw new ConfigError(`--reward must be ptq or finetune, got '${f.reward}'`);
  const { DEFAULT_PTQ, parsePtq, ptqLabel } = await import('../../quant/ptq.js');
  const ptqSteps = f.ptq !== undefined ? parsePtq(f.ptq) : DEFAULT_PTQ;
  const threads = intOption('--threads', f.threads, 0, 0);
  const bits = parseBits(f.bits);
  const maxFaultScore = f.maxFaultScore !== undefined ? Number(f.maxFaultScore) : undefined;
  if (maxFaultScore !== undefined && !(maxFaultScore > 0 && Number.isFinite(maxFaultScore)))
    throw new ConfigError(`--max-fault-score '${f.maxFaultScore}': expected a positive number (the predictor's expected damage)`);
  const faultBer = f.faultBer !== undefined ? Number(f.faultBer) : undefined;
  if (faultBer !== undefined && !(faultBer > 0 && faultBer <= 1)) throw new ConfigError(`--fault-ber '${f.faultBer}': expected a bit error rate in (0, 1]`);
  const objectives = parseQuantObjectives(f.objectives, strategy);
  const maxDrop = f.maxFaultDrop !== undefined ? parseMaxFaultDrop(f.maxFaultDrop) : undefined;
  if (maxDrop?.ber !== undefined && faultBer !== undefined && maxDrop.ber !== faultBer)
    throw new ConfigError(`--fault-ber ${f.faultBer} and --max-fault-drop ${f.maxFaultDrop} name different bit error rates: give one`);
  const wantsDrop = maxDrop !== undefined || !!objectives?.includes('fault_drop');
  if (faultBer !== undefined && maxFaultScore === undefined && !wantsDrop && !objectives?.includes('fault_score'))
    throw new ConfigError('--fault-ber applies to --max-fault-score, --max-fault-drop or the fault_drop / fault_score objectives');
  if (!wantsDrop && (f.faultRuns !== undefined || f.faultImages !== undefined))
    throw new ConfigError('--fault-runs and --fault-images apply to the fault_drop objective or --max-fault-drop');
  if ((wantsDrop || objectives !== undefined) && f.cmd !== undefined)
    throw new ConfigError('--objectives and --max-fault-drop apply to --evaluator quant-policy, not command');
  const faultDrop = wantsDrop
    ? {
        ber: maxDrop?.ber ?? faultBer ?? 1e-5,
        runs: intOption('--fault-runs', f.faultRuns, 5, 1),
        images: intOption('--fault-images', f.faultImages, 500, 1),
        seed: seedOption(f.seed),
      }
    : undefined;
  if (maxFaultScore !== undefined && f.cmd !== undefined) throw new ConfigError('--max-fault-score applies to --evaluator quant-policy, not command');
  const protect = parseProtect(f.protect);
  if (protect && strategy !== 'ilp') throw new ConfigError(`--protect applies to --strategy ilp, not ${strategy}`);
  if (protect && maxFaultScore === undefined)
    throw new ConfigError('--protect needs --max-fault-score: protection is chosen only where the fault line needs it');
  const faultOptions: Record<string, JsonValue> = {
    ...(maxFaultScore !== undefined
      ? {
          maxFaultScore,
          ...(faultBer !== undefined ? { faultBer } : {}),
          ...(protect ? { protect: true } : {}),
        }
      : {}),
    ...(faultBer !== undefined && maxFaultScore === undefined && !faultDrop ? { faultBer } : {}),
    ...(objectives ? { objectives } : {}),
    ...(faultDrop ? { faultDrop } : {}),
    ...(maxDrop ? { maxFaultDrop: maxDrop.maxDrop } : {}),
  };
  const studyObjectives: Objective[] = objectives
    ? objectives.map((name) => ({ name, direction: name === 'accuracy' ? 'maximize' : 'minimize' }))
    : [...QUANT_OBJECTIVES_DEFAULT];
  const evaluatorName = f.evaluator ?? 'quant-policy';
  if (evaluatorName !== 'quant-policy' && evaluatorName !== 'command')
    throw new ConfigError(`--evaluator '${f.evaluator}': expected 'quant-policy' or 'command'`);
  if ((evaluatorName === 'command') !== (f.cmd !== undefined)) throw new ConfigError('--evaluator command and --cmd <line> go together');
  const cmdTimeout = f.cmdTimeout === undefined ? undefined : Number(f.cmdTimeout);
  if (cmdTimeout !== undefined && !(cmdTimeout > 0)) throw new ConfigError(`--cmd-timeout '${f.cmdTimeout}': expected a positive number of seconds`);
  if (f.study !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(f.study))
    throw new ConfigError(`--study '${f.study}': expected 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  parseBudget(f.budget, { latency: 1, energy: 1, size: 1, bops: 1 }); // syntax only; the reference comes later
  const inputs = [
    ['model', spec],
    ['--store', f.store ?? DEFAULT_STORE_PATH],
  ] as const;
  if (f.out !== undefined) checkOutPath('--out', f.out, inputs);
  if (f.policyOut !== undefined) checkOutPath('--policy-out', f.policyOut, inputs);
  if (f.out !== undefined && f.policyOut !== undefined && resolve(f.out) === resolve(f.policyOut))
    throw new UserError(`--policy-out '${f.policyOut}' is the --out file: the policy would replace the exported model; pick another path`);
  const quiet = !!f.json;
  const say = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const target = getTarget(f.target);
  // the model file is read once for the checks before the study (budget reachable, greedy's trial cap)
  let specGraph: Graph | undefined;
  const graphOfSpec = (): Graph => {
    specGraph ??= loadModelSpec(spec, seed).graph;
    return specGraph;
  };
  if (!target.prepare) checkBudgetReachable(graphOfSpec(), target, f.budget, bits);
  // the data set, before any training: the search scores validation images, the final stage test images
  const ds = await datasetForModel(f.dataset, loadModelSpec(spec, seed), undefined, spec);
  requireScoredSplit(ds.val, 'validation', `--dataset '${f.dataset}'`);
  requireScoredSplit(ds.test, 'test', `--dataset '${f.dataset}'`);
  if (f.searchImages !== undefined) requireImagesInSplit(searchImages, '--search-images', ds.val, 'validation', `--dataset '${f.dataset}'`);
  if (faultDrop && f.faultImages !== undefined) requireImagesInSplit(faultDrop.images, '--fault-images', ds.val, 'validation', `--dataset '${f.dataset}'`);
  const { initEngine } = await import('../../engine/index.js');
  const { finishQuantize, openQuantSession, planQuantSearch, resultQuantConfig } = await import('../../quant/index.js');
  const { exportQdqOnnx } = await import('../../quant/qdq-export.js');
  await initEngine();
  const storePath = f.store ?? DEFAULT_STORE_PATH;
  const store = openStore(storePath);
  let session: QuantSession | undefined;
  let stage: ReturnType<typeof sayWhereOnInterrupt> | undefined;
  try {
    const onEvent = (e: QuantEvent): void => {
      if (e.kind === 'stage') say(e.stage);
    };
    // the command's own inputs name its study: the same command continues it
    const settings: Record<string, JsonValue> = {
      model: spec,
      dataset: f.dataset,
      target: f.target,
      strategy,
      budget: f.budget,
      bits: bits ?? null,
      searchImages,
      seed,
      ...(reward !== 'ptq' ? { reward } : {}),
      ...(spec.startsWith('zoo:') ? { trainEpochs } : {}),
      ...(f.cmd !== undefined ? { evaluator: 'command', cmd: f.cmd } : {}),
      ...faultOptions,
      // a cw-hawq study that weighs activations by their Hessian traces (the default since session 27) has its
      // own name; one with the measured damage keeps the name it had when measured was the default
      ...(strategy === 'cw-hawq' && (actDamage ?? 'hessian') === 'hessian' ? { actDamage: 'hessian' } : {}),
      ...(recheck !== undefined ? { recheck } : {}),
      ...(actChannels ? { actChannels: true } : {}),
      ...(protect ? { protectChoices: [...(protect.ecc ? ['ecc'] : []), ...(protect.range ? ['range'] : [])] } : {}),
    };
    const nTrials =
      strategy === 'ilp' || strategy === 'uniform'
        ? trials
        : strategy === 'greedy'
          ? f.trials !== undefined
            ? trials
            : await greedyCap(graphOfSpec(), target, bits)
          : episodes;
    const t0 = performance.now(); // search time includes the preparation (sensitivity, tables) of a new study
    const cs = await openCommandStudy(store, {
      storePath,
      prefix: `quantize-${strategy}`,
      ...(f.study !== undefined ? { name: f.study } : {}),
      settings,
      nTrials,
      prepare: async (name, uid) => {
        say(`study '${name}' (new) in ${storePath}`);
        const model = await trainedModel(spec, ds, trainEpochs, seed, quiet);
        // workers (threads, other processes) and resumed runs load the model from an absolute path
        let modelPath = spec.startsWith('zoo:') ? spec : resolve(spec);
        if (spec.startsWith('zoo:')) {
          // a trained zoo model is kept in the store's folder, keyed by the study's uid (another store's study of this name has its own)
          modelPath = studyFilePath(storePath, 'models', name, uid, '.json');
          mkdirSync(dirname(modelPath), { recursive: true });
          saveModel(model, modelPath);
        }
        if (target.prepare) await target.prepare(model);
        session = openQuantSession({ model, dataset: ds, target, budget: f.budget, ...(bits !== undefined ? { bits } : {}), searchImages, onEvent });
        // --max-fault-score with the ILP: the predictor's per-layer damage is one more row of the integer program
        const fault =
          strategy === 'ilp' && maxFaultScore !== undefined
            ? await faultRow(model.graph, model.weights, target, session, faultBer ?? 1e-5, maxFaultScore, protect)
            : undefined;
        const plan = await planQuantSearch(session, {
          strategy,
          episodes,
          trials: strategy === 'greedy' ? nTrials : trials,
          seed,
          onEvent,
          ...(fault ? { fault } : {}),
          ...(actDamage !== undefined ? { actDamage } : {}),
          ...(actChannels ? { actChannels } : {}),
          ...(recheck !== undefined ? { recheck } : {}),
          ...(f.cmd !== undefined ? { scoredBy: f.cmd } : {}),
        });
        return {
          name,
          evaluator:
            f.cmd !== undefined
              ? {
                  name: 'command',
                  options: {
                    cmd: f.cmd,
                    cwd: process.cwd(),
                    model: modelPath,
                    target: f.target,
                    budget: { kind: session.budget.kind, value: session.budget.value },
                    seed,
                    ...(cmdTimeout !== undefined ? { timeoutS: cmdTimeout } : {}),
                    ...(plan.channel ? { channel: plan.channel as unknown as JsonValue } : {}),
                  },
                }
              : {
                  name: 'quant-policy',
                  options: {
                    model: modelPath,
                    dataset: f.dataset,
                    target: f.target,
                    budget: { kind: session.budget.kind, value: session.budget.value },
                    // the images the trials are scored on (the default 1000 takes all when fewer)
                    searchImages: session.searchSet.n,
                    seed,
                    ...(reward !== 'ptq' ? { reward } : {}),
                    ...(plan.channel ? { channel: plan.channel as unknown as JsonValue } : {}),
                    ...faultOptions,
                  },
                },
          strategy: plan.strategy as { name: string; options: Record<string, JsonValue> },
          space: plan.space.toJSON() as Record<string, JsonValue>,
          objectives: studyObjectives,
          nTrials: plan.nTrials,
          seed,
          concurrency: 1,
        };
      },
    });
    let t0Search = t0;
    const evOptions = cs.config.evaluator.options as unknown as { model: string; channel?: ChannelSetup };
    if (cs.status === 'resumed') {
      say(`study '${cs.name}' (continued: ${store.getTrials(cs.name).length} trial(s) stored) in ${storePath}`);
      const model = loadModelSpec(evOptions.model, seed);
      if (target.prepare) await target.prepare(model);
      session = openQuantSession({ model, dataset: ds, target, budget: f.budget, ...(bits !== undefined ? { bits } : {}), searchImages, onEvent });
      if (strategy === 'haq' || strategy === 'random')
        say(
          `${strategy === 'haq' ? 'HAQ (DDPG)' : 'random search'}: ${episodes} episodes, reward = ${f.cmd !== undefined ? `the accuracy your command reports (${f.cmd})` : `accuracy on ${session.searchSet.n} validation images`}`,
        );
    }
    const s = session as QuantSession;
    const abort = new AbortController();
    if (cs.status === 'resumed') t0Search = performance.now();
    const { aborted } = await interruptible(
      (signal) =>
        runConfiguredStudy(store, cs.name, {
          threads,
          ...(f.redis ? { redis: f.redis } : {}),
          ...(f.asFinished ? { asFinished: true } : {}),
          quiet,
          signal,
        }),
      () => say('\ninterrupted: finishing the current episode and keeping the best policy so far'),
      abort,
    );
    // Ctrl-C in the final stage (scoring, fine-tuning, export) stops at once, saying where and what is kept: the
    // study's trials are in the store, and --policy-out is written before the fine-tuning (which keeps the policy)
    const kept = (trial?: number): string =>
      aborted
        ? `the study's finished trials are stored (study '${cs.name}' in ${storePath}); run the same command to continue it`
        : `the search is complete and stored (study '${cs.name}' in ${storePath}${trial !== undefined ? `, chosen policy: trial ${trial}` : ''})` +
          `${trial !== undefined && f.policyOut ? `, the policy is written to ${f.policyOut}` : ''}; ` +
          `run the same command to ${finetuneEpochs > 0 ? 'fine-tune and export' : 'finish'} without searching again`;
    stage = sayWhereOnInterrupt('while choosing the policy', kept());
    const where = stage;
    const progress = trainProgress({
      label: 'fine-tune',
      quiet,
      onStep: (p) => where.at(`during quantization-aware fine-tuning (epoch ${p.epoch + 1}/${p.epochs}, batch ${p.batch + 1}/${p.batches})`),
    });
    const r = await finishQuantize(s, {
      strategy,
      ptq: ptqSteps,
      finetuneEpochs,
      seed,
      signal: abort.signal,
      onEvent,
      trials: store.getTrials(cs.name),
      ...(evOptions.channel ? { channel: evOptions.channel } : {}),
      searchSeconds: (performance.now() - t0Search) / 1000,
      interrupted: aborted,
      study: cs.name,
      onPolicy: (policy, trial) => {
        if (f.policyOut) writeFileSync(f.policyOut, `${JSON.stringify(policy, null, 2)}\n`);
        where.at(`while scoring the chosen policy (trial ${trial}) on the test images`, kept(trial));
      },
      finetuneProgress: progress,
    });
    progress.stop();
    let onnx: { path: string; accuracy: number } | undefined;
    if (f.out) {
      where.at(`while exporting ${f.out}`);
      writeFileSync(f.out, exportQdqOnnx(r.finalModel, resultQuantConfig(r)));
      const acc = await onnxAccuracy(f.out, s.dataset.test.x, s.dataset.test.y, s.dataset.test.n);
      onnx = { path: f.out, accuracy: acc.accuracy };
    }
    stage.remove();
    stage = undefined;
    // the greedy's moves, in order (e.g. conv3.w4: conv3's weights to 4 bits)
    let greedySteps: readonly string[] | undefined;
    if (strategy === 'greedy') {
      const { createGreedyStrategy } = await import('../../quant/strategies/greedy.js');
      const st = cs.config.strategy;
      const options = typeof st === 'object' ? (st.options ?? {}) : {};
      greedySteps = createGreedyStrategy(options, undefined).path(store.getTrials(cs.name));
    }
    // the chosen trial's protection (issue 14), costed on the target like the trial was
    const protection = protect ? await chosenProtection(s, store.getTrials(cs.name), r.trial, r.policy) : undefined;
    // several objectives (issue 14): the feasible Pareto front of the study, each point with its measured values
    // (accuracy as `valAccuracy`: the trials are scored on validation images, the top-level accuracies on test ones)
    const front = studyObjectives.length > 1 ? frontPoints(store.getTrials(cs.name), studyObjectives) : undefined;
    // what the user's command scored the chosen policy, beside hwnas's own post-training accuracy of it (review56 #5)
    const commandScore =
      f.cmd !== undefined
        ? store.getTrials(cs.name).find((t) => t.number === r.trial)?.values?.[studyObjectives.findIndex((o) => o.name === 'accuracy')]
        : undefined;
    const scoreGap = commandScore !== undefined && commandScore >= 0 && commandScore <= 1 ? commandScore - r.ptqAccuracy : undefined;
    const summary = {
      model: s.model.graph.name,
      target: r.target,
      strategy,
      budget: f.budget,
      ptq: ptqLabel(ptqSteps),
      policy: r.policy,
      // weight bits per output channel, and (--act-channels) activation bits per input channel of each split layer
      ...(Object.keys(r.channelBits).some((k) => !k.endsWith('@input'))
        ? { channelBits: Object.fromEntries(Object.entries(r.channelBits).filter(([k]) => !k.endsWith('@input'))) }
        : {}),
      ...(Object.keys(r.channelBits).some((k) => k.endsWith('@input'))
        ? { actChannelBits: Object.fromEntries(Object.entries(r.channelBits).flatMap(([k, v]) => (k.endsWith('@input') ? [[k.slice(0, -6), v]] : []))) }
        : {}),
      floatAccuracy: r.floatAccuracy,
      baselineAccuracy: r.baselineAccuracy,
      ptqAccuracy: r.ptqAccuracy,
      ...(commandScore !== undefined ? { commandScore, ...(scoreGap !== undefined ? { commandScoreGap: scoreGap } : {}) } : {}),
      accuracy: r.accuracy,
      finetuneEpochs: r.finetuneEpochs,
      latencyMs: r.latencyMs + (protection?.extraLatencyMs ?? 0),
      baselineLatencyMs: r.baselineLatencyMs,
      energyMj: r.energyMj + (protection?.extraEnergyMj ?? 0),
      baselineEnergyMj: r.baselineEnergyMj,
      sizeBytes: r.sizeBytes + (protection?.extraWeightBytes ?? 0),
      baselineSizeBytes: r.baselineSizeBytes,
      searchSeconds: r.searchSeconds,
      interrupted: r.interrupted,
      ...(onnx ? { onnx: onnx.path, onnxAccuracy: onnx.accuracy } : {}),
      ...(protection ? { protection } : {}),
      ...(front ? { objectives: studyObjectives.map((o) => o.name), front } : {}),
      study: cs.name,
      trial: r.trial,
      ...(greedySteps ? { greedySteps } : {}),
      images: { train: s.dataset.train.n, val: s.dataset.val.n, test: s.dataset.test.n, search: s.searchSet.n },
    };
    const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
    if (scoreGap !== undefined && Math.abs(scoreGap) > COMMAND_SCORE_GAP)
      process.stderr.write(
        `warning: your command scored the chosen policy ${commandScore}, hwnas's post-training accuracy of it is ${pct(r.ptqAccuracy)} on ${s.dataset.test.n} test images: ` +
          `${(Math.abs(scoreGap) * 100).toFixed(1)} points apart (more than ${COMMAND_SCORE_GAP * 100}); check the command's data (a one-class validation slice?) and its metric\n`,
      );
    // review56 #4: a budget W8A8 already meets constrains nothing; the strategy's choice is then its score's alone,
    // and on a few hundred validation images lower widths often score the same as 8 bits (ties)
    const slackUnit = { latency: ' ms', energy: ' mJ', size: ' bytes' }[r.budget.kind as 'latency' | 'energy' | 'size'];
    const w8a8Cost = { latency: r.baselineLatencyMs, energy: r.baselineEnergyMj, size: r.baselineSizeBytes }[r.budget.kind as 'latency' | 'energy' | 'size'];
    if (slackUnit !== undefined && w8a8Cost !== undefined && w8a8Cost <= r.budget.value && !f.json)
      process.stderr.write(
        `note: the budget is slack: uniform W8A8 already meets it (${r.budget.kind} ${w8a8Cost.toPrecision(4)}${slackUnit} <= ${r.budget.value.toPrecision(4)}${slackUnit}); ` +
          `any width below 8 bits in the policy was chosen by the search's score alone, on which it ties with or beats 8 bits on ${f.cmd !== undefined ? "your command's" : `${s.searchSet.n} validation`} images\n`,
      );
    if (f.json) return printJson(summary);
    const finetuneSkipped = finetuneEpochs > 0 && r.finetuneEpochs === 0; // the search was interrupted
    process.stdout.write(
      `${formatTable(
        r.layers.map((l) => ({
          ...l,
          weightBits: String(l.weightBits),
          actBits: String(l.actBits),
          params: humanCount(l.params),
          macs: humanCount(l.macs),
        })),
        [
          { key: 'layer', header: 'layer' },
          { key: 'weightBits', header: 'W bits', align: 'right' },
          { key: 'actBits', header: 'A bits', align: 'right' },
          { key: 'params', header: 'params', align: 'right' },
          { key: 'macs', header: 'MACs', align: 'right' },
        ],
      )}\n`,
    );
    process.stdout.write(
      `${strategy} on ${r.target} (${budgetEcho(f.budget, { latency: r.baselineLatencyMs, energy: r.baselineEnergyMj, size: r.baselineSizeBytes, bops: Number.NaN })}${r.interrupted ? ', interrupted' : ''}): latency ${summary.latencyMs.toPrecision(4)} ms vs W8A8 ${r.baselineLatencyMs.toPrecision(4)} ms ` +
        `(${(r.baselineLatencyMs / summary.latencyMs).toFixed(2)}x), energy ${summary.energyMj.toPrecision(4)} mJ vs ${r.baselineEnergyMj.toPrecision(4)} mJ ` +
        `(${(r.baselineEnergyMj / summary.energyMj).toFixed(2)}x), size ${kib(summary.sizeBytes)} KiB vs ${kib(r.baselineSizeBytes)} KiB ` +
        `(packed: weights at their bits + float32 per-channel scales, 32-bit biases and other parameters${protection ? ' + the ECC check bits of the hardened layers' : ''}; 1 KiB = 1024 bytes)\n` +
        `${protection ? `protection (included above; hwnas cost of the policy counts none of it): ${protection.range ? 'range restriction, ' : ''}ECC on ${protection.hardened.length ? protection.hardened.join(', ') : 'no layer'} (+${protection.extraLatencyMs.toPrecision(3)} ms, +${protection.extraWeightBytes} bytes of check bits); predicted fault score ${protection.faultScore.toPrecision(3)} at BER ${protection.ber}\n` : ''}` +
        `test accuracy on ${s.dataset.test.n} images (search scored ${f.cmd !== undefined ? 'by your command' : `on ${Math.min(searchImages, s.dataset.val.n)} validation images`}; ${s.dataset.train.n} training images): ` +
        `float ${pct(r.floatAccuracy)}, W8A8 ${pct(r.baselineAccuracy)}, chosen policy ${pct(r.ptqAccuracy)} post-training (steps: ${ptqLabel(ptqSteps)}${commandScore !== undefined ? `; your command's score of it: ${commandScore}` : ''})` +
        `${r.finetuneEpochs > 0 ? `, ${pct(r.accuracy)} after ${r.finetuneEpochs} epoch${r.finetuneEpochs === 1 ? '' : 's'} of fine-tuning` : finetuneSkipped ? ` (no fine-tuning: the search was interrupted; run the same command to continue it and fine-tune)` : ' (no fine-tuning: --finetune-epochs 0)'}` +
        `${onnx ? `; QDQ ONNX ${onnx.path}${finetuneSkipped ? ' (not fine-tuned)' : ''}: ${pct(onnx.accuracy)} in onnxruntime (optimisation 'all'; biases int32 at input x weight scale in the file and the engine alike)` : ''} (search ${r.searchSeconds.toFixed(1)} s)\n` +
        `study '${cs.name}' (trial ${r.trial}): hwnas report ${cs.name}${f.store ? ` --store ${f.store}` : ''}\n`,
    );
    if (front)
      process.stdout.write(
        formatFront(
          front,
          studyObjectives,
          r.trial,
          s.coster.layers.map((l) => l.name),
          s.searchSet.n,
        ),
      );
  } finally {
    stage?.remove();
    session?.dispose();
    store.close();
  }
};

/** The action of the command registered in src/cli/register/quantize.ts (imported when that command runs). */
export const sensitivityAction = async (
  spec: string,
  f: { dataset: string; samples?: string; perChannel?: boolean; tol?: string; seed?: string; json?: boolean },
) => {
  const seed = seedOption(f.seed);
  const samples = intOption('--samples', f.samples, 256, 1);
  const tol = f.tol === undefined || f.tol.trim() === '' ? (f.tol === undefined ? 0.05 : Number.NaN) : Number(f.tol);
  if (!(tol > 0) || !Number.isFinite(tol)) throw new ConfigError(`--tol must be a positive number, got '${f.tol}'`);
  const { buildModel, initEngine } = await import('../../engine/index.js');
  const { layerSensitivities } = await import('../../quant/index.js');
  await initEngine();
  const model = loadModelSpec(spec, seed);
  const ds = await datasetForModel(f.dataset, model, undefined, spec);
  const n = Math.min(samples, ds.train.n);
  const per = ds.train.x.length / ds.train.n;
  const em = buildModel(model);
  try {
    const layers = em.graph.nodes.filter((x) => x.op === 'conv2d' || x.op === 'dense').length;
    const bar = createProgress({ total: layers, label: 'sensitivity', fields: ['layer'], quiet: !!f.json });
    const s = layerSensitivities(em, ds.train.x.subarray(0, n * per), ds.train.y.subarray(0, n), n, {
      seed,
      perChannel: !!f.perChannel,
      tol,
      onLayer: (x, i) => bar.update(i + 1, { layer: x.layer }),
    });
    bar.stop();
    if (f.json) return printJson({ model: model.graph.name, samples: n, layers: s });
    process.stdout.write(
      `${formatTable(
        s.map(
          (x): Record<string, string> => ({
            layer: x.layer,
            params: humanCount(x.params),
            trace: x.trace.toExponential(3),
            mean: x.meanTrace.toExponential(3),
            se: x.stdError.toExponential(2),
            rel: `${((100 * x.stdError) / Math.abs(x.trace)).toFixed(1)}%`,
            probes: String(x.iterations),
            converged: x.converged ? 'yes' : 'no',
            ...channelSummary(x.channelTraces),
          }),
        ),
        [
          { key: 'layer', header: 'layer' },
          { key: 'params', header: 'params', align: 'right' },
          { key: 'trace', header: 'Hessian trace', align: 'right' },
          { key: 'mean', header: 'trace/param', align: 'right' },
          { key: 'se', header: 'std err', align: 'right' },
          { key: 'rel', header: 'rel err', align: 'right' },
          { key: 'probes', header: 'probes', align: 'right' },
          { key: 'converged', header: 'converged' },
          ...(f.perChannel
            ? ([
                { key: 'channels', header: 'channels', align: 'right' },
                { key: 'chMin', header: 'channel min', align: 'right' },
                { key: 'chMedian', header: 'median', align: 'right' },
                { key: 'chMax', header: 'max', align: 'right' },
                { key: 'chTop', header: 'top channels' },
              ] satisfies TableColumn<Record<string, string>>[])
            : []),
        ],
      )}\n${f.perChannel ? 'per-channel traces: one block trace per output channel (sum = the layer trace); every value with --json\n' : ''}`,
    );
  } finally {
    em.dispose();
  }
};

/** Text columns of `sensitivity --per-channel`: channel count, min / median / max block trace, the 3 largest channels. */
function channelSummary(traces: readonly number[] | undefined): Record<string, string> {
  if (!traces || traces.length === 0) return {};
  const sorted = [...traces].sort((a, b) => a - b);
  const median =
    sorted.length % 2 === 1
      ? (sorted[(sorted.length - 1) / 2] as number)
      : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  const top = traces
    .map((t, i) => [t, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3)
    .map(([, i]) => `#${i}`)
    .join(' ');
  return {
    channels: String(traces.length),
    chMin: (sorted[0] as number).toExponential(2),
    chMedian: median.toExponential(2),
    chMax: (sorted[sorted.length - 1] as number).toExponential(2),
    chTop: top,
  };
}
