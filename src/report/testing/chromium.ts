/** Test helper: headless Debian Chromium through playwright-core, and a study with real trials to draw. */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import '../../workers/builtin.js';
import { Nsga2 } from '../../search/strategies/nsga2.js';
import type { Store } from '../../store/types.js';
import { runStudy } from '../../study/run-study.js';
import { evaluatorFor, getEvaluation } from '../../workers/registry.js';

/** Path of Debian's chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests are skipped, or false when Chromium is installed. */
export function chromiumSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); skipping browser tests`;
}

/** Launches headless Chromium with no network side traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Runs a small real `policy-cost` study (mnist-cnn on bitfusion-edge, NSGA-II) into `store`. */
export async function seedPolicyStudy(
  store: Store,
  studyName: string,
  nTrials = 30,
  objectives: readonly string[] = ['latency_ms', 'quant_error'],
): Promise<void> {
  const options = { objectives: [...objectives] };
  const e = getEvaluation('policy-cost');
  const space = e.defaultSpace?.(options);
  if (!space) throw new Error('policy-cost has a default space');
  await runStudy({
    store,
    studyName,
    space,
    objectives: e.objectives(options),
    strategy: new Nsga2({ populationSize: 10 }),
    evaluate: evaluatorFor({ name: 'policy-cost', options }),
    nTrials,
    seed: 1,
  });
}
