import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { complexityReport, getTarget, layerCostAttrs, type PrecisionPolicy, uniformPolicy } from '../../hardware/index.js';
import { graphTotals, graphWorkloads, initWeights, zooGraph } from '../../ir/index.js';
import { saveOnnx } from '../../onnx/index.js';
import { writeReport } from '../../report/index.js';
import { createStrategy, type JsonValue, SearchSpace } from '../../search/index.js';
import { SqliteStore } from '../../store/index.js';
import { runStudy, type StudyResult } from '../../study/index.js';
import { Rng } from '../../util/rng.js';
import { formatTable } from '../../util/table.js';
import { checkOutDir, humanCount, intOption, printJson, seedOption } from '../io.js';
import { createProgress } from '../progress.js';
import { CLI_TRAIN_DEFAULTS } from '../register/train.js';
import { onnxAccuracy } from './eval.js';
import { layerRow, layerTable } from './inspect.js';
import { datasetForModel, trainWithProgress } from './train.js';

/** The action of the command registered in src/cli/register/demo.ts (imported when that command runs). */
export const demoAction = async (f: { epochs?: string; seed?: string; out?: string; limit?: string; trials?: string; json?: boolean }) => {
  const epochs = intOption('--epochs', f.epochs, 1, 1);
  const seed = seedOption(f.seed);
  const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
  const trials = intOption('--trials', f.trials, 40, 1);
  const outDir = checkOutDir('--out', f.out ?? 'hwnas-demo');
  const say = (s: string): void => {
    if (!f.json) process.stdout.write(`${s}\n`);
  };
  // the engine and the quantizer load only when a command runs them (the CLI starts fast)
  const { buildModel, initEngine } = await import('../../engine/index.js');
  const { exportQdqOnnx } = await import('../../quant/qdq-export.js');
  const { calibrateActivations, evaluatePolicy, PolicyCoster, quantConfig, quantizePipeline } = await import('../../quant/index.js');
  mkdirSync(outDir, { recursive: true }); // the folder itself: its parent exists (checkOutDir)
  const graph = zooGraph('mnist-cnn');
  const model = { graph, weights: initWeights(graph, new Rng(seed)) };
  const totals = graphTotals(graph);
  say(`== 1. The network: zoo:mnist-cnn (${humanCount(totals.macs)} MACs, ${humanCount(totals.params)} params)`);
  say(
    layerTable(
      graphWorkloads(graph)
        .filter((w) => w.op !== 'input')
        .map(layerRow),
    ).trimEnd(),
  );
  const ds = await datasetForModel('mnist', model, limit);
  const backend = await initEngine();
  say(
    `\n== 2. Training on MNIST (${ds.train.n} train / ${ds.val.n} val / ${ds.test.n} test images), ${epochs} epoch(s), Adam, batch ${CLI_TRAIN_DEFAULTS.batchSize}, ${backend} backend`,
  );
  const em = buildModel(model);
  const tr = await trainWithProgress(
    em,
    ds,
    { epochs, batchSize: CLI_TRAIN_DEFAULTS.batchSize, optimizer: 'adam', lr: CLI_TRAIN_DEFAULTS.adamLr, schedule: 'cosine', seed },
    !!f.json,
  );
  const test = em.evaluate(ds.test.x, ds.test.y, ds.test.n);
  say(`test accuracy ${(test.accuracy * 100).toFixed(2)}% (engine), ${Math.round(tr.imagesPerSec)} train img/s with ${tr.workers} worker(s)`);
  const onnxPath = join(outDir, 'mnist-cnn.onnx');
  saveOnnx(em.toModel(), onnxPath);
  const engineLogits = em.predict(ds.test.x, ds.test.n);
  const trained = em.toModel();
  const ort = await onnxAccuracy(onnxPath, ds.test.x, ds.test.y, ds.test.n);
  let maxDiff = 0;
  let agree = 0;
  const k = 10;
  for (let i = 0; i < ds.test.n; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < k; j++) {
      maxDiff = Math.max(maxDiff, Math.abs((engineLogits[i * k + j] as number) - (ort.logits[i * k + j] as number)));
      if ((engineLogits[i * k + j] as number) > (engineLogits[i * k + a] as number)) a = j;
      if ((ort.logits[i * k + j] as number) > (ort.logits[i * k + b] as number)) b = j;
    }
    if (a === b) agree++;
  }
  say(`\n== 3. ONNX export: ${onnxPath}`);
  say(
    `onnxruntime-node: test accuracy ${(ort.accuracy * 100).toFixed(2)}%, ${Math.round(ort.imagesPerSec)} img/s; ` +
      `same top-1 as the engine on ${agree}/${ds.test.n} images, max |logit difference| ${maxDiff.toExponential(2)}`,
  );

  // 4. What the hardware says: the same network on two accelerators at two precisions.
  const edge = getTarget('bitfusion-edge');
  const cloud = getTarget('bismo-cloud');
  say(`\n== 4. Hardware cost (not FLOPs): latency and energy from the target's own model`);
  const costRows = [edge, cloud].flatMap((t) =>
    [8, 4].map((b) => {
      const r = complexityReport(graph, t, uniformPolicy(b, b));
      return {
        target: t.name,
        policy: `w${b}a${b}`,
        latency: `${(r.total.latencyMs * 1000).toFixed(2)} us`,
        energy: t.hasEnergy ? `${(r.total.energyMj * 1000).toFixed(2)} uJ` : '-',
        dram: `${(r.total.dramBytes / 1024).toFixed(1)} KiB`,
      };
    }),
  );
  say(
    formatTable(costRows, [
      { key: 'target', header: 'target' },
      { key: 'policy', header: 'policy' },
      { key: 'latency', header: 'latency', align: 'right' },
      { key: 'energy', header: 'energy', align: 'right' },
      { key: 'dram', header: 'DRAM traffic', align: 'right' },
    ]).trimEnd(),
  );

  // 5. Mixed precision under a latency budget on bitfusion-edge (HAWQ-style ILP on Hessian sensitivity).
  say(`\n== 5. Mixed precision for bitfusion-edge under latency <= 0.8x of W8A8 (Hessian sensitivity + ILP, HiGHS)`);
  const q = await quantizePipeline({ model: trained, dataset: ds, target: edge, strategy: 'ilp', budget: 'latency=0.8x', finetuneEpochs: 0, seed });
  say(
    formatTable(
      q.layers.map((l) => ({ layer: l.layer, w: String(l.weightBits), a: String(l.actBits) })),
      [
        { key: 'layer', header: 'layer' },
        { key: 'w', header: 'W bits', align: 'right' },
        { key: 'a', header: 'A bits', align: 'right' },
      ],
    ).trimEnd(),
  );
  const qPath = join(outDir, 'mnist-cnn-mixed.qdq.onnx');
  writeFileSync(qPath, exportQdqOnnx(q.finalModel, quantConfig(q.finalModel.graph, q.policy, q.calibration, q.channelBits)));
  const qOrt = await onnxAccuracy(qPath, ds.test.x, ds.test.y, ds.test.n);
  say(
    `latency ${(q.latencyMs * 1000).toFixed(2)} us vs W8A8 ${(q.baselineLatencyMs * 1000).toFixed(2)} us (${(q.baselineLatencyMs / q.latencyMs).toFixed(2)}x faster), ` +
      `energy ${(q.baselineEnergyMj / q.energyMj).toFixed(2)}x lower; test accuracy ${(q.accuracy * 100).toFixed(2)}% vs W8A8 ${(q.baselineAccuracy * 100).toFixed(2)}%; ` +
      `QDQ ONNX ${qPath}: ${(qOrt.accuracy * 100).toFixed(2)}% in onnxruntime`,
  );

  // 6. A small multi-objective study: accuracy vs latency over per-layer bits, stored in SQLite, with a report.
  say(`\n== 6. Study: NSGA-II over per-layer weight/activation bits, ${trials} trials, accuracy (1000 val images) vs bitfusion-edge latency`);
  const fm = buildModel(trained);
  const cal = calibrateActivations(fm, ds.train.x, Math.min(512, ds.train.n), 'mse');
  const per = ds.val.x.length / ds.val.n;
  const nv = Math.min(1000, ds.val.n);
  const valSet = { x: ds.val.x.subarray(0, nv * per), y: ds.val.y.subarray(0, nv), n: nv };
  const coster = new PolicyCoster(graph, edge);
  const layerNames = coster.layers.map((l) => l.name);
  const bitsChoices = [2, 3, 4, 5, 6, 8];
  const space = new SearchSpace(
    Object.fromEntries(
      layerNames.flatMap((l) => [
        [`w:${l}`, { kind: 'categorical', choices: bitsChoices }],
        [`a:${l}`, { kind: 'categorical', choices: bitsChoices }],
      ]),
    ),
  );
  const dbPath = join(outDir, 'hwnas.sqlite');
  const store = new SqliteStore(dbPath);
  const studyName = `demo-bits-${seed}`;
  // a study left by an earlier demo run scored another training run's weights: start it afresh
  if (store.getStudy(studyName)) {
    store.deleteStudy(studyName);
    say(`(replaced the study '${studyName}' of an earlier demo run in ${dbPath})`);
  }
  const bar = createProgress({ total: trials, label: 'study', fields: ['pareto'], quiet: !!f.json });
  let study: StudyResult;
  try {
    study = await runStudy({
      store,
      studyName,
      space,
      objectives: [
        { name: 'accuracy', direction: 'maximize' },
        { name: 'latency_us', direction: 'minimize' },
      ],
      strategy: createStrategy('nsga2', { populationSize: 12 }),
      nTrials: trials,
      seed,
      evaluate: async (params) => {
        const layers: Record<string, { weightBits: number; actBits: number }> = {};
        for (const l of layerNames) layers[l] = { weightBits: Number(params[`w:${l}`]), actBits: Number(params[`a:${l}`]) };
        const policy: PrecisionPolicy = { default: { weightBits: 8, actBits: 8 }, layers };
        const acc = evaluatePolicy(fm, policy, valSet, cal).accuracy;
        const net = edge.networkCost(graph, policy);
        const layerCosts = layerCostAttrs(net);
        return {
          values: [acc, coster.policyCost(policy).latency * 1000],
          userAttrs: { policy: policy as unknown as JsonValue, layerCosts: layerCosts as unknown as JsonValue },
        };
      },
      onProgress: (p) => bar.update(p.done, { pareto: String(p.best.length) }),
    });
  } finally {
    bar.stop();
    fm.dispose();
  }
  const reportPath = join(outDir, 'report.html');
  writeReport(reportPath, store, studyName);
  store.close();
  const front = [...study.best].sort((a, b) => (a.values?.[1] ?? 0) - (b.values?.[1] ?? 0));
  say(`Pareto front (${front.length} of ${study.trials.length} trials), stored in ${dbPath}:`);
  say(
    formatTable(
      front.map((t) => ({
        trial: String(t.number),
        accuracy: `${((t.values?.[0] ?? 0) * 100).toFixed(2)}%`,
        latency: `${(t.values?.[1] ?? 0).toFixed(2)} us`,
        bits: layerNames.map((l) => `w${String(t.params[`w:${l}`])}a${String(t.params[`a:${l}`])}`).join(' '),
      })),
      [
        { key: 'trial', header: 'trial', align: 'right' },
        { key: 'accuracy', header: 'val accuracy', align: 'right' },
        { key: 'latency', header: 'latency', align: 'right' },
        { key: 'bits', header: `bits (${layerNames.join(', ')})` },
      ],
    ).trimEnd(),
  );
  say(`report: ${reportPath} (open it in a browser; 'hwnas serve --store ${dbPath}' shows the live dashboard)`);

  if (f.json) {
    printJson({
      model: 'mnist-cnn',
      epochs,
      seed,
      testAccuracy: test.accuracy,
      trainImagesPerSec: tr.imagesPerSec,
      workers: tr.workers,
      onnx: onnxPath,
      onnxAccuracy: ort.accuracy,
      onnxImagesPerSec: ort.imagesPerSec,
      onnxAgreement: agree / ds.test.n,
      maxLogitDiff: maxDiff,
      mixedPrecision: {
        policy: q.policy,
        accuracy: q.accuracy,
        baselineAccuracy: q.baselineAccuracy,
        latencyMs: q.latencyMs,
        baselineLatencyMs: q.baselineLatencyMs,
        energyMj: q.energyMj,
        baselineEnergyMj: q.baselineEnergyMj,
        onnx: qPath,
        onnxAccuracy: qOrt.accuracy,
      },
      study: { name: studyName, store: dbPath, trials: study.trials.length, pareto: front.length, report: reportPath },
    });
  }
};
