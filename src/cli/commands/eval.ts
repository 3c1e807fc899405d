import { parseDatasetSpec } from '../../data/spec.js';
import { requireScoredSplit } from '../../data/split.js';
import { UserError } from '../../errors.js';
import { intOption, printJson, scoredImages } from '../io.js';
import { datasetForShapes } from './train.js';

/** What to do about data whose samples do not fit a model: the spec's own size=/channels= win over the model's, so name those the spec has. */
function sizeHint(spec: string | undefined): string {
  const given = spec === undefined ? [] : (['size', 'channels'] as const).filter((k) => parseDatasetSpec(spec).options[k] !== undefined);
  return given.length > 0
    ? `--dataset sets ${given.map((k) => `${k}=`).join(' and ')}, which ${given.length > 1 ? 'win' : 'wins'} over the model's input; drop ${given.length > 1 ? 'them' : 'it'} or use a model of that input`
    : "expected data of the model's input shape (or of 1 channel and any size, which is replicated and padded/cropped to it); use data or a model that match";
}

/**
 * Accuracy of an ONNX model on a split, run in onnxruntime-node; also returns the logits. `data` (optional) says
 * where the samples came from, for the error when their size does not match the model's input: the data set's
 * per-sample shape and the spec options that set it.
 */
export async function onnxAccuracy(
  onnxPath: string,
  x: Float32Array,
  y: ArrayLike<number>,
  n: number,
  batch = 256,
  data?: { readonly shape: readonly number[]; readonly spec: string },
): Promise<{ accuracy: number; logits: Float32Array; imagesPerSec: number }> {
  const { createSession, runOnnx } = await import('../../onnx/ort.js');
  const s = await createSession(onnxPath);
  const per = s.inputShape.reduce((a, b) => a * b, 1);
  if (per * n !== x.length) {
    await s.session.release();
    throw new UserError(
      `'${onnxPath}' expects input [${s.inputShape.join(',')}] (${per} values per sample) but the data set gives ${data ? `[${data.shape.join(',')}] (${x.length / n} values)` : `${x.length / n} values`} per sample: ${sizeHint(data?.spec)}`,
    );
  }
  let correct = 0;
  let classes = 0;
  const parts: Float32Array[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const out = await runOnnx(s, x.subarray(i * per, (i + b) * per), b);
    classes = out.length / b;
    parts.push(out);
    for (let j = 0; j < b; j++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if ((out[j * classes + k] as number) > (out[j * classes + best] as number)) best = k;
      if (best === Number(y[i + j])) correct++;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const logits = new Float32Array(n * classes);
  let off = 0;
  for (const p of parts) {
    logits.set(p, off);
    off += p.length;
  }
  await s.session.release();
  return { accuracy: correct / n, logits, imagesPerSec: n / secs };
}

/** The action of the command registered in src/cli/register/eval.ts (imported when that command runs). */
export const evalAction = async (
  path: string,
  f: {
    dataset: string;
    split?: string;
    batchSize?: string;
    policy?: string;
    calibrationImages?: string;
    ptq?: string;
    json?: boolean;
    task?: string;
    galleryModel?: string;
  },
) => {
  if (f.task !== undefined && f.task !== 'classification') {
    if (f.task !== 'retrieval') throw new UserError(`--task '${f.task}': expected classification or retrieval`);
    const { evalRetrieval } = await import('./retrieval.js');
    return evalRetrieval(path, f);
  }
  if (f.galleryModel !== undefined) throw new UserError('--gallery-model applies to --task retrieval only');
  if (!path.endsWith('.onnx')) throw new UserError(`eval takes a .onnx file, got '${path}'`);
  const split = f.split ?? 'test';
  if (split !== 'test' && split !== 'val') throw new UserError(`--split must be test or val, got '${split}'`);
  if (f.policy !== undefined) {
    const calibrationImages = intOption('--calibration-images', f.calibrationImages, 512, 1);
    const { evalWithPolicy } = await import('./eval-policy.js');
    return evalWithPolicy(path, {
      dataset: f.dataset,
      split,
      policy: f.policy,
      calibrationImages,
      ...(f.ptq !== undefined ? { ptq: f.ptq } : {}),
      ...(f.json ? { json: true } : {}),
    });
  }
  if (f.calibrationImages !== undefined) throw new UserError('--calibration-images needs --policy');
  if (f.ptq !== undefined) throw new UserError('--ptq needs --policy');
  const batch = intOption('--batch-size', f.batchSize, 256, 1);
  // The file runs in onnxruntime as it is (float or QDQ, any operator onnxruntime knows): its shapes come from the session.
  const { createSession } = await import('../../onnx/ort.js');
  const probe = await createSession(path);
  const shapes = { input: [...probe.inputShape], output: [...(probe.outputShape ?? [])] };
  const fixedBatch = probe.fixedBatch;
  const outputs = probe.session.outputNames;
  await probe.session.release();
  if (outputs.length > 1)
    process.stderr.write(
      `note: '${path}' has ${outputs.length} outputs (${outputs.map((o) => `'${o}'`).join(', ')}): scoring the first, '${probe.outputName}', as the class logits\n`,
    );
  if (fixedBatch !== undefined && fixedBatch !== batch)
    process.stderr.write(`note: '${path}' fixes its batch at ${fixedBatch}: it runs ${fixedBatch} image${fixedBatch > 1 ? 's' : ''} at a time\n`);
  const ds = await datasetForShapes(f.dataset, shapes.input, shapes.output, undefined, path);
  const data = split === 'test' ? ds.test : ds.val;
  requireScoredSplit(data, split, `--dataset '${f.dataset}'`);
  const r = await onnxAccuracy(path, data.x, data.y, data.n, batch, { shape: ds.shape, spec: f.dataset });
  if (f.json) printJson({ model: path, dataset: ds.name, split, n: data.n, accuracy: r.accuracy, imagesPerSec: r.imagesPerSec });
  else
    process.stdout.write(
      `accuracy ${(r.accuracy * 100).toFixed(2)}% on ${scoredImages(data.n, split, ds.name)} (onnxruntime, ${Math.round(r.imagesPerSec)} img/s)\n`,
    );
};
