/**
 * Random networks from the zoo's building blocks (conv-bn-act stems, MobileNet-style inverted residual
 * and depthwise-separable blocks, ResNet-style basic blocks, pooling, a classifier), for fitting and
 * checking cost models on layers the zoo's fixed nets do not cover. Same seed, same network.
 */
import { GraphBuilder } from '../../ir/builder.js';
import type { Graph } from '../../ir/types.js';
import type { Rng } from '../../util/rng.js';

/** Options of {@link randomNet}. */
export interface RandomNetOptions {
  /** Input sizes to draw from (default 32, 48, 64, 96). */
  readonly sizes?: readonly number[];
  /** Blocks per net, inclusive range (default [3, 8]). */
  readonly blocks?: readonly [number, number];
  /** Channel widths to draw from (default 8..192). */
  readonly widths?: readonly number[];
}

/** A random network; node names are unique within it. */
export function randomNet(rng: Rng, name: string, o: RandomNetOptions = {}): Graph {
  const size = rng.choice(o.sizes ?? [32, 48, 64, 96]);
  const widths = o.widths ?? [8, 16, 24, 32, 48, 64, 96, 128, 160, 192];
  const b = new GraphBuilder(name, [3, size, size]);
  const cba = (x: string, out: number, k: number, s: number, p: string, groups = 1, act = true): string => {
    let y = b.conv(x, { out, kernel: k, stride: s, groups, bias: false, name: p });
    y = b.bn(y, { name: `${p}_bn` });
    return act ? b.act(y, rng.choice(['relu', 'relu6'] as const), `${p}_act`) : y;
  };
  let x = cba(b.input, rng.choice(widths.slice(0, 5)), rng.choice([3, 3, 5]), rng.choice([1, 2]), 'stem');
  const [lo, hi] = o.blocks ?? [3, 8];
  const nb = rng.int(lo, hi);
  for (let i = 0; i < nb; i++) {
    const p = `b${i}`;
    const cin = b.channels(x);
    const hw = b.shape(x)[1] as number;
    const s = hw >= 8 && rng.next() < 0.35 ? 2 : 1;
    const out = rng.choice(widths);
    const kind = rng.int(0, 3);
    if (kind === 0) {
      // inverted residual (MobileNetV2)
      const t = rng.choice([1, 3, 6]);
      const k = rng.choice([3, 5]);
      let y = t === 1 ? x : cba(x, cin * t, 1, 1, `${p}_expand`);
      y = cba(y, cin * t, k, s, `${p}_dw`, cin * t);
      y = cba(y, out, 1, 1, `${p}_project`, 1, false);
      x = s === 1 && out === cin ? b.addOp(x, y, `${p}_add`) : y;
    } else if (kind === 1) {
      // depthwise separable
      let y = cba(x, cin, rng.choice([3, 5, 7]), s, `${p}_dw`, cin);
      y = cba(y, out, 1, 1, `${p}_pw`);
      x = y;
    } else if (kind === 2) {
      // ResNet basic block
      let y = cba(x, out, 3, s, `${p}_conv1`);
      y = cba(y, out, 3, 1, `${p}_conv2`, 1, false);
      const sc = s !== 1 || cin !== out ? cba(x, out, 1, s, `${p}_down`, 1, false) : x;
      x = b.relu(b.addOp(y, sc, `${p}_add`), `${p}_relu`);
    } else {
      // plain conv, sometimes followed by pooling
      x = cba(x, out, rng.choice([1, 3, 5]), s, `${p}_conv`);
      if ((b.shape(x)[1] as number) >= 8 && rng.next() < 0.5) {
        x = rng.next() < 0.5 ? b.maxPool(x, { kernel: 2, stride: 2, name: `${p}_pool` }) : b.avgPool(x, { kernel: 2, stride: 2, name: `${p}_pool` });
      }
    }
  }
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flatten');
  b.output(b.dense(x, rng.choice([10, 100, 1000]), { name: 'fc' }));
  return b.build();
}
