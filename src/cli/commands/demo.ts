import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildModel, initEngine } from '../../engine/index.js';
import { graphTotals, graphWorkloads, initWeights, zooGraph } from '../../ir/index.js';
import { saveOnnx } from '../../onnx/index.js';
import { formatTable } from '../../report/table.js';
import { Rng } from '../../util/rng.js';
import { humanCount, intOption, printJson, shapeStr } from '../io.js';
import { onnxAccuracy } from './eval.js';
import { datasetForModel, trainWithProgress } from './train.js';

/** `hwnas demo`: the main job on built-in defaults, end to end on real data. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train the MNIST reference CNN on real MNIST, show its layers, export to ONNX and check it in onnxruntime')
    .option('--epochs <n>', 'training epochs (default 1)')
    .option('--seed <n>', 'seed (default 0)')
    .option('--out <dir>', 'output directory (default ./hwnas-demo)')
    .option('--limit <n>', 'use only the first N training images (quick look)')
    .option('--json', 'print a JSON summary')
    .action(async (f: { epochs?: string; seed?: string; out?: string; limit?: string; json?: boolean }) => {
      const epochs = intOption('--epochs', f.epochs, 1, 1);
      const seed = intOption('--seed', f.seed, 0, 0);
      const outDir = f.out ?? 'hwnas-demo';
      const say = (s: string): void => {
        if (!f.json) process.stdout.write(`${s}\n`);
      };
      mkdirSync(outDir, { recursive: true });
      const graph = zooGraph('mnist-cnn');
      const model = { graph, weights: initWeights(graph, new Rng(seed)) };
      const totals = graphTotals(graph);
      say(`== 1. The network: zoo:mnist-cnn (${humanCount(totals.macs)} MACs, ${humanCount(totals.params)} params)`);
      say(
        formatTable(
          graphWorkloads(graph)
            .filter((w) => w.op !== 'input')
            .map((w) => ({ layer: w.node, op: w.op, input: shapeStr(w.inShapes[0] ?? []), output: shapeStr(w.outShape), macs: humanCount(w.macs), params: humanCount(w.params) })),
          [
            { key: 'layer', header: 'layer' },
            { key: 'op', header: 'op' },
            { key: 'input', header: 'input' },
            { key: 'output', header: 'output' },
            { key: 'macs', header: 'MACs', align: 'right' },
            { key: 'params', header: 'params', align: 'right' },
          ],
        ).trimEnd(),
      );
      const limit = f.limit !== undefined ? intOption('--limit', f.limit, 0, 1) : undefined;
      const ds = await datasetForModel('mnist', model, limit);
      const backend = await initEngine();
      say(`\n== 2. Training on MNIST (${ds.train.n} train / ${ds.val.n} val / ${ds.test.n} test images), ${epochs} epoch(s), Adam, batch 128, ${backend} backend`);
      const em = buildModel(model);
      const tr = await trainWithProgress(em, ds, { epochs, batchSize: 128, optimizer: 'adam', lr: 2e-3, schedule: 'cosine', seed }, !!f.json);
      const test = em.evaluate(ds.test.x, ds.test.y, ds.test.n);
      say(`test accuracy ${(test.accuracy * 100).toFixed(2)}% (engine), ${Math.round(tr.imagesPerSec)} train img/s with ${tr.workers} worker(s)`);
      const onnxPath = join(outDir, 'mnist-cnn.onnx');
      saveOnnx(em.toModel(), onnxPath);
      const engineLogits = em.predict(ds.test.x, ds.test.n);
      em.dispose();
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
        });
      }
    });
}
