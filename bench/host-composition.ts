/**
 * host-cpu composition on small networks (issue 20 item 3): mbv2-micro architectures measured kernel by kernel
 * and whole; each network's whole-network latency is predicted by the plain fusion model (Σ kernels timed alone +
 * run overhead) and by the host-cpu target's calibrated composition (`fitHostComposition`) fitted on the other
 * networks only (leave-one-out), so no network is predicted by a fit that saw it.
 * `npx tsc -p tsconfig.json && node dist/bench/host-composition.js [--nets 8] [--seed 7]`
 */
import { pathToFileURL } from 'node:url';
import { fitHostComposition, measureHost } from '../src/hardware/host.js';
import type { Graph } from '../src/ir/types.js';
import { MBV2_MICRO, mbv2Space } from '../src/search/spaces/mbv2.js';
import { Rng } from '../src/util/rng.js';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  const nets = flag('--nets', 8);
  const seed = flag('--seed', 7);
  const space = mbv2Space(MBV2_MICRO);
  const rng = new Rng(seed);
  const rows: { arch: string; kernelSumMs: number; networkMs: number; plainMs: number }[] = [];
  for (let i = 0; i < nets; i++) {
    const a = space.fromParams(space.space.sample(rng) as Record<string, never>);
    const g: Graph = space.graph(a);
    const m = await measureHost(g, { perNode: false, seed: i });
    rows.push({ arch: space.format(a), kernelSumMs: m.kernelSumMs, networkMs: m.network.latencyMs, plainMs: m.fusionModelMs });
    process.stderr.write(`measured ${i + 1}/${nets}\n`);
  }
  const out = rows.map((r, i) => {
    const c = fitHostComposition(rows.filter((_, j) => j !== i));
    return { ...r, calibratedMs: c.kernelScale * r.kernelSumMs + c.fixedMs, kernelScale: c.kernelScale, fixedMs: c.fixedMs };
  });
  const mape = (k: 'plainMs' | 'calibratedMs'): number => out.reduce((a, o) => a + Math.abs(o[k] - o.networkMs) / o.networkMs, 0) / out.length;
  const worst = (k: 'plainMs' | 'calibratedMs'): number => Math.max(...out.map((o) => Math.abs(o[k] - o.networkMs) / o.networkMs));
  process.stdout.write(
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        nets,
        seed,
        plainFusionModel: { mape: mape('plainMs'), worst: worst('plainMs') },
        calibratedLeaveOneOut: { mape: mape('calibratedMs'), worst: worst('calibratedMs') },
        rows: out,
      },
      null,
      1,
    )}\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
