/** Test helper: a small retrieval (embedding) model trained through the real CLI, shared by the retrieval CLI tests. */
import { type CliRun, runHwnas } from './run-cli.js';

/** The small `mbv2` architecture the retrieval CLI tests train (fast on a 300-image slice). */
export const SMALL_RETRIEVAL_ARCH = 'space:mbv2:r28-w0.5:k3e1r|k3e1r|k3e1r|k3e1r';

/** `hwnas train SMALL --task retrieval --embedding-dim 16 --dataset <dataset> --seed <seed> [extra] --out <out> --json`. */
export function trainRetrievalModel(dir: string, out: string, dataset: string, seed: number, ...extra: string[]): Promise<CliRun> {
  const args = ['train', SMALL_RETRIEVAL_ARCH, '--task', 'retrieval', '--embedding-dim', '16', '--dataset', dataset];
  return runHwnas(dir, ...args, ...extra, '--seed', String(seed), '--out', out, '--json');
}
