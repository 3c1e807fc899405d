/**
 * The flags of the study commands that need no store, config schema or registry, checked before the command's module
 * loads (src/cli/register/study.ts): bad input fails at start-up cost, with the messages the command gives.
 */
import { ConfigError } from '../../errors.js';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { checkOutPath, intOption, threadsOption } from '../io.js';

/** The flags of `study run` / `study resume`. */
export interface RunFlags {
  readonly store?: string;
  readonly json?: boolean;
  readonly redis?: string;
  readonly queue?: string;
  readonly threads?: string;
  readonly delay?: string;
  readonly asFinished?: boolean;
}

/** Checks the flags of `study run` / `study resume` (`--threads`, `--delay`); returns the delay in ms, if given. */
export function checkRunFlags(_name: string, f: RunFlags): number | undefined {
  if (f.threads !== undefined) threadsOption(f.threads);
  return f.delay === undefined ? undefined : intOption('--delay', f.delay, 0, 0);
}

/** The format of `study export` (from `--format`, else the `--out` extension), `--out` checked against the store. */
export function exportFormat(_name: string, f: { readonly format?: string; readonly out?: string; readonly store?: string }): 'csv' | 'json' | 'optuna' {
  const fmt = f.format ?? (f.out?.endsWith('.json') ? 'json' : f.out?.endsWith('.log') ? 'optuna' : 'csv');
  if (fmt !== 'csv' && fmt !== 'json' && fmt !== 'optuna') throw new ConfigError(`--format '${fmt}': expected csv, json or optuna`);
  if (f.out !== undefined) checkOutPath('--out', f.out, [['--store', f.store ?? DEFAULT_STORE_PATH]]);
  return fmt;
}
