import { writeFileSync } from 'node:fs';
import { requireScoredSplit } from '../../data/split.js';
import type { ActRounding, BinarizeMode, SteVariant } from '../../engine/bitwise.js';
import type { EnsembleCost, EnsembleRun, Sampling, VoteRule, WeightFormat } from '../../ensemble/index.js';
import { ConfigError } from '../../errors.js';
import { loadModelSpec } from '../../onnx/model-source.js';
import { checkOutPath, floatOption, intOption, printJson } from '../io.js';
import { createProgress, type Progress } from '../progress.js';
import { augmentFor, augmentPadding, datasetForModel, sayWhereOnInterrupt, type TrainFlags, trainOptionsFromFlags } from './train.js';

interface EnsembleFlags extends TrainFlags {
  readonly dataset: string;
  readonly members?: string;
  readonly weightBits?: string;
  readonly actBits?: string;
  readonly edgeBits?: string;
  readonly lowBitEdges?: boolean;
  readonly lowBitDepthwise?: boolean;
  readonly sampling?: string;
  readonly target?: string;
  readonly bitwiseEpochs?: string;
  readonly bitwiseLr?: string;
  readonly ste?: string;
  readonly clip?: string;
  readonly trainBinarize?: string;
  readonly temperature?: string;
  readonly rounding?: string;
  readonly compareRounding?: boolean;
  readonly vote?: string;
  readonly out?: string;
  readonly weightFormat?: string;
  readonly distill?: string;
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${flag} must be ${allowed.join(' or ')}, got '${v}'`);
  return v as T;
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** The action of the command registered in src/cli/register/ensemble.ts (imported when that command runs). */
export const ensembleAction = async (spec: string, f: EnsembleFlags) => {
  const quiet = !!f.json;
  const floatFlags = trainOptionsFromFlags(f, { epochs: spec.startsWith('zoo:') ? 3 : 0 });
  const augment = augmentPadding(f.augment);
  const seed = floatFlags.seed ?? 0;
  const members = intOption('--members', f.members, 5, 1);
  if (members > 64) throw new ConfigError(`--members ${members}: expected 1..64`);
  const weightBits = intOption('--weight-bits', f.weightBits, 1, 1);
  const actBits = intOption('--act-bits', f.actBits, 8, 1);
  const edgeBits = intOption('--edge-bits', f.edgeBits, 8, 1);
  const sampling = oneOf<Sampling>('--sampling', f.sampling, ['stochastic', 'independent'], 'stochastic');
  const ste = oneOf<SteVariant>('--ste', f.ste, ['identity', 'clipped'], 'identity');
  const rounding = oneOf<ActRounding>('--rounding', f.rounding, ['nearest', 'lfsr'], 'nearest');
  const vote = oneOf<VoteRule>('--vote', f.vote, ['majority', 'mean'], 'majority');
  const weightFormat = oneOf<WeightFormat>('--weight-format', f.weightFormat, ['float', 'qdq'], 'float');
  const distill = floatOption('--distill', f.distill, 0, 0);
  if (!(distill >= 0 && distill <= 1)) throw new ConfigError(`--distill ${distill}: expected a number in [0, 1]`);
  const trainBinarize = f.trainBinarize === undefined ? undefined : oneOf<BinarizeMode>('--train-binarize', f.trainBinarize, ['sign', 'stochastic'], 'sign');
  const clip = floatOption('--clip', f.clip, 1, 0);
  if (!(clip > 0)) throw new ConfigError(`--clip ${clip}: expected a positive number`);
  const temperature = floatOption('--temperature', f.temperature, 1, 0);
  if (!(temperature > 0)) throw new ConfigError(`--temperature ${temperature}: expected a positive number`);
  const bitwiseEpochs = intOption('--bitwise-epochs', f.bitwiseEpochs, 2, 0);
  const bitwiseLr = f.bitwiseLr !== undefined ? floatOption('--bitwise-lr', f.bitwiseLr, 0, 0) : floatFlags.lr;
  const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
  if (f.out !== undefined) checkOutPath('--out', f.out, [['model', spec]]);
  const { checkMemberPrecision, ensembleCost, exportEnsembleOnnx, runEnsemble } = await import('../../ensemble/index.js');
  const precision = {
    weightBits,
    actBits,
    edgeBits,
    ...(f.lowBitEdges ? { lowBitEdges: true } : {}),
    ...(f.lowBitDepthwise ? { lowBitDepthwise: true } : {}),
  };
  checkMemberPrecision(precision);
  const { getTarget } = await import('../../hardware/registry.js');
  const targets = (f.target ?? 'bismo-cloud').split(',').map((t) => getTarget(t.trim()));
  const model = loadModelSpec(spec, seed);
  // Ctrl-C says where it stopped: ensemble keeps no state between runs, and --out is written only at the end
  const stage = sayWhereOnInterrupt(
    'while loading the data set',
    `nothing written${f.out !== undefined ? ` (${f.out} is written at the end; a file already there is left as it was)` : ''}: the same command starts again from the float training`,
  );
  const ds = await datasetForModel(f.dataset, model, limit, spec);
  requireScoredSplit(ds.test, 'test', `--dataset '${f.dataset}'`);
  // --augment applies to the float and the bitwise training alike
  const floatTrain = { ...floatFlags, ...augmentFor(augment, ds) };
  const { initEngine } = await import('../../engine/index.js');
  await initEngine();

  // one bar per stage: float training, bitwise training(s), member evaluation
  let bar: Progress | undefined;
  let barKey = '';
  const run: EnsembleRun = await runEnsemble(model, ds, {
    members,
    precision,
    sampling,
    floatTrain,
    bitwiseTrain: { ...floatTrain, epochs: bitwiseEpochs, ...(bitwiseLr !== undefined ? { lr: bitwiseLr } : {}) },
    ste,
    clip,
    ...(trainBinarize ? { trainBinarize } : {}),
    temperature,
    distill,
    rounding,
    compareRounding: f.compareRounding === true || (f.out !== undefined && rounding === 'lfsr'),
    vote,
    seed,
    onProgress: (e) => {
      const key = `${e.stage}:${e.stage === 'evaluate' ? 0 : e.index}`;
      if (key !== barKey) {
        bar?.stop();
        barKey = key;
        const label = e.stage === 'evaluate' ? 'evaluate members' : e.stage === 'train-float' ? 'train float' : `train bitwise ${e.index + 1}/${e.of}`;
        stage.at(
          e.stage === 'evaluate'
            ? 'while evaluating the members'
            : e.stage === 'train-float'
              ? 'while training the float model'
              : `while training bitwise member ${e.index + 1} of ${e.of}`,
        );
        const total = e.train ? e.train.batches * e.train.epochs : e.of;
        bar = createProgress({ total, label, fields: e.train ? ['epoch', 'loss', 'img/s'] : [], quiet });
      }
      if (e.train) {
        const p = e.train;
        bar?.update(p.step + 1, { epoch: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(4), 'img/s': Math.round(p.imagesPerSec) });
      } else bar?.update(e.index);
    },
  });
  bar?.stop();
  stage.at('while costing the ensemble');

  const costs: EnsembleCost[] = [];
  for (const t of targets) {
    await t.prepare?.(model.graph);
    costs.push(ensembleCost(t, model.graph, run.policy, members));
  }
  let onnx: { out: string; weightFormat: WeightFormat; onnxAccuracy: number; onnxAccuracyUnoptimized: number; engineAccuracy: number } | undefined;
  if (f.out) {
    const bytes = exportEnsembleOnnx(model.graph, run.members, run.activations, { weightFormat, policy: run.policy });
    writeFileSync(f.out, bytes);
    stage.at(`while checking ${f.out} in onnxruntime`, `${f.out} is written, its onnxruntime accuracy not measured: \`hwnas eval ${f.out}\` measures it`);
    const { createSession, runOnnx } = await import('../../onnx/ort.js');
    const { argmaxRows } = await import('../../ensemble/vote.js');
    const per = ds.test.x.length / ds.test.n;
    // the file as written (no graph optimisation: float QDQ semantics), and as a user's default session runs it
    // (onnxruntime fuses QDQ into integer kernels whose requantisation can flip a near-tie of the vote)
    const accuracyOf = async (optimization: 'disabled' | 'all'): Promise<number> => {
      const s = await createSession(bytes, { optimization });
      let ok = 0;
      for (let i = 0; i < ds.test.n; i += 500) {
        const m = Math.min(500, ds.test.n - i);
        const top = argmaxRows(await runOnnx(s, ds.test.x.slice(i * per, (i + m) * per), m), ds.numClasses);
        for (let j = 0; j < m; j++) if (top[j] === ds.test.y[i + j]) ok++;
      }
      await s.session.release();
      return ok / ds.test.n;
    };
    const exact = await accuracyOf('disabled');
    const fused = await accuracyOf('all');
    const nearest = rounding === 'nearest' ? run.accuracy : run.otherRounding;
    onnx = {
      out: f.out,
      weightFormat,
      onnxAccuracy: fused,
      onnxAccuracyUnoptimized: exact,
      engineAccuracy: (nearest?.majorityVsMembers[members - 1] as number) ?? Number.NaN,
    };
  }
  stage.remove();
  const head = costs[0] as EnsembleCost;
  const result = {
    model: model.graph.name,
    dataset: ds.name,
    testImages: run.testImages,
    members,
    sampling,
    weightBits,
    actBits,
    edgeBits: f.lowBitEdges ? weightBits : edgeBits,
    lowBitDepthwise: f.lowBitDepthwise === true,
    policy: run.policy.name,
    vote,
    rounding,
    distill,
    floatAccuracy: run.floatAccuracy,
    w8a8Accuracy: run.w8a8Accuracy,
    signMemberAccuracy: run.signMemberAccuracy,
    memberAccuracies: run.accuracy.memberAccuracies,
    ensembleAccuracy: run.ensembleAccuracy,
    majorityVsMembers: run.accuracy.majorityVsMembers,
    meanVsMembers: run.accuracy.meanVsMembers,
    disagreement: run.accuracy.disagreement,
    ...(run.otherRounding ? { otherRounding: run.otherRounding } : {}),
    target: head.target,
    latencyMs: head.sequential.latencyMs,
    energyMj: head.sequential.energyMj,
    memberLatencyMs: head.member.latencyMs,
    floatLatencyMs: head.float.latencyMs,
    ...(head.w8a8 ? { w8a8LatencyMs: head.w8a8.latencyMs } : {}),
    costs,
    trainSeconds: run.trainSeconds,
    seed,
    ...(onnx ?? {}),
  };
  if (f.json) {
    printJson(result);
    return;
  }
  const lines = [
    `${model.graph.name} on ${ds.name} (${run.testImages} test images): ${members} members, w${weightBits}a${actBits} (${run.policy.name}), ${sampling} sampling`,
    `float ${pct(run.floatAccuracy)}, w8a8 ${pct(run.w8a8Accuracy)}, one sign member ${pct(run.signMemberAccuracy)}`,
    `members ${run.accuracy.memberAccuracies.map(pct).join(' ')}; disagreement ${pct(run.accuracy.disagreement)}`,
    `ensemble (${vote}) ${pct(run.ensembleAccuracy)}; majority vs K: ${run.accuracy.majorityVsMembers.map(pct).join(' ')}`,
    ...costs.map(
      (c) =>
        `${c.target}: member ${c.member.latencyMs.toPrecision(4)} ms (${c.memberPrecision}), ensemble ${c.sequential.latencyMs.toPrecision(4)} ms sequential / ${c.parallel.latencyMs.toPrecision(4)} ms on ${members} arrays, ` +
        `${Number.isNaN(c.sequential.energyMj) ? 'no energy model' : `${c.sequential.energyMj.toPrecision(4)} mJ`}; float ${c.float.latencyMs.toPrecision(4)} ms (${c.float.precision})` +
        (c.w8a8 ? `, w8a8 ${c.w8a8.latencyMs.toPrecision(4)} ms` : '') +
        (c.membersWithinW8a8 ? `; members within the w8a8 latency: ${c.membersWithinW8a8.latency}` : ''),
    ),
    ...(onnx
      ? [
          `wrote ${onnx.out}: onnxruntime accuracy ${pct(onnx.onnxAccuracy)} (without graph optimisation ${pct(onnx.onnxAccuracyUnoptimized)}; engine ${pct(onnx.engineAccuracy)})`,
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
};
