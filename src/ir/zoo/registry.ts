import { ConfigError } from '../../errors.js';
import type { Graph } from '../types.js';
import { efficientnetB0, mobilenetV2, resnet18, resnet50, vgg16 } from './imagenet.js';
import type { ZooOptions } from './options.js';
import { mbnet32, mnistCnn } from './small.js';

/** A zoo entry: builder and a one-line description. */
export interface ZooEntry {
  readonly build: (o: ZooOptions) => Graph;
  readonly description: string;
}

/** The model zoo, by name. */
export const ZOO: Readonly<Record<string, ZooEntry>> = {
  'mnist-cnn': { build: mnistCnn, description: 'MNIST reference CNN: conv16-pool-conv32-pool-fc10, 1x28x28' },
  mbnet32: { build: mbnet32, description: 'MobileNet-style: conv32/s2 + 4 depthwise-separable blocks to 128, pool, fc10; 3x32x32' },
  'mobilenet-v2': { build: mobilenetV2, description: 'MobileNetV2 (torchvision layout), width multiplier, 3x224x224' },
  resnet18: { build: resnet18, description: 'ResNet-18 (torchvision layout), 3x224x224' },
  resnet50: { build: resnet50, description: 'ResNet-50 (torchvision v1.5 layout), 3x224x224' },
  vgg16: { build: vgg16, description: 'VGG-16 (config D), 3x224x224' },
  'efficientnet-b0': { build: efficientnetB0, description: 'EfficientNet-B0 (torchvision layout), 3x224x224' },
};

const OPTION_KEYS = ['size', 'channels', 'classes', 'width'] as const;

/** Accepted range of each option: beyond it a model is either meaningless (width 1e-9: empty layers) or too large to build (size 1e8). */
const OPTION_RANGE: Readonly<Record<(typeof OPTION_KEYS)[number], readonly [number, number]>> = {
  size: [1, 4096],
  channels: [1, 1024],
  classes: [1, 1_000_000],
  width: [0.05, 16],
};

/**
 * Build a zoo graph from a spec `zoo:<name>[?size=..&channels=..&classes=..&width=..]`
 * (the `zoo:` prefix is optional).
 */
export function zooGraph(spec: string): Graph {
  const s = spec.startsWith('zoo:') ? spec.slice(4) : spec;
  const [name = '', query = ''] = s.split('?', 2);
  const entry = ZOO[name];
  if (!entry) throw new ConfigError(`unknown zoo model '${name}': expected one of ${Object.keys(ZOO).join(', ')}`);
  const opts: Record<string, number> = {};
  for (const kv of query ? query.split('&') : []) {
    const [k = '', v = ''] = kv.split('=', 2);
    if (!(OPTION_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`zoo model '${name}': unknown option '${k}' (expected ${OPTION_KEYS.join(', ')})`);
    }
    if (k in opts) throw new ConfigError(`zoo model '${name}': option '${k}' is given twice in '${spec}' (which one was meant?)`);
    const num = Number(v);
    if (!Number.isFinite(num) || num <= 0 || (k !== 'width' && !Number.isInteger(num))) {
      throw new ConfigError(`zoo model '${name}': option ${k}='${v}' must be a positive ${k === 'width' ? 'number' : 'integer'}`);
    }
    const [lo, hi] = OPTION_RANGE[k as (typeof OPTION_KEYS)[number]];
    if (num < lo || num > hi) throw new ConfigError(`zoo model '${name}': option ${k}='${v}' is out of range; expected ${lo} <= ${k} <= ${hi}`);
    opts[k] = num;
  }
  return entry.build(opts as ZooOptions);
}
