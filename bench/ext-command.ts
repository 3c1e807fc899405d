/**
 * Overhead of the `command` evaluation per trial, hwnas side: a study of no-op commands (`/bin/echo` of a
 * metrics line) run through the study loop (in-memory store), against spawning the same command directly
 * with child_process. Modes: generic (params only), and `space` mode (mbv2: float ONNX export, policy and
 * architecture JSON, cost on bitfusion-edge per trial).
 * Run: `npx tsc -p tsconfig.json && node dist/bench/ext-command.js [--trials 40]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SearchSpace } from '../src/search/space.js';
import { getArchSpace } from '../src/search/spaces/registry.js';
import { RandomSearch } from '../src/search/strategies/random.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { runStudy } from '../src/study/run-study.js';
import { commandEvaluator } from '../src/workers/command-evaluation.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const trials = arg('--trials', 40);
const work = mkdtempSync(join(tmpdir(), 'hwnas-bench-cmd-'));
const line = '{"metrics": {"accuracy": 0.5}}';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

function direct(): number {
  const t: number[] = [];
  for (let i = 0; i < trials; i++) {
    const t0 = performance.now();
    spawnSync('/bin/echo', [line]);
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function study(mode: 'generic' | 'mbv2'): Promise<number> {
  const space = mode === 'mbv2' ? getArchSpace('mbv2').space : new SearchSpace({ x: { kind: 'float', low: 0, high: 1 } });
  const evaluate = commandEvaluator({
    cmd: ['/bin/echo', line],
    workdir: work,
    keep: 'none',
    ...(mode === 'mbv2' ? { space: 'mbv2', target: 'bitfusion-edge', objectives: 'accuracy:max,latency_ms:min' } : {}),
  });
  const objectives =
    mode === 'mbv2'
      ? [
          { name: 'accuracy', direction: 'maximize' as const },
          { name: 'latency_ms', direction: 'minimize' as const },
        ]
      : [{ name: 'accuracy', direction: 'maximize' as const }];
  const per: number[] = [];
  let last = performance.now();
  await runStudy({
    store: new MemoryStore(),
    studyName: `bench-${mode}`,
    space,
    objectives,
    strategy: new RandomSearch(),
    evaluate,
    nTrials: trials,
    seed: 0,
    onProgress: () => {
      const now = performance.now();
      per.push(now - last);
      last = now;
    },
  });
  return median(per.slice(1));
}

const d = direct();
const g = await study('generic');
const m = await study('mbv2');
rmSync(work, { recursive: true, force: true });
const out = {
  trials,
  node: process.version,
  directSpawnMs: d,
  generic: { perTrialMs: g, overheadMs: g - d },
  mbv2: { perTrialMs: m, overheadMs: m - d },
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
