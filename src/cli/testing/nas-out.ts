/**
 * The check of a `hwnas nas ... --out x.onnx` run both nas --out tests make (float and `+bits` spaces): exit 0, the
 * `wrote` line's onnxruntime accuracy equal to the recorded one, the trial the study's best accuracy, and independently
 * of the command, the file run in onnxruntime on the validation split the search measured gives the stored accuracy.
 */
import assert from 'node:assert/strict';
import { loadDataset } from '../../data/load.js';
import { nasDatasetOptions } from '../../nas/run.js';
import { archInputSize, resizeSplit } from '../../nas/train-eval.js';
import { getArchSpace } from '../../search/spaces/registry.js';
import { spaceInputShape } from '../../search/spaces/types.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { onnxAccuracy } from '../commands/eval.js';
import { runHwnas } from './run-cli.js';

/**
 * Runs `hwnas <args> --store <store> --out <out>` in `dir` (a search of `space` on `data`), checks it as the module
 * comment says and returns the written trial's architecture string and recorded accuracy.
 */
export async function checkNasOutRun(
  dir: string,
  args: readonly string[],
  o: { readonly store: string; readonly out: string; readonly data: string; readonly space: string },
): Promise<{ readonly arch: string; readonly recorded: number }> {
  const r = await runHwnas(dir, ...args, '--store', o.store, '--out', o.out);
  assert.equal(r.code, 0, r.stderr);
  const m = /wrote (.*): trial #(\d+), input 1x(\d+)x\3, validation accuracy ([\d.]+)% in onnxruntime \(the search recorded ([\d.]+)%\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [, file, trial, size, onnxPct, recordedPct] = m as unknown as [string, string, string, string, string, string];
  assert.equal(file, o.out);
  assert.equal(onnxPct, recordedPct);
  // the best accuracy of the study's front, read from the store
  const s = new SqliteStore(o.store, { readonly: true });
  let recorded: number;
  let arch: string;
  try {
    const trials = s.getTrials(s.listStudies()[0]?.name as string);
    const t = trials[Number(trial)];
    recorded = t?.values?.[0] as number;
    arch = t?.userAttrs.arch as string;
    assert.equal(recorded, Math.max(...trials.map((x) => x.values?.[0] as number)));
  } finally {
    s.close();
  }
  assert.equal(recordedPct, (recorded * 100).toFixed(2));
  // independently of the command: the file run in onnxruntime on the validation split the search measured
  const space = getArchSpace(o.space);
  assert.equal(archInputSize(space.parse(arch)), Number(size));
  const d = nasDatasetOptions(o.data, undefined, spaceInputShape(space));
  const ds = await loadDataset(d.spec, d.options);
  const val = resizeSplit(ds.val, ds.shape, Number(size));
  assert.equal((await onnxAccuracy(o.out, val.x, val.y, val.n)).accuracy, recorded);
  return { arch, recorded };
}
