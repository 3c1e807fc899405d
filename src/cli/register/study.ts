import type { Command } from 'commander';
import { DEFAULT_STORE_PATH } from '../../store/store-path.js';
import { checkRunFlags, exportFormat } from '../commands/study-flags.js';
import { lazy } from './lazy.js';

/** Help of `--as-finished` (study run/resume, nas, quantize). */
export const AS_FINISHED_HELP =
  'with several trials in flight, propose each from the trials finished so far as soon as a slot is free: faster when trial durations vary, but the same seed may then give other trials (default: proposal k waits for proposals up to k - n and is reproducible)';

/** `hwnas study create|run|resume|list|show|export|delete`. */
export function registerStudy(program: Command): void {
  const study = program.command('study').description('create, run, resume, inspect and export optimisation studies (stored in .hwnas/hwnas.sqlite)');
  study
    .command('create')
    .description('create a study from a JSON config (name, evaluator, space, objectives, strategy, nTrials, seed)')
    .requiredOption('--config <file>', 'study config JSON')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .option('--json', 'print the created study as JSON')
    .action(
      lazy(
        () => import('../commands/study.js'),
        (m) => m.createAction,
      ),
    );
  for (const verb of ['run', 'resume'] as const) {
    study
      .command(`${verb} <name>`)
      .description(
        verb === 'run'
          ? 'run a study to its budget (local worker threads, or Redis workers with --redis)'
          : 'continue an interrupted study (trials of dead processes are marked failed and retried)',
      )
      .option('--redis <url>', 'enqueue trials on this Redis (redis://host:port); start workers with hwnas worker')
      .option('--queue <name>', 'queue name (default hwnas-trials)')
      .option(
        '--threads <n>',
        'local worker threads (0 = evaluate in this thread; default: config concurrency or the core count); with --redis: trials in flight on the queue (default: config concurrency, else 4)',
      )
      .option('--as-finished', AS_FINISHED_HELP)
      .option(
        '--delay <ms>',
        "each evaluation waits this long (the evaluator's delayMs, as nas --table-delay sets it; 0 = none): timing only, not part of the study's identity; stored, so later runs keep it (default: the stored one)",
      )
      .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
      .option('--json', 'print a JSON summary')
      .action(
        lazy(
          () => import('../commands/study.js'),
          (m) => m.runOrResumeAction,
          checkRunFlags,
        ),
      );
  }
  study
    .command('list')
    .description('list the studies of the store')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/study-store.js'),
        (m) => m.listAction,
      ),
    );
  study
    .command('show <name>')
    .description('show a study: counts and its best trials / Pareto set')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .option('--json', 'print JSON')
    .action(
      lazy(
        () => import('../commands/study-store.js'),
        (m) => m.showAction,
      ),
    );
  study
    .command('delete <name>')
    .description(
      'delete a study: its trials and artifacts (one transaction) and the files it keeps next to the store (models/<study>-<uid>.*, transform/<study>-<uid>/, ...); refused while a live process runs one of its trials (--force to delete anyway)',
    )
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .option('--force', 'delete even when a process that may be alive is running one of its trials (that process then fails)')
    .option('--keep-files', "delete only the store's rows; leave the study's files on disk")
    .option('--json', 'print what was deleted as JSON')
    .action(
      lazy(
        () => import('../commands/study-store.js'),
        (m) => m.deleteAction,
      ),
    );
  study
    .command('export <name>')
    .description('export a study as CSV, JSON, or an Optuna journal file (open with optuna-dashboard)')
    .option('--format <fmt>', 'csv | json | optuna (default: from the --out extension, .json -> json, .log -> optuna; else csv)')
    .option('--out <file>', 'write to this file (default: stdout)')
    .option('--store <file>', `store file (default ${DEFAULT_STORE_PATH})`)
    .action(
      lazy(
        () => import('../commands/study-store.js'),
        (m) => m.exportAction,
        exportFormat,
      ),
    );
}
