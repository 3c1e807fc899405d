/**
 * The flags of `hwnas faults` that need no model, data set or engine, parsed and checked before the command's module
 * loads (src/cli/register/faults.ts): bad input fails at start-up cost, with the messages the command gives.
 */
import { ConfigError } from '../../errors.js';
import type { FaultSite } from '../../resilience/campaign.js';
import { FAULT_KINDS, type FaultKind } from '../../resilience/fault-model.js';
import { floatOption, intOption, seedOption } from '../io.js';

/** The flags of `hwnas faults` (src/cli/register/faults.ts). */
export interface FaultFlags {
  readonly dataset: string;
  readonly ber?: string;
  readonly flips?: string;
  readonly sites?: string;
  readonly kind?: string;
  readonly trials?: string;
  readonly policy?: string;
  readonly seed?: string;
  readonly threshold?: string;
  readonly layerTrials?: string;
  readonly layerRate?: string;
  readonly images?: string;
  readonly epochs?: string;
  readonly batchSize?: string;
  readonly rangeRestriction?: boolean;
  readonly harden?: string;
  readonly sampling?: string;
  readonly weightScale?: string;
  readonly target?: string;
  readonly json?: boolean;
}

/** {@link FaultFlags} parsed: what the campaign runs with. */
export interface ParsedFaultFlags {
  readonly seed: number;
  readonly trials: number;
  readonly sites: FaultSite[];
  readonly kind: FaultKind;
  readonly bers: number[] | undefined;
  readonly counts: number[] | undefined;
  readonly threshold: number | undefined;
  readonly layerTrials: number | undefined;
  readonly layerRate: number | undefined;
  readonly images: number | undefined;
  readonly epochs: number;
  readonly batchSize: number;
  readonly sampling: 'independent' | 'stratified' | undefined;
  readonly weightGranularity: 'per-channel' | 'per-tensor' | 'asymmetric' | undefined;
}

/** Parses and checks the flags of `hwnas faults` that need no model (ConfigError naming the bad value). */
export function parseFaultFlags(f: FaultFlags): ParsedFaultFlags {
  const seed = seedOption(f.seed);
  const trials = intOption('--trials', f.trials, 50, 1);
  const sites = parseSites(f.sites);
  const kind = (f.kind ?? 'flip') as FaultKind;
  if (!FAULT_KINDS.includes(kind)) throw new ConfigError(`--kind must be one of ${FAULT_KINDS.join(', ')}, got '${f.kind}'`);
  if (f.ber !== undefined && f.flips !== undefined) throw new ConfigError('give --ber or --flips, not both');
  const bers =
    f.flips === undefined
      ? numberList('--ber', f.ber ?? '1e-6,1e-5,1e-4', (n) => Number.isFinite(n) && n > 0 && n <= 1, 'a bit error rate in (0, 1]')
      : undefined;
  const counts = f.flips !== undefined ? numberList('--flips', f.flips, (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0') : undefined;
  if (counts && sites.includes('activations')) {
    throw new ConfigError('--flips applies to weights only (activation faults are drawn at a BER per inference): use --sites weights or --ber');
  }
  const threshold = f.threshold !== undefined ? floatOption('--threshold', f.threshold, 0, 0) : undefined;
  if (threshold !== undefined && threshold > 1) throw new ConfigError(`--threshold must be an accuracy in [0, 1], got '${f.threshold}'`);
  const layerTrials = f.layerTrials !== undefined ? intOption('--layer-trials', f.layerTrials, 0, 0) : undefined;
  const layerRate = f.layerRate !== undefined ? parseLayerRate(f.layerRate, counts !== undefined) : undefined;
  const images = f.images !== undefined ? intOption('--images', f.images, 0, 1) : undefined;
  const epochs = intOption('--epochs', f.epochs, 1, 1);
  const batchSize = intOption('--batch-size', f.batchSize, 500, 1);
  if (f.sampling !== undefined && f.sampling !== 'independent' && f.sampling !== 'stratified')
    throw new ConfigError(`--sampling '${f.sampling}': expected independent or stratified`);
  const sampling = f.sampling as 'independent' | 'stratified' | undefined;
  if (f.weightScale !== undefined && f.weightScale !== 'per-channel' && f.weightScale !== 'per-tensor' && f.weightScale !== 'asymmetric')
    throw new ConfigError(`--weight-scale '${f.weightScale}': expected per-channel, per-tensor or asymmetric`);
  const weightGranularity = f.weightScale as 'per-channel' | 'per-tensor' | 'asymmetric' | undefined;
  if (!f.rangeRestriction && f.harden === undefined && f.target !== undefined)
    throw new ConfigError(`--target ${f.target} costs a protection: give --range-restriction and/or --harden`);
  return { seed, trials, sites, kind, bers, counts, threshold, layerTrials, layerRate, images, epochs, batchSize, sampling, weightGranularity };
}

/** Parse a comma-separated list of numbers with an error naming the flag and the bad item. */
export function numberList(flag: string, spec: string, check: (n: number) => boolean, expected: string): number[] {
  const items = spec.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new ConfigError(`${flag} '${spec}' has an empty item: expected ${expected}, comma-separated`);
  return items.map((s) => {
    const n = Number(s);
    if (!check(n)) throw new ConfigError(`${flag}: '${s}' is not ${expected}`);
    return n;
  });
}

function parseSites(v: string | undefined): FaultSite[] {
  const s = v ?? 'weights';
  if (s === 'weights' || s === 'activations') return [s];
  if (s === 'both') return ['weights', 'activations'];
  throw new ConfigError(`--sites must be weights, activations or both, got '${s}'`);
}

/**
 * `--layer-rate`: with --ber a bit error rate in (0, 1], with --flips a number of bits >= 1 (its upper bound, the bits
 * the sites hold, is checked with the model: {@link checkFlipCounts}).
 */
export function parseLayerRate(v: string, flips: boolean): number {
  const n = Number(v.trim());
  if (flips) {
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < 1)
      throw new ConfigError(`--layer-rate '${v}': with --flips it is a number of bits hit per per-layer run, expected an integer >= 1`);
  } else if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1)
    throw new ConfigError(`--layer-rate '${v}': expected a bit error rate in (0, 1] (or, with --flips, a number of bits)`);
  return n;
}
