/**
 * The flags of `hwnas nas` that need no registry, space, table or data, parsed and checked before the command's module
 * loads (src/cli/register/nas.ts): bad input fails at start-up cost, with the messages the command gives.
 */
import { ConfigError } from '../../errors.js';
import type { LatencyMode } from '../../nas/cost.js';
import { intOption, seedOption, threadsOption } from '../io.js';

/** Evaluators `hwnas nas` accepts without a table. */
export const NAS_EVALUATORS = ['train', 'supernet', 'command'] as const;

/** The flags of `hwnas nas` (src/cli/register/nas.ts). */
export interface NasFlags {
  readonly space: string;
  readonly table?: string;
  readonly tableDelay?: string;
  readonly tableColumns?: string;
  readonly dataset?: string;
  readonly target?: string;
  readonly strategy: string;
  readonly budget: string;
  readonly objectives?: string;
  readonly seed?: string;
  readonly epochs?: string;
  readonly limit?: string;
  readonly policy?: string;
  readonly evaluator?: string;
  readonly supernetSteps?: string;
  readonly supernetSampling?: string;
  readonly bnImages?: string;
  readonly latency?: string;
  readonly maxLatency?: string;
  readonly maxFaultDrop?: string;
  readonly faultBer?: string;
  readonly protect?: string;
  readonly faultRuns?: string;
  readonly faultImages?: string;
  readonly capacityPoints?: string;
  readonly latencyAnchor?: boolean;
  readonly storage?: string;
  readonly store?: string;
  readonly study?: string;
  readonly json?: boolean;
  readonly distinct?: boolean;
  readonly costAware?: boolean;
  readonly predictor?: boolean;
  readonly predictorEncoding?: string;
  readonly acquisition?: string;
  readonly ehviShare?: string;
  readonly threads?: string;
  readonly asFinished?: boolean;
  readonly teacher?: string;
  readonly teacherEpochs?: string;
  readonly candidates?: string;
  readonly distillSteps?: string;
  readonly finetuneEpochs?: string;
  readonly precisions?: string;
  readonly qaSteps?: string;
  readonly fitTrials?: string;
  readonly qaftEpochs?: string;
  readonly split?: string;
  readonly opPreselection?: boolean;
  readonly ptq?: boolean;
  readonly redis?: string;
  readonly queue?: string;
  readonly cmd?: string;
  readonly cmdTimeout?: string;
  readonly task?: string;
  readonly galleryModel?: string;
  readonly alignWeight?: string;
  readonly out?: string;
}

/** What {@link checkNasFlags} parsed. */
export interface NasFlagValues {
  readonly budget: number;
  readonly seed: number;
  readonly evaluatorName: string;
  readonly latencyMode: LatencyMode;
  readonly maxLatency: number | undefined;
  readonly threadsAsked: number;
  readonly capacityPoints: number;
  readonly cmdTimeoutS: number | undefined;
  /** `--table-delay` in ms (0 without it). */
  readonly tableDelayMs: number;
}

/** Parses and checks the flags of `hwnas nas` that need no registry (ConfigError naming the bad value). */
export function checkNasFlags(f: NasFlags): NasFlagValues {
  const budget = intOption('--budget', f.budget, 0, 1);
  const seed = seedOption(f.seed);
  const evaluatorName = f.evaluator ?? 'train';
  if (!(NAS_EVALUATORS as readonly string[]).includes(evaluatorName))
    throw new ConfigError(`--evaluator '${evaluatorName}': expected one of ${NAS_EVALUATORS.join(', ')}`);
  const latencyMode = (f.latency ?? 'model') as LatencyMode;
  if (latencyMode !== 'model' && latencyMode !== 'network') throw new ConfigError(`--latency '${f.latency}': expected 'model' or 'network'`);
  const maxLatency = f.maxLatency === undefined ? undefined : Number(f.maxLatency);
  if (maxLatency !== undefined && !(maxLatency > 0)) throw new ConfigError(`--max-latency '${f.maxLatency}': expected a positive number of milliseconds`);
  if (f.storage !== undefined && f.store !== undefined && f.storage !== f.store)
    throw new ConfigError(`--storage '${f.storage}' and --store '${f.store}' name different files: give one`);
  if (f.split !== undefined && f.split !== 'position' && f.split !== 'effect') throw new ConfigError(`--split '${f.split}': expected 'position' or 'effect'`);
  const threadsAsked = threadsOption(f.threads);
  const capacityPoints = intOption('--capacity-points', f.capacityPoints, 30, 1);
  if (f.tableColumns !== undefined && f.table === undefined) throw new ConfigError(`--table-columns ${f.tableColumns} applies to --table only`);
  if (evaluatorName !== 'command' && f.cmd !== undefined) throw new ConfigError(`--cmd applies to --evaluator command, not '${evaluatorName}'`);
  const cmdTimeoutS = f.cmdTimeout === undefined ? undefined : Number(f.cmdTimeout);
  if (cmdTimeoutS !== undefined && !(cmdTimeoutS > 0)) throw new ConfigError(`--cmd-timeout '${f.cmdTimeout}': expected a positive number of seconds`);
  if (f.table === undefined && f.tableDelay !== undefined) throw new ConfigError(`--table-delay ${f.tableDelay} applies to --table lookups only`);
  const tableDelayMs = intOption('--table-delay', f.tableDelay, 0, 0);
  if (f.ptq && f.qaftEpochs !== undefined) throw new ConfigError(`--ptq and --qaft-epochs ${f.qaftEpochs}: give one of them`);
  return { budget, seed, evaluatorName, latencyMode, maxLatency, threadsAsked, capacityPoints, cmdTimeoutS, tableDelayMs };
}
