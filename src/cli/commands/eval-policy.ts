/** `hwnas eval <model> --policy <p>`: post-training accuracy under a precision policy beside the float accuracy. */
import { requireScoredSplit } from '../../data/split.js';
import { UserError } from '../../errors.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { printJson, scoredImages } from '../io.js';
import { loadPolicySpec } from '../policy-source.js';
import { datasetForModel } from './train.js';

/** Runs `eval --policy` (engine fake-quant; activations calibrated on training images). */
export async function evalWithPolicy(
  path: string,
  f: {
    readonly dataset: string;
    readonly split: 'test' | 'val';
    readonly policy: string;
    readonly calibrationImages: number;
    /** Post-training steps (`--ptq`; default DEFAULT_PTQ of src/quant/ptq.ts). */
    readonly ptq?: string;
    readonly json?: boolean;
  },
): Promise<void> {
  const { DEFAULT_PTQ, parsePtq, ptqLabel } = await import('../../quant/ptq.js');
  const steps = f.ptq !== undefined ? parsePtq(f.ptq) : DEFAULT_PTQ;
  const model = loadModelSpec(path);
  const policy = loadPolicySpec(f.policy, model.graph);
  const ds = await datasetForModel(f.dataset, model, undefined, path);
  const data = f.split === 'test' ? ds.test : ds.val;
  requireScoredSplit(data, f.split, `--dataset '${f.dataset}'`);
  if (ds.train.n === 0) throw new UserError(`--dataset '${f.dataset}' has no training images; expected some to calibrate activation ranges`);
  if (!f.json) process.stderr.write(`calibrating activation ranges on ${Math.min(f.calibrationImages, ds.train.n)} training images\n`);
  const { initEngine } = await import('../../engine/index.js');
  const { policyAccuracy } = await import('../../quant/policy-eval.js');
  await initEngine();
  const r = policyAccuracy(model, policy, data, { calibration: ds.train, calibrationImages: f.calibrationImages, ptq: steps });
  if (f.json)
    printJson({
      model: path,
      dataset: ds.name,
      split: f.split,
      n: r.n,
      policy: policy.name ?? f.policy,
      floatAccuracy: r.floatAccuracy,
      accuracy: r.accuracy,
      calibrationImages: r.calibrationImages,
      ptq: ptqLabel(steps),
      weightQuantizers: r.weightQuantizers,
      activationQuantizers: r.activationQuantizers,
    });
  else
    process.stdout.write(
      `accuracy ${(r.accuracy * 100).toFixed(2)}% under policy ${policy.name ?? f.policy} (float ${(r.floatAccuracy * 100).toFixed(2)}%) on ${scoredImages(r.n, f.split, ds.name)}; engine fake-quant, ${r.weightQuantizers} weight and ${r.activationQuantizers} activation quantizers, activations calibrated on ${r.calibrationImages} training images, post-training steps: ${ptqLabel(steps)}\n`,
    );
}
