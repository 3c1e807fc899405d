import { GraphBuilder } from '../builder.js';
import type { Graph } from '../types.js';
import type { ZooOptions } from './options.js';

/** Round channels to a multiple of `divisor` as torchvision does (never below 90% of the value). */
export function makeDivisible(v: number, divisor = 8): number {
  const nv = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return nv < 0.9 * v ? nv + divisor : nv;
}

function convBnAct(b: GraphBuilder, x: string, out: number, k: number, s: number, act: 'relu' | 'relu6' | 'swish' | null, name: string, groups = 1): string {
  let y = b.conv(x, { out, kernel: k, stride: s, groups, bias: false, name });
  y = b.bn(y, { name: `${name}_bn` });
  return act ? b.act(y, act, `${name}_${act}`) : y;
}

/** MobileNetV2 (torchvision layout); options: width (multiplier), size (default 224), classes (1000). */
export function mobilenetV2(o: ZooOptions = {}): Graph {
  const w = o.width ?? 1;
  const size = o.size ?? 224;
  const b = new GraphBuilder(`mobilenet-v2`, [o.channels ?? 3, size, size]);
  const settings: Array<[number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let x = convBnAct(b, b.input, makeDivisible(32 * w), 3, 2, 'relu6', 'stem');
  let blk = 0;
  for (const [t, c, n, s] of settings) {
    const out = makeDivisible(c * w);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const cin = b.channels(x);
      const hidden = Math.round(cin * t);
      const p = `b${blk}`;
      let y = x;
      if (t !== 1) y = convBnAct(b, y, hidden, 1, 1, 'relu6', `${p}_expand`);
      y = convBnAct(b, y, hidden, 3, stride, 'relu6', `${p}_dw`, hidden);
      y = convBnAct(b, y, out, 1, 1, null, `${p}_project`);
      x = stride === 1 && cin === out ? b.addOp(x, y, `${p}_add`) : y;
      blk++;
    }
  }
  const last = w > 1 ? makeDivisible(1280 * w) : 1280;
  x = convBnAct(b, x, last, 1, 1, 'relu6', 'head');
  x = b.flatten(b.globalAvgPool(x, 'pool'), 'flatten');
  b.output(b.dense(x, o.classes ?? 1000, { name: 'classifier' }));
  return b.build();
}

/** A torchvision-layout ResNet of `basic` or `bottleneck` blocks, `layers` blocks per stage (resnet18/50 below; the benches build other depths). */
export function resnet(name: string, block: 'basic' | 'bottleneck', layers: readonly number[], o: ZooOptions): Graph {
  const size = o.size ?? 224;
  const w = o.width ?? 1;
  const b = new GraphBuilder(name, [o.channels ?? 3, size, size]);
  let x = convBnAct(b, b.input, Math.round(64 * w), 7, 2, 'relu', 'conv1');
  x = b.maxPool(x, { kernel: 3, stride: 2, pad: 1, name: 'maxpool' });
  const expansion = block === 'basic' ? 1 : 4;
  layers.forEach((n, li) => {
    const planes = Math.round(64 * w * 2 ** li);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 && li > 0 ? 2 : 1;
      const p = `layer${li + 1}_${i}`;
      const cin = b.channels(x);
      const out = planes * expansion;
      let y: string;
      if (block === 'basic') {
        y = convBnAct(b, x, planes, 3, stride, 'relu', `${p}_conv1`);
        y = convBnAct(b, y, planes, 3, 1, null, `${p}_conv2`);
      } else {
        y = convBnAct(b, x, planes, 1, 1, 'relu', `${p}_conv1`);
        y = convBnAct(b, y, planes, 3, stride, 'relu', `${p}_conv2`);
        y = convBnAct(b, y, out, 1, 1, null, `${p}_conv3`);
      }
      const sc = stride !== 1 || cin !== out ? convBnAct(b, x, out, 1, stride, null, `${p}_down`) : x;
      x = b.relu(b.addOp(y, sc, `${p}_add`), `${p}_relu`);
    }
  });
  x = b.flatten(b.globalAvgPool(x, 'avgpool'), 'flatten');
  b.output(b.dense(x, o.classes ?? 1000, { name: 'fc' }));
  return b.build();
}

/** ResNet-18 (torchvision layout). */
export function resnet18(o: ZooOptions = {}): Graph {
  return resnet('resnet18', 'basic', [2, 2, 2, 2], o);
}

/** ResNet-50 (torchvision v1.5 layout: stride on the 3x3 conv). */
export function resnet50(o: ZooOptions = {}): Graph {
  return resnet('resnet50', 'bottleneck', [3, 4, 6, 3], o);
}

/** VGG-16 (configuration D, no batch norm), classifier 4096-4096-classes; input size must be 224 for the 7x7 classifier input unless `size` is given, in which case the flatten size follows. */
export function vgg16(o: ZooOptions = {}): Graph {
  const size = o.size ?? 224;
  const w = o.width ?? 1;
  const b = new GraphBuilder('vgg16', [o.channels ?? 3, size, size]);
  const cfg: Array<number | 'M'> = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  let x = b.input;
  let ci = 0;
  let pi = 0;
  for (const v of cfg) {
    if (v === 'M') x = b.maxPool(x, { kernel: 2, stride: 2, name: `pool${++pi}` });
    else x = b.relu(b.conv(x, { out: Math.round(v * w), kernel: 3, pad: 1, name: `conv${++ci}` }), `relu${ci}`);
  }
  x = b.flatten(x, 'flatten');
  const hidden = Math.round(4096 * w);
  x = b.relu(b.dense(x, hidden, { name: 'fc1' }), 'fc1_relu');
  x = b.relu(b.dense(x, hidden, { name: 'fc2' }), 'fc2_relu');
  b.output(b.dense(x, o.classes ?? 1000, { name: 'fc3' }));
  return b.build();
}

/** EfficientNet-B0 (torchvision layout: MBConv with squeeze-excite, SiLU/swish). */
export function efficientnetB0(o: ZooOptions = {}): Graph {
  const size = o.size ?? 224;
  const w = o.width ?? 1;
  const b = new GraphBuilder('efficientnet-b0', [o.channels ?? 3, size, size]);
  const settings: Array<[number, number, number, number, number]> = [
    // expand, kernel, stride, out, layers
    [1, 3, 1, 16, 1],
    [6, 3, 2, 24, 2],
    [6, 5, 2, 40, 2],
    [6, 3, 2, 80, 3],
    [6, 5, 1, 112, 3],
    [6, 5, 2, 192, 4],
    [6, 3, 1, 320, 1],
  ];
  let x = convBnAct(b, b.input, makeDivisible(32 * w), 3, 2, 'swish', 'stem');
  let blk = 0;
  for (const [t, k, s, c, n] of settings) {
    const out = makeDivisible(c * w);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const cin = b.channels(x);
      const hidden = makeDivisible(cin * t);
      const p = `b${blk}`;
      let y = x;
      if (hidden !== cin) y = convBnAct(b, y, hidden, 1, 1, 'swish', `${p}_expand`);
      y = convBnAct(b, y, hidden, k, stride, 'swish', `${p}_dw`, hidden);
      const sq = Math.max(1, Math.floor(cin / 4));
      let se = b.globalAvgPool(y, `${p}_se_pool`);
      se = b.act(b.conv(se, { out: sq, kernel: 1, name: `${p}_se_fc1` }), 'swish', `${p}_se_swish`);
      se = b.act(b.conv(se, { out: hidden, kernel: 1, name: `${p}_se_fc2` }), 'sigmoid', `${p}_se_sigmoid`);
      y = b.mul(y, se, `${p}_se_mul`);
      y = convBnAct(b, y, out, 1, 1, null, `${p}_project`);
      x = stride === 1 && cin === out ? b.addOp(x, y, `${p}_add`) : y;
      blk++;
    }
  }
  x = convBnAct(b, x, makeDivisible(1280 * w), 1, 1, 'swish', 'head');
  x = b.flatten(b.globalAvgPool(x, 'pool'), 'flatten');
  b.output(b.dense(x, o.classes ?? 1000, { name: 'classifier' }));
  return b.build();
}
