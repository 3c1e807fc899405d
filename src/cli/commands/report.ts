import { ConfigError } from '../../errors.js';
import { writeReport } from '../../report/html.js';
import { DEFAULT_STORE_PATH } from '../../store/sqlite-store.js';
import { checkOutPath, printJson } from '../io.js';
import { openStore } from './study.js';

/** The action of the command registered in src/cli/register/report.ts (imported when that command runs). */
export const reportAction = (name: string, f: { out?: string; store?: string; compare?: string; json?: boolean }) => {
  const compare =
    f.compare === undefined
      ? []
      : f.compare
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x.length > 0);
  if (f.compare !== undefined) checkCompare(name, f.compare, compare);
  const out = checkOutPath('--out', f.out ?? `${name}-report.html`, [['--store', f.store ?? DEFAULT_STORE_PATH]]);
  const store = openStore(f.store, true);
  try {
    const bytes = writeReport(out, store, name, { compare });
    const trials = store.getTrials(name).length;
    if (f.json) printJson({ study: name, out, bytes, trials, ...(compare.length > 0 ? { compared: compare } : {}) });
    else process.stdout.write(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB, ${trials} trials; opens offline)\n`);
  } finally {
    store.close();
  }
};

/** `--compare` must name other studies, each once (exit 2 naming the value otherwise). */
function checkCompare(study: string, raw: string, names: readonly string[]): void {
  if (names.length === 0) throw new ConfigError(`--compare '${raw}' names no study: expected comma-separated names of other studies with the same objectives`);
  if (names.includes(study))
    throw new ConfigError(`--compare '${raw}' names the reported study '${study}' itself: expected other studies with the same objectives`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ConfigError(`--compare '${raw}' names study '${dup}' twice: expected each study once`);
}
