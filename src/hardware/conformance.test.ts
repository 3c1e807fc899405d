import { getTarget } from './registry.js';
import { runTargetConformance } from './testing/conformance.js';

for (const name of [
  'bitfusion-edge',
  'bismo-cloud',
  'systolic',
  'systolic?dataflow=ws&rows=16&cols=16',
  'systolic?dataflow=os',
  'myriad-x',
  'cortex-a76',
  'jetson-nano',
  'edge-tpu',
  'a100',
]) {
  runTargetConformance(name, () => getTarget(name));
}
