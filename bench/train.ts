/**
 * Training and inference throughput of the engine on the reference nets (mnist-cnn on 1x28x28 MNIST,
 * mbnet32 on 3x32x32 = MNIST padded to 32 and replicated to 3 channels), batch 128, Adam, with 1 and 2
 * worker threads on wasm (measured A/B interleaved over several rounds, median reported, in images/s
 * and images per CPU-second of the whole process), the tfjs cpu backend and, when `/usr/bin/python3`
 * has torch, PyTorch with 1 and 2 threads on the same nets (ratios in the same run), and the accuracy
 * of mnist-cnn after 2 epochs on the full MNIST training split.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/train.js [--quick]` (`--quick`: fewer steps, one
 * round, no accuracy run; ~1-2 minutes).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadDataset } from '../src/data/load.js';
import type { Dataset } from '../src/data/types.js';
import { initEngine } from '../src/engine/backend.js';
import { buildModel } from '../src/engine/model.js';
import { train } from '../src/engine/train.js';
import { initWeights } from '../src/ir/init.js';
import { zooGraph } from '../src/ir/zoo/index.js';
import { Rng } from '../src/util/rng.js';

/** Training options of the 2-epoch mnist-cnn accuracy run (standardised MNIST, 55,000 training images). */
export const ACCURACY_RUN = { epochs: 2, batchSize: 64, optimizer: 'adam', lr: 2e-3, schedule: 'cosine', augment: { cropPadding: 1 }, seed: 1 } as const;

/** Options of {@link benchTrain}. */
export interface TrainBenchOptions {
  /** Fewer steps, one round, no accuracy run (default false). */
  readonly quick?: boolean;
  /** Run the 2-epoch full-MNIST accuracy check (default: not in quick mode; ~1-2 minutes). */
  readonly accuracyRun?: boolean;
  /** Timed steps per throughput measurement (default 20, quick 8) after `warmup` steps (default 3, quick 2). */
  readonly steps?: number;
  readonly warmup?: number;
  /** A/B rounds (1 worker, 2 workers, alternating order) per net (default 3, quick 1). */
  readonly rounds?: number;
  /** Measure PyTorch when `/usr/bin/python3` imports torch (default true). */
  readonly torch?: boolean;
}

/** One throughput measurement (or the median of several). */
export interface Throughput {
  readonly net: string;
  readonly backend: 'wasm' | 'cpu' | 'pytorch';
  /** Worker threads (engine) or intra-op threads (PyTorch). */
  readonly workers: 1 | 2;
  readonly batch: number;
  readonly steps: number;
  readonly imagesPerSec: number;
  /** Images per CPU-second of the whole process (all threads): less sensitive to other load. */
  readonly imagesPerCpuSec: number;
}

async function trainThroughput(
  net: string,
  ds: Dataset,
  backend: 'wasm' | 'cpu',
  workers: 1 | 2,
  batch: number,
  warmup: number,
  steps: number,
): Promise<Throughput> {
  await initEngine({ backend });
  const graph = zooGraph(net);
  const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
  const n = batch * (warmup + steps);
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const data = { x: ds.train.x.subarray(0, n * per), y: ds.train.y.subarray(0, n), n };
  const stamps: number[] = [];
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu1: NodeJS.CpuUsage | undefined;
  await train(m, data, {
    epochs: 1,
    batchSize: batch,
    seed: 1,
    workers,
    onProgress: (p) => {
      stamps.push(performance.now());
      if (p.step === warmup - 1) cpu0 = process.cpuUsage();
      if (p.step === warmup + steps - 1) cpu1 = process.cpuUsage(cpu0);
    },
  });
  m.dispose();
  const t0 = stamps[warmup - 1] as number;
  const t1 = stamps[stamps.length - 1] as number;
  const cpuSec = cpu1 ? (cpu1.user + cpu1.system) / 1e6 : Number.NaN;
  return {
    net,
    backend,
    workers,
    batch,
    steps,
    imagesPerSec: Math.round((steps * batch) / ((t1 - t0) / 1000)),
    imagesPerCpuSec: Math.round((steps * batch) / cpuSec),
  };
}

const median = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** PyTorch twins of the zoo nets (same layers, NCHW), timed with 1 and 2 threads; prints one JSON line. */
const TORCH_SCRIPT = `
import json, sys, time, torch, torch.nn as nn
steps, warmup, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def mnist_cnn():
    return nn.Sequential(nn.Conv2d(1,16,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32*7*7,10))
def mbnet32():
    layers = [nn.Conv2d(3,32,3,2,1,bias=False), nn.BatchNorm2d(32), nn.ReLU()]
    cin = 32
    for c, s in [(64,1),(128,2),(128,1),(128,2)]:
        layers += [nn.Conv2d(cin,cin,3,s,1,groups=cin,bias=False), nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin,c,1,bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        cin = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128,10)]
    return nn.Sequential(*layers)
out = []
for r in range(rounds):
    for threads in ([1,2] if r % 2 == 0 else [2,1]):
        torch.set_num_threads(threads)
        for name, make, shape in [('mnist-cnn', mnist_cnn, (1,28,28)), ('mbnet32', mbnet32, (3,32,32))]:
            torch.manual_seed(0)
            net = make(); opt = torch.optim.Adam(net.parameters(), 1e-3); lossf = nn.CrossEntropyLoss()
            x = torch.randn(128, *shape); y = torch.randint(0, 10, (128,))
            def step():
                opt.zero_grad(); loss = lossf(net(x), y); loss.backward(); opt.step()
            for _ in range(warmup): step()
            t0 = time.perf_counter(); c0 = time.process_time()
            for _ in range(steps): step()
            t = time.perf_counter() - t0; c = time.process_time() - c0
            out.append({'net': name, 'threads': threads, 'imagesPerSec': 128*steps/t, 'imagesPerCpuSec': 128*steps/c})
print(json.dumps({'torch': torch.__version__, 'runs': out}))
`;

function torchThroughput(steps: number, warmup: number, rounds: number): { version: string; results: Throughput[] } | { skipped: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, String(steps), String(warmup), String(rounds)], { encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) return { skipped: `/usr/bin/python3 with torch not available (${(r.stderr || r.error?.message || '').trim().split('\n').pop() ?? ''})` };
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    torch: string;
    runs: { net: string; threads: 1 | 2; imagesPerSec: number; imagesPerCpuSec: number }[];
  };
  const results: Throughput[] = [];
  for (const net of ['mnist-cnn', 'mbnet32']) {
    for (const threads of [1, 2] as const) {
      const runs = parsed.runs.filter((q) => q.net === net && q.threads === threads);
      results.push({
        net,
        backend: 'pytorch',
        workers: threads,
        batch: 128,
        steps,
        imagesPerSec: Math.round(median(runs.map((q) => q.imagesPerSec))),
        imagesPerCpuSec: Math.round(median(runs.map((q) => q.imagesPerCpuSec))),
      });
    }
  }
  return { version: parsed.torch, results };
}

async function inferenceThroughput(net: string, ds: Dataset, n: number): Promise<{ net: string; batch: number; imagesPerSec: number }> {
  await initEngine({ backend: 'wasm' });
  const graph = zooGraph(net);
  const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
  m.predict(ds.test.x, 256, { batchSize: 128 });
  const t0 = performance.now();
  m.predict(ds.test.x, n, { batchSize: 128 });
  const s = (performance.now() - t0) / 1000;
  m.dispose();
  return { net, batch: 128, imagesPerSec: Math.round(n / s) };
}

/** Runs the training benchmarks; returns a JSON-able summary. */
export async function benchTrain(opts: TrainBenchOptions = {}): Promise<object> {
  const quick = opts.quick === true;
  const steps = opts.steps ?? (quick ? 8 : 20);
  const warmup = opts.warmup ?? (quick ? 2 : 3);
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const load0 = loadavg()[0];
  const mnist = await loadDataset('mnist', {});
  const mnist32 = await loadDataset('mnist', { size: 32, channels: 3, limit: { train: 128 * (steps + warmup), val: 0, test: 4096 } });
  const runs: Throughput[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const workers of r % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      runs.push(await trainThroughput('mnist-cnn', mnist, 'wasm', workers, 128, warmup, steps));
      runs.push(await trainThroughput('mbnet32', mnist32, 'wasm', workers, 128, warmup, steps));
    }
  }
  const training: Throughput[] = [];
  for (const net of ['mnist-cnn', 'mbnet32']) {
    for (const workers of [1, 2] as const) {
      const mine = runs.filter((t) => t.net === net && t.workers === workers);
      training.push({
        ...(mine[0] as Throughput),
        imagesPerSec: median(mine.map((t) => t.imagesPerSec)),
        imagesPerCpuSec: median(mine.map((t) => t.imagesPerCpuSec)),
      });
    }
  }
  // The cpu backend is ~100x slower: a few small steps are enough for the ratio.
  const cpu = [await trainThroughput('mnist-cnn', mnist, 'cpu', 1, 16, 1, 2), await trainThroughput('mbnet32', mnist32, 'cpu', 1, 16, 1, 1)];
  const torch = opts.torch === false ? { skipped: 'disabled' } : torchThroughput(quick ? 10 : 20, 3, rounds);
  await initEngine({ backend: 'wasm' });
  const inference = [await inferenceThroughput('mnist-cnn', mnist, quick ? 2048 : 8192), await inferenceThroughput('mbnet32', mnist32, quick ? 1024 : 4096)];
  const engine = (net: string, workers: 1 | 2): Throughput | undefined => training.find((t) => t.net === net && t.workers === workers);
  const ratios: Record<string, object> = {};
  for (const net of ['mnist-cnn', 'mbnet32']) {
    const c = cpu.find((t) => t.net === net)?.imagesPerSec ?? Number.NaN;
    const row: Record<string, number> = {};
    for (const w of [1, 2] as const) {
      const e = engine(net, w);
      if (!e) continue;
      row[`toCpuBackend_workers${w}`] = Math.round(e.imagesPerSec / c);
      if ('results' in torch) {
        const p = torch.results.find((t) => t.net === net && t.workers === w);
        if (p) {
          row[`toPytorch_threads${w}`] = Math.round((e.imagesPerSec / p.imagesPerSec) * 1000) / 1000;
          row[`toPytorch_threads${w}_perCpuSec`] = Math.round((e.imagesPerCpuSec / p.imagesPerCpuSec) * 1000) / 1000;
        }
      }
    }
    ratios[net] = row;
  }
  let accuracy: object | undefined;
  if (opts.accuracyRun ?? !quick) {
    const ds = await loadDataset('mnist', { standardize: true });
    const graph = zooGraph('mnist-cnn');
    const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
    const r = await train(m, ds.train, ACCURACY_RUN);
    const test = m.evaluate(ds.test.x, ds.test.y, ds.test.n);
    m.dispose();
    accuracy = {
      net: 'mnist-cnn',
      epochs: 2,
      options: ACCURACY_RUN,
      trainImages: ds.train.n,
      testAccuracy: test.accuracy,
      testImages: test.n,
      trainImagesPerSec: Math.round(r.imagesPerSec),
      workers: r.workers,
      seconds: Math.round(r.seconds),
    };
  }
  return {
    date: new Date().toISOString(),
    loadAverageAtStart: load0,
    loadAverageAtEnd: loadavg()[0],
    rounds,
    training,
    trainingRuns: runs.map((t) => ({ net: t.net, workers: t.workers, imagesPerSec: t.imagesPerSec, imagesPerCpuSec: t.imagesPerCpuSec })),
    cpuBackend: cpu,
    pytorch: torch,
    ratios,
    inference,
    ...(accuracy ? { accuracy } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await benchTrain({ quick }), null, 2));
}
