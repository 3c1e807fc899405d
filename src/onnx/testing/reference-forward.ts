/**
 * A plain TypeScript reference forward pass of the IR (inference mode), float64 accumulation.
 * Slow but simple and exact; for tests on small inputs only. Independent of the tensor engine.
 */
import { inferShapes, numel } from '../../ir/shapes.js';
import type { Model, Node, Shape } from '../../ir/types.js';

const hs = (x: number): number => Math.min(Math.max(x + 3, 0), 6) / 6;

/** Every node's output for a batch (NCHW, `batch * prod(shape)` values per node). */
export function referenceForwardAll(model: Model, input: Float32Array, batch: number): Map<string, Float64Array> {
  const { graph, weights } = model;
  const shapes = inferShapes(graph);
  const vals = new Map<string, Float64Array>();
  const W = (n: Node, p: string): Float32Array => {
    const t = weights.get(`${n.name}.${p}`);
    if (!t) throw new Error(`reference: missing weight ${n.name}.${p}`);
    return t.data;
  };
  for (const node of graph.nodes) {
    const outShape = shapes.get(node.name) as Shape;
    const outN = numel(outShape);
    const y = new Float64Array(batch * outN);
    const xin = (k: number): Float64Array => vals.get(node.inputs[k] as string) as Float64Array;
    const xs = (k: number): Shape => shapes.get(node.inputs[k] as string) as Shape;
    const x = node.op === 'input' ? Float64Array.from(input) : xin(0);
    const unary = (f: (v: number) => number): void => {
      for (let i = 0; i < y.length; i++) y[i] = f(x[i] as number);
    };
    switch (node.op) {
      case 'input':
        if (input.length !== y.length) throw new Error(`reference: input has ${input.length} values, expected ${y.length}`);
        y.set(x);
        break;
      case 'conv2d': {
        const [c, h, w] = xs(0) as [number, number, number];
        const [oc, oh, ow] = outShape as [number, number, number];
        const [kh, kw] = node.kernel;
        const g = node.groups;
        const icg = c / g;
        const ocg = oc / g;
        const wt = W(node, 'weight');
        const b = node.bias ? W(node, 'bias') : undefined;
        for (let n = 0; n < batch; n++) {
          for (let o = 0; o < oc; o++) {
            const gi = Math.floor(o / ocg);
            for (let i = 0; i < oh; i++) {
              for (let j = 0; j < ow; j++) {
                let acc = b ? (b[o] as number) : 0;
                for (let ci = 0; ci < icg; ci++) {
                  const cin = gi * icg + ci;
                  for (let u = 0; u < kh; u++) {
                    const r = i * node.stride[0] - node.pads[0] + u * node.dilation[0];
                    if (r < 0 || r >= h) continue;
                    for (let v = 0; v < kw; v++) {
                      const q = j * node.stride[1] - node.pads[1] + v * node.dilation[1];
                      if (q < 0 || q >= w) continue;
                      acc += (x[((n * c + cin) * h + r) * w + q] as number) * (wt[((o * icg + ci) * kh + u) * kw + v] as number);
                    }
                  }
                }
                y[((n * oc + o) * oh + i) * ow + j] = acc;
              }
            }
          }
        }
        break;
      }
      case 'dense': {
        const wt = W(node, 'weight');
        const b = node.bias ? W(node, 'bias') : undefined;
        const fi = node.inFeatures;
        const fo = node.outFeatures;
        for (let n = 0; n < batch; n++) {
          for (let o = 0; o < fo; o++) {
            let acc = b ? (b[o] as number) : 0;
            for (let i = 0; i < fi; i++) acc += (x[n * fi + i] as number) * (wt[o * fi + i] as number);
            y[n * fo + o] = acc;
          }
        }
        break;
      }
      case 'batchnorm': {
        const [sc, bi, mu, va] = ['scale', 'bias', 'mean', 'var'].map((p) => W(node, p)) as [Float32Array, Float32Array, Float32Array, Float32Array];
        const c = node.channels;
        const inner = outN / c;
        for (let i = 0; i < y.length; i++) {
          const ch = Math.floor(i / inner) % c;
          y[i] = (((x[i] as number) - (mu[ch] as number)) / Math.sqrt((va[ch] as number) + node.eps)) * (sc[ch] as number) + (bi[ch] as number);
        }
        break;
      }
      case 'relu':
        unary((v) => Math.max(v, 0));
        break;
      case 'relu6':
        unary((v) => Math.min(Math.max(v, 0), 6));
        break;
      case 'clip':
        unary((v) => Math.min(Math.max(v, node.min), node.max));
        break;
      case 'sigmoid':
        unary((v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'swish':
        unary((v) => v / (1 + Math.exp(-v)));
        break;
      case 'hardsigmoid':
        unary(hs);
        break;
      case 'hardswish':
        unary((v) => v * hs(v));
        break;
      case 'identity':
        y.set(x);
        break;
      case 'add':
      case 'mul': {
        const a = xin(0);
        const b = xin(1);
        const sa = xs(0);
        const sb = xs(1);
        const r = outShape.length;
        const strides = (s: Shape): number[] => {
          const pad = [...new Array<number>(r - s.length).fill(1), ...s];
          const st = new Array<number>(r).fill(0);
          let acc = 1;
          for (let d = r - 1; d >= 0; d--) {
            st[d] = pad[d] === 1 ? 0 : acc;
            acc *= pad[d] as number;
          }
          return st;
        };
        const stA = strides(sa);
        const stB = strides(sb);
        const nA = numel(sa);
        const nB = numel(sb);
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < outN; i++) {
            let rem = i;
            let ia = 0;
            let ib = 0;
            for (let d = r - 1; d >= 0; d--) {
              const dim = outShape[d] as number;
              const idx = rem % dim;
              rem = Math.floor(rem / dim);
              ia += idx * (stA[d] as number);
              ib += idx * (stB[d] as number);
            }
            const va = a[n * nA + ia] as number;
            const vb = b[n * nB + ib] as number;
            y[n * outN + i] = node.op === 'add' ? va + vb : va * vb;
          }
        }
        break;
      }
      case 'concat': {
        const rank = outShape.length;
        const ax = node.axis < 0 ? node.axis + rank : node.axis;
        const outer = outShape.slice(0, ax).reduce((p, v) => p * v, 1);
        const inner = outShape.slice(ax + 1).reduce((p, v) => p * v, 1);
        const outAx = outShape[ax] as number;
        for (let n = 0; n < batch; n++) {
          let off = 0;
          node.inputs.forEach((_, k) => {
            const s = xs(k);
            const v = xin(k);
            const len = s[ax] as number;
            const nIn = numel(s);
            for (let o = 0; o < outer; o++) {
              for (let l = 0; l < len * inner; l++) {
                y[n * outN + (o * outAx + off) * inner + l] = v[n * nIn + o * len * inner + l] as number;
              }
            }
            off += len;
          });
        }
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = xs(0) as [number, number, number];
        const [, oh, ow] = outShape as [number, number, number];
        const [kh, kw] = node.kernel;
        for (let nc = 0; nc < batch * c; nc++) {
          for (let i = 0; i < oh; i++) {
            for (let j = 0; j < ow; j++) {
              let acc = node.op === 'maxpool' ? -Infinity : 0;
              let cnt = 0;
              let cntPad = 0;
              for (let u = 0; u < kh; u++) {
                const r = i * node.stride[0] - node.pads[0] + u;
                for (let v = 0; v < kw; v++) {
                  const q = j * node.stride[1] - node.pads[1] + v;
                  const insidePadded = r < h + node.pads[2] && q < w + node.pads[3];
                  if (insidePadded) cntPad++;
                  if (r < 0 || r >= h || q < 0 || q >= w) continue;
                  const val = x[(nc * h + r) * w + q] as number;
                  if (node.op === 'maxpool') acc = Math.max(acc, val);
                  else acc += val;
                  cnt++;
                }
              }
              y[(nc * oh + i) * ow + j] = node.op === 'maxpool' ? acc : acc / (node.countIncludePad ? cntPad : cnt);
            }
          }
        }
        break;
      }
      case 'globalavgpool': {
        const [c, h, w] = xs(0) as [number, number, number];
        for (let nc = 0; nc < batch * c; nc++) {
          let acc = 0;
          for (let k = 0; k < h * w; k++) acc += x[nc * h * w + k] as number;
          y[nc] = acc / (h * w);
        }
        break;
      }
      case 'flatten':
      case 'reshape':
        y.set(x);
        break;
      case 'softmax': {
        const rank = outShape.length;
        const ax = node.axis < 0 ? node.axis + rank : node.axis;
        const len = outShape[ax] as number;
        const inner = outShape.slice(ax + 1).reduce((p, v) => p * v, 1);
        const outer = (batch * outN) / (len * inner);
        for (let o = 0; o < outer; o++) {
          for (let l = 0; l < inner; l++) {
            const at = (k: number): number => (o * len + k) * inner + l;
            let m = -Infinity;
            for (let k = 0; k < len; k++) m = Math.max(m, x[at(k)] as number);
            let sum = 0;
            for (let k = 0; k < len; k++) sum += Math.exp((x[at(k)] as number) - m);
            for (let k = 0; k < len; k++) y[at(k)] = Math.exp((x[at(k)] as number) - m) / sum;
          }
        }
        break;
      }
      case 'upsample': {
        const [, h, w] = xs(0) as [number, number, number];
        const [, oh, ow] = outShape as [number, number, number];
        const s = node.scale;
        for (let nc = 0; nc < batch * (outShape[0] as number); nc++) {
          for (let i = 0; i < oh; i++) {
            for (let j = 0; j < ow; j++) y[(nc * oh + i) * ow + j] = x[(nc * h + Math.floor(i / s)) * w + Math.floor(j / s)] as number;
          }
        }
        break;
      }
    }
    vals.set(node.name, y);
  }
  return vals;
}

/** The graph's first output for a batch, as float32 (what a runtime would return). */
export function referenceForward(model: Model, input: Float32Array, batch: number): Float32Array {
  const all = referenceForwardAll(model, input, batch);
  return Float32Array.from(all.get(model.graph.outputs[0] as string) as Float64Array);
}
