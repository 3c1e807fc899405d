/** Re-export: the zod-to-ConfigError helper lives in src/util so every folder can use it. */
export { parseWith } from '../util/zod-error.js';
