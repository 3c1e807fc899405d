/**
 * Hardware cost of an ensemble of K identical-shape members on one target, from the target's own cost
 * model: per member, then the total when the members run one after another on one array (latency and
 * energy x K, area x 1) or at once on K arrays (latency x 1, energy x K, area x K). The vote itself
 * (K x classes comparisons and adds) is not modelled: it is a few dozen operations per image.
 *
 * A target that cannot run the members' bits but runs float32 (host-cpu: onnxruntime on this CPU) runs
 * them as float32 graphs (a 1-bit weight is the float +s or -s), so a member costs what the float model
 * costs there; the result says so in `memberPrecision`.
 */
import { ConfigError } from '../errors.js';
import { bitsSupported, checkPolicyBits, type PrecisionPolicy, uniformPolicy } from '../hardware/precision.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Graph } from '../ir/types.js';

/** Latency (ms) and energy (mJ; NaN where the target models none) of one configuration. */
export interface CostPoint {
  readonly latencyMs: number;
  readonly energyMj: number;
}

/** Cost of an ensemble on one target. */
export interface EnsembleCost {
  readonly target: string;
  readonly members: number;
  /** The precision the members were costed at: the member policy's name, or 'fp32' (see the module comment). */
  readonly memberPrecision: string;
  readonly member: CostPoint;
  /** One array, members one after another. */
  readonly sequential: CostPoint & { readonly areaMm2?: number };
  /** K arrays, members at once. */
  readonly parallel: CostPoint & { readonly areaMm2?: number };
  /** The float model: fp32 where the target runs it, else w16a16. */
  readonly float: CostPoint & { readonly precision: string };
  /** The float model quantized to w8a8 (absent where the target cannot run 8 bits). */
  readonly w8a8?: CostPoint;
  /**
   * The most members that run one after another within the w8a8 model's latency, and within its energy
   * (0: not even one; energy absent where the target models none). Absent with `w8a8`.
   */
  readonly membersWithinW8a8?: { readonly latency: number; readonly energy?: number };
}

/** The most members of cost `member` each that fit, one after another, within `budget` (0 if none; a 1e-9 relative tolerance). */
export function membersWithin(member: number, budget: number): number {
  if (!(member > 0 && Number.isFinite(member) && budget >= 0)) throw new ConfigError(`member cost ${member} / budget ${budget}: expected a positive cost`);
  return Math.floor((budget / member) * (1 + 1e-9));
}

function point(target: HardwareTarget, g: Graph, p: PrecisionPolicy): CostPoint {
  const c = target.networkCost(g, p);
  return { latencyMs: c.latencyMs, energyMj: target.hasEnergy ? c.energyMj : Number.NaN };
}

function runs(target: HardwareTarget, p: PrecisionPolicy): boolean {
  return [p.default, ...Object.values(p.layers)].every((q) => bitsSupported(q, target.supportedBits));
}

/**
 * Cost of `members` copies of `graph` at `policy` on `target` (call `await target.prepare?.(graph)` first
 * for targets that measure).
 */
export function ensembleCost(target: HardwareTarget, graph: Graph, policy: PrecisionPolicy, members: number): EnsembleCost {
  if (!(Number.isInteger(members) && members >= 1)) throw new ConfigError(`ensemble members ${members}: expected a positive integer`);
  const fp32 = uniformPolicy(32, 32, 'fp32');
  const w16 = uniformPolicy(16, 16, 'w16a16');
  const w8 = uniformPolicy(8, 8, 'w8a8');
  let memberPolicy = policy;
  if (!runs(target, policy)) {
    if (!bitsSupported({ weightBits: 32, actBits: 32 }, target.supportedBits)) checkPolicyBits(policy, target.supportedBits, target.name);
    memberPolicy = fp32;
  }
  const floatPolicy = bitsSupported({ weightBits: 32, actBits: 32 }, target.supportedBits) ? fp32 : w16;
  const member = point(target, graph, memberPolicy);
  const inner = policy.default;
  const area = memberPolicy === policy && target.computeAreaMm2 ? target.computeAreaMm2(inner) : undefined;
  const k = members;
  const w8a8 = runs(target, w8) ? point(target, graph, w8) : undefined;
  return {
    target: target.name,
    members: k,
    memberPrecision: memberPolicy.name ?? 'policy',
    member,
    sequential: { latencyMs: member.latencyMs * k, energyMj: member.energyMj * k, ...(area !== undefined ? { areaMm2: area } : {}) },
    parallel: { latencyMs: member.latencyMs, energyMj: member.energyMj * k, ...(area !== undefined ? { areaMm2: area * k } : {}) },
    float: { ...point(target, graph, floatPolicy), precision: floatPolicy.name ?? 'float' },
    ...(w8a8
      ? {
          w8a8,
          membersWithinW8a8: {
            latency: membersWithin(member.latencyMs, w8a8.latencyMs),
            ...(target.hasEnergy ? { energy: membersWithin(member.energyMj, w8a8.energyMj) } : {}),
          },
        }
      : {}),
  };
}
