/**
 * A target from a parsed target data file, by its `model`: the analytical cost models only. No file
 * system and no native package here, so the browser what-if page (src/web) builds targets with the same
 * code and the same parameter checks as `hwnas cost --target name?key=value`.
 */
import { ConfigError } from '../errors.js';
import { bismoFromFile } from './bismo.js';
import { bitFusionFromFile } from './bitfusion.js';
import type { TargetFile } from './data.js';
import { rooflineFromFile } from './roofline.js';
import { systolicFromFile } from './systolic.js';
import type { HardwareTarget } from './types.js';

/** Build an analytical target from a target data file according to its `model`. */
export function targetFromFile(file: TargetFile, overrides: Readonly<Record<string, unknown>> = {}, name = file.name): HardwareTarget {
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
