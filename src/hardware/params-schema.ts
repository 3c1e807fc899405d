/**
 * One zod schema per analytical cost model, checked for every preset, target file and what-if query
 * string (`bitfusion-edge?clockMHz=0`), so an impossible parameter is a ConfigError naming it instead
 * of a negative energy, an infinite latency or a negative area.
 */
import { z } from 'zod';
import { parseWith } from '../util/zod-error.js';

/** A count of hardware units: a positive integer. */
const count = z.number().int('expected an integer').positive('expected a positive integer');
/** A rate, size or frequency: a positive finite number. */
const positive = z.number().positive('expected a positive number').finite();
/** An energy, overhead or optional size: a finite number >= 0. */
const nonNegative = z.number().nonnegative('expected a number >= 0').finite();
/** A utilisation: in (0, 1]. */
const share = z.number().positive('expected a utilisation in (0, 1]').max(1, 'expected a utilisation in (0, 1]');

/** BitFusion (src/hardware/bitfusion.ts). */
export const bitFusionSchema = z.object({
  rows: count,
  cols: count,
  bricksPerUnit: count,
  brickBits: count,
  clockMHz: positive,
  weightBufKB: positive,
  inputBufKB: positive,
  outputBufKB: positive,
  dramGBps: positive,
  resultBits: z.number().int('expected an integer').nonnegative('expected 0 (the activation bits) or a bit-width'),
  vectorOpsPerCycle: positive,
  fuse: z.boolean(),
  brickPj: nonNegative,
  accumulatePj: nonNegative,
  batch: count,
  // session-33 modelling choices (optional; checked with their allowed values in bitfusion.ts)
  mapping: z.string().optional(),
  stalls: z.string().optional(),
  psum: z.string().optional(),
});

/** BISMO (src/hardware/bismo.ts). */
export const bismoSchema = z.object({
  dm: count,
  dn: count,
  dk: count,
  clockMHz: positive,
  dramGBps: positive,
  lhsEntries: count,
  rhsEntries: count,
  resultBits: count,
  vectorOpsPerCycle: positive,
  fuse: z.boolean(),
  binaryOpPj: nonNegative,
  accumulatePj: nonNegative,
  batch: count,
  // session-32 modelling choices (optional; checked with their allowed values in bismo.ts)
  portBits: z.number().int('expected an integer').nonnegative('expected an integer >= 0').optional(),
  convBatch: z.string().optional(),
  weightPlanes: z.string().optional(),
  packGroups: z.boolean().optional(),
  requantize: z.boolean().optional(),
});

/** Systolic array (src/hardware/systolic.ts). */
export const systolicSchema = z.object({
  rows: count,
  cols: count,
  dataflow: z.string(), // checked by SystolicTarget itself (one message for files and code)
  peBits: count,
  clockMHz: positive,
  weightBufKB: positive,
  inputBufKB: positive,
  outputBufKB: positive,
  dramGBps: positive,
  macRelEnergy: nonNegative,
  rfRelEnergy: nonNegative,
  arrayRelEnergy: nonNegative,
  bufferRelEnergy: nonNegative,
  dramRelEnergy: nonNegative,
  macRefPj: nonNegative,
  vectorOpsPerCycle: positive,
  fuse: z.boolean(),
  batch: count,
});

/** Roofline device (src/hardware/roofline.ts). */
export const rooflineSchema = z.object({
  peakTops: z
    .record(z.string().regex(/^[0-9]+$/, 'expected a bit-width'), positive)
    .refine((m) => Object.keys(m).length > 0, 'expected at least one precision'),
  fallback: z.enum(['round-up', 'strict']),
  clampTo: z.number().int('expected an integer').nonnegative('expected 0 (off) or a bit-width'),
  // optional (files written before session 51 have none: packed); checked with its allowed values in roofline.ts
  storage: z.string().optional(),
  dramGBps: positive,
  onchipKB: nonNegative,
  onchipGBps: positive,
  weightCacheKB: nonNegative,
  layerOverheadUs: nonNegative,
  utilConv: share,
  utilDepthwise: share,
  utilDense: share,
  utilElementwise: share,
  nHalfMacs: nonNegative,
  powerW: nonNegative,
  fuse: z.boolean(),
  batch: count,
});

/** Checks a target's parameters against its schema (ConfigError naming each bad parameter and its value). */
export function checkTargetParams<S extends z.ZodType>(schema: S, params: unknown, target: string): z.infer<S> {
  return parseWith(schema, params, `target '${target}' params`);
}
