/**
 * Test helpers shared by the CLI end-to-end tests: a temporary folder per test file, the flags the quantize and
 * nas tests run with, their JSON report's common fields, and the check of a table of user errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { PrecisionPolicy } from '../../ir/precision.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { CliRun } from './run-cli.js';

/** A new folder `<os tmp>/<prefix>XXXXXX`, removed with its contents after the test file's tests. */
export function testDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `--name value` pairs in the record's order. */
export function flagList(flags: Readonly<Record<string, string>>): string[] {
  return Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]);
}

/**
 * The 2026-12-03 bitfusion-edge model (im2col mapping), which the quantize tests' latency=0.6x budget on mnist-cnn
 * was set against: under the session-33 preset (channel-wise 3x3 convs) mnist-cnn cannot go below 0.644x of W8A8.
 */
export const BITFUSION_EDGE_2026_12_03 = 'bitfusion-edge?mapping=im2col&stalls=overlap&psum=none';

/**
 * The flags of the `hwnas quantize` tests on mnist-cnn: a 600 / 300 / 200-image MNIST slice, {@link BITFUSION_EDGE_2026_12_03},
 * `strategy` under latency=0.6x at bits 2,4,8, no fine-tuning, 200 search images, one training epoch, `seed`, `store`.
 */
export function quantizeFlags(strategy: string, seed: number, store: string): string[] {
  return flagList({
    dataset: 'mnist;limit=train:600,val:300,test:200',
    target: BITFUSION_EDGE_2026_12_03,
    strategy,
    budget: 'latency=0.6x',
    bits: '2,4,8',
    'finetune-epochs': '0',
    'search-images': '200',
    'train-epochs': '1',
    seed: String(seed),
    store,
  });
}

/** `nas` with the flags of the `hwnas nas` tests on MNIST: 200 images, one epoch, no QAFT epochs, bitfusion-edge. */
export const NAS_MNIST: readonly string[] = ['nas', ...flagList({ dataset: 'mnist', limit: '200', epochs: '1', 'qaft-epochs': '0', target: 'bitfusion-edge' })];

/** The fields of `hwnas quantize --json` the quantize tests read. */
export interface QuantizeOut {
  readonly policy: PrecisionPolicy;
  readonly study: string;
  readonly trial: number;
  readonly latencyMs: number;
  readonly baselineLatencyMs: number;
}

/**
 * Runs each case (`run(extra)`) and asserts a user error: exit 2, stderr matching the case's pattern, no stack trace.
 */
export async function assertUserErrors(cases: readonly (readonly [string[], RegExp])[], run: (extra: string[]) => Promise<CliRun>): Promise<void> {
  for (const [extra, msg] of cases) {
    const r = await run(extra);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
}

/**
 * The trained float model `hwnas quantize` kept beside `store` for `study` (of a zoo: model): the path its stored
 * config's evaluation reads, `models/<study>-<study uid>.json` next to the store.
 */
export function keptModelFile(store: string, study: string): string {
  const s = new SqliteStore(store, { readonly: true });
  try {
    const config = s.getStudy(study)?.userAttrs.config as { evaluator?: { options?: { model?: unknown } } } | undefined;
    const model = config?.evaluator?.options?.model;
    assert.ok(
      typeof model === 'string' && model.endsWith('.json'),
      `study ${study} in ${store} keeps a model file (config: ${JSON.stringify(config?.evaluator)})`,
    );
    return model;
  } finally {
    s.close();
  }
}
