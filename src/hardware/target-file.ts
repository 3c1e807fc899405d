/**
 * A target from a parsed target data file, by its `model`: the analytical cost models only. No file
 * system and no native package here, so the browser what-if page (src/web) builds targets with the same
 * code and the same parameter checks as `hwnas cost --target name?key=value`.
 */
import { ConfigError } from '../errors.js';
import { bismoFromFile } from './bismo.js';
import { bitFusionFromFile } from './bitfusion.js';
import type { TargetFile } from './data.js';
import { bismoSchema, bitFusionSchema, rooflineSchema, systolicSchema } from './params-schema.js';
import { rooflineFromFile } from './roofline.js';
import { systolicFromFile } from './systolic.js';
import type { HardwareTarget } from './types.js';

/** The parameters each cost model takes (its schema's keys, optional ones included). */
const MODEL_PARAMS: Readonly<Record<string, readonly string[]>> = {
  bitfusion: Object.keys(bitFusionSchema.shape),
  bismo: Object.keys(bismoSchema.shape),
  systolic: Object.keys(systolicSchema.shape),
  roofline: Object.keys(rooflineSchema.shape),
};

/**
 * Throw a ConfigError naming the file, the parameter and the ones its model takes if the file has a parameter its model
 * does not read (a misspelt `utilconv` would otherwise be ignored, as `name?utilconv=1` is not).
 */
function checkFileParams(file: TargetFile): void {
  const known = MODEL_PARAMS[file.model];
  if (!known) return; // an unknown model is reported by targetFromFile
  const unknown = Object.keys(file.params).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw new ConfigError(
      `target file ${file.path}: unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for model '${file.model}' (expected one of ${known.join(', ')})`,
    );
}

/** Build an analytical target from a target data file according to its `model` (a parameter its model does not take is a ConfigError). */
export function targetFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): HardwareTarget {
  checkFileParams(file);
  switch (file.model) {
    case 'bitfusion':
      return bitFusionFromFile(file, overrides, name);
    case 'bismo':
      return bismoFromFile(file, overrides, name);
    case 'systolic':
      return systolicFromFile(file, overrides, name);
    case 'roofline':
      return rooflineFromFile(file, overrides, name);
    default:
      throw new ConfigError(`target file ${file.path}: model '${file.model}' is not one of bitfusion, bismo, systolic, roofline`);
  }
}
