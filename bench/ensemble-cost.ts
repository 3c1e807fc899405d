/**
 * How many 1-bit-weight members fit within the w8a8 model's cost (issue 15): mbnet32 1x28x28, member
 * widths w1aA for A in {8, 4, 2, 1}, depthwise convolutions at 8 bits (the default) or at the member bits
 * (`lowBitDepthwise`), first and last layers at 8 bits; per target, one member's latency and energy
 * from the target's own cost model (src/ensemble/cost.ts) and the largest K whose members, one after
 * another, stay within the w8a8 model's latency and energy. Analytic: no training, a few seconds.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/ensemble-cost.js [--targets bismo-cloud,bitfusion-edge] [--json]`
 */
import { pathToFileURL } from 'node:url';
import { ensembleCost } from '../src/ensemble/cost.js';
import { memberPolicy } from '../src/ensemble/members.js';
import { getTarget } from '../src/hardware/registry.js';
import { zooGraph } from '../src/ir/zoo/index.js';

/** One row of the table. */
export interface MemberCostRow {
  readonly target: string;
  readonly member: string;
  readonly actBits: number;
  readonly lowBitDepthwise: boolean;
  readonly memberLatencyMs: number;
  readonly memberEnergyMj: number;
  readonly w8a8LatencyMs: number;
  readonly w8a8EnergyMj: number;
  /** Largest K within the w8a8 latency / energy, members sequential. */
  readonly kWithinLatency: number;
  readonly kWithinEnergy: number | null;
}

const MODEL = 'zoo:mbnet32?channels=1&size=28';

/** The table for `targets` (bit-serial and brick targets: they run every width here). */
export async function benchEnsembleCost(targets: readonly string[] = ['bismo-cloud', 'bitfusion-edge']): Promise<MemberCostRow[]> {
  const graph = zooGraph(MODEL);
  const rows: MemberCostRow[] = [];
  for (const name of targets) {
    const target = getTarget(name);
    await target.prepare?.(graph);
    for (const lowBitDepthwise of [false, true]) {
      for (const actBits of [8, 4, 2, 1]) {
        const policy = memberPolicy(graph, { weightBits: 1, actBits, lowBitDepthwise });
        const c = ensembleCost(target, graph, policy, 1);
        if (!c.w8a8 || !c.membersWithinW8a8) throw new Error(`target '${name}' has no w8a8 cost`);
        rows.push({
          target: name,
          member: policy.name ?? '',
          actBits,
          lowBitDepthwise,
          memberLatencyMs: c.member.latencyMs,
          memberEnergyMj: c.member.energyMj,
          w8a8LatencyMs: c.w8a8.latencyMs,
          w8a8EnergyMj: c.w8a8.energyMj,
          kWithinLatency: c.membersWithinW8a8.latency,
          kWithinEnergy: c.membersWithinW8a8.energy ?? null,
        });
      }
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--targets');
  const targets = i >= 0 ? (process.argv[i + 1] ?? '').split(',') : undefined;
  const rows = await benchEnsembleCost(targets);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log('| target | member | depthwise | member ms / mJ | w8a8 ms / mJ | K within latency | K within energy |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.target} | w1a${r.actBits} | ${r.lowBitDepthwise ? `w1a${r.actBits}` : 'w8a8'} | ${r.memberLatencyMs.toPrecision(4)} / ${r.memberEnergyMj.toPrecision(4)} | ` +
          `${r.w8a8LatencyMs.toPrecision(4)} / ${r.w8a8EnergyMj.toPrecision(4)} | ${r.kWithinLatency} | ${r.kWithinEnergy ?? '-'} |`,
      );
    }
  }
}
