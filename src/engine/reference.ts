/**
 * A plain float64 NCHW interpreter of the IR, written for clarity rather than speed: the oracle that
 * the engine's tests compare {@link EngineModel} against (layouts, padding, flatten order, groups).
 * Batch norm runs in eval mode (running statistics) unless `training` is set.
 */
import { UnsupportedOpError } from '../errors.js';
import { inferShapes } from '../ir/shapes.js';
import type { Model, Shape } from '../ir/types.js';

interface Val {
  readonly shape: Shape;
  readonly data: Float64Array[]; // one per sample
}

const numel = (s: Shape): number => s.reduce((a, b) => a * b, 1);

function strides(s: Shape): number[] {
  const st = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = (st[i + 1] as number) * (s[i + 1] as number);
  return st;
}

/** Runs `model` on `n` NCHW samples in float64; returns the first output, sample-major. */
export function referenceForward(model: Model, x: Float32Array, n: number, opts: { training?: boolean } = {}): Float64Array {
  const shapes = inferShapes(model.graph);
  const vals = new Map<string, Val>();
  const W = (k: string): Float32Array => (model.weights.get(k) as { data: Float32Array }).data;
  for (const node of model.graph.nodes) {
    const shape = shapes.get(node.name) as Shape;
    const ins = node.inputs.map((i) => vals.get(i) as Val);
    const a = ins[0] as Val;
    const size = numel(shape);
    const out: Float64Array[] = [];
    const map1 = (f: (v: number) => number): void => {
      for (const d of a.data) out.push(d.map(f));
    };
    switch (node.op) {
      case 'input': {
        const per = numel(shape);
        for (let s = 0; s < n; s++) out.push(Float64Array.from(x.subarray(s * per, (s + 1) * per)));
        break;
      }
      case 'conv2d': {
        const [ci, h, w] = a.shape as [number, number, number];
        const [co, oh, ow] = shape as [number, number, number];
        const g = node.groups;
        const cig = ci / g;
        const cog = co / g;
        const [kh, kw] = node.kernel;
        const wt = W(`${node.name}.weight`);
        const bias = node.bias ? W(`${node.name}.bias`) : undefined;
        for (const d of a.data) {
          const o = new Float64Array(size);
          for (let oc = 0; oc < co; oc++) {
            const grp = Math.floor(oc / cog);
            for (let y = 0; y < oh; y++) {
              for (let xx = 0; xx < ow; xx++) {
                let acc = bias ? (bias[oc] as number) : 0;
                for (let ic = 0; ic < cig; ic++) {
                  const c = grp * cig + ic;
                  for (let i = 0; i < kh; i++) {
                    const iy = y * node.stride[0] - node.pads[0] + i * node.dilation[0];
                    if (iy < 0 || iy >= h) continue;
                    for (let j = 0; j < kw; j++) {
                      const ix = xx * node.stride[1] - node.pads[1] + j * node.dilation[1];
                      if (ix < 0 || ix >= w) continue;
                      acc += (d[(c * h + iy) * w + ix] as number) * (wt[((oc * cig + ic) * kh + i) * kw + j] as number);
                    }
                  }
                }
                o[(oc * oh + y) * ow + xx] = acc;
              }
            }
          }
          out.push(o);
        }
        break;
      }
      case 'dense': {
        const wt = W(`${node.name}.weight`);
        const bias = node.bias ? W(`${node.name}.bias`) : undefined;
        for (const d of a.data) {
          const o = new Float64Array(node.outFeatures);
          for (let r = 0; r < node.outFeatures; r++) {
            let acc = bias ? (bias[r] as number) : 0;
            for (let c = 0; c < node.inFeatures; c++) acc += (d[c] as number) * (wt[r * node.inFeatures + c] as number);
            o[r] = acc;
          }
          out.push(o);
        }
        break;
      }
      case 'batchnorm': {
        const c = node.channels;
        const inner = size / c;
        const mean = new Float64Array(c);
        const vr = new Float64Array(c);
        if (opts.training === true) {
          for (let ch = 0; ch < c; ch++) {
            let s = 0;
            for (const d of a.data) for (let i = 0; i < inner; i++) s += d[ch * inner + i] as number;
            const m = s / (a.data.length * inner);
            let q = 0;
            for (const d of a.data) for (let i = 0; i < inner; i++) q += ((d[ch * inner + i] as number) - m) ** 2;
            mean[ch] = m;
            vr[ch] = q / (a.data.length * inner);
          }
        } else {
          mean.set(W(`${node.name}.mean`));
          vr.set(W(`${node.name}.var`));
        }
        const sc = W(`${node.name}.scale`);
        const bi = W(`${node.name}.bias`);
        for (const d of a.data) {
          const o = new Float64Array(size);
          for (let ch = 0; ch < c; ch++) {
            const k = (sc[ch] as number) / Math.sqrt((vr[ch] as number) + node.eps);
            for (let i = 0; i < inner; i++) o[ch * inner + i] = ((d[ch * inner + i] as number) - (mean[ch] as number)) * k + (bi[ch] as number);
          }
          out.push(o);
        }
        break;
      }
      case 'relu':
        map1((v) => Math.max(v, 0));
        break;
      case 'relu6':
        map1((v) => Math.min(Math.max(v, 0), 6));
        break;
      case 'clip':
        map1((v) => Math.min(Math.max(v, node.min), node.max));
        break;
      case 'sigmoid':
        map1((v) => 1 / (1 + Math.exp(-v)));
        break;
      case 'swish':
        map1((v) => v / (1 + Math.exp(-v)));
        break;
      case 'hardsigmoid':
        map1((v) => Math.min(Math.max(v + 3, 0), 6) / 6);
        break;
      case 'hardswish':
        map1((v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6);
        break;
      case 'identity':
        map1((v) => v);
        break;
      case 'add':
      case 'mul': {
        const b = ins[1] as Val;
        const r = shape.length;
        const pa = [...new Array<number>(r - a.shape.length).fill(1), ...a.shape];
        const pb = [...new Array<number>(r - b.shape.length).fill(1), ...b.shape];
        const sa = strides(pa);
        const sb = strides(pb);
        const so = strides(shape);
        for (let s = 0; s < n; s++) {
          const o = new Float64Array(size);
          for (let i = 0; i < size; i++) {
            let ia = 0;
            let ib = 0;
            for (let k = 0; k < r; k++) {
              const idx = Math.floor(i / (so[k] as number)) % (shape[k] as number);
              if ((pa[k] as number) > 1) ia += idx * (sa[k] as number);
              if ((pb[k] as number) > 1) ib += idx * (sb[k] as number);
            }
            const va = (a.data[s] as Float64Array)[ia] as number;
            const vb = (b.data[s] as Float64Array)[ib] as number;
            o[i] = node.op === 'add' ? va + vb : va * vb;
          }
          out.push(o);
        }
        break;
      }
      case 'concat': {
        const r = shape.length;
        const ax = node.axis < 0 ? node.axis + r : node.axis;
        const outer = numel(shape.slice(0, ax));
        for (let s = 0; s < n; s++) {
          const o = new Float64Array(size);
          let pos = 0;
          for (let q = 0; q < outer; q++) {
            for (const v of ins) {
              const chunk = numel(v.shape.slice(ax));
              o.set((v.data[s] as Float64Array).subarray(q * chunk, (q + 1) * chunk), pos);
              pos += chunk;
            }
          }
          out.push(o);
        }
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = a.shape as [number, number, number];
        const [, oh, ow] = shape as [number, number, number];
        for (const d of a.data) {
          const o = new Float64Array(size);
          for (let ch = 0; ch < c; ch++) {
            for (let y = 0; y < oh; y++) {
              for (let xx = 0; xx < ow; xx++) {
                let mx = -Infinity;
                let sum = 0;
                let cnt = 0;
                for (let i = 0; i < node.kernel[0]; i++) {
                  for (let j = 0; j < node.kernel[1]; j++) {
                    const iy = y * node.stride[0] - node.pads[0] + i;
                    const ix = xx * node.stride[1] - node.pads[1] + j;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    const v = d[(ch * h + iy) * w + ix] as number;
                    mx = Math.max(mx, v);
                    sum += v;
                    cnt++;
                  }
                }
                const div = node.countIncludePad ? node.kernel[0] * node.kernel[1] : cnt;
                o[(ch * oh + y) * ow + xx] = node.op === 'maxpool' ? mx : sum / div;
              }
            }
          }
          out.push(o);
        }
        break;
      }
      case 'globalavgpool': {
        const [c, h, w] = a.shape as [number, number, number];
        for (const d of a.data) {
          const o = new Float64Array(c);
          for (let ch = 0; ch < c; ch++) {
            let s = 0;
            for (let i = 0; i < h * w; i++) s += d[ch * h * w + i] as number;
            o[ch] = s / (h * w);
          }
          out.push(o);
        }
        break;
      }
      case 'flatten':
      case 'reshape':
        map1((v) => v);
        break;
      case 'softmax': {
        const r = shape.length;
        const ax = node.axis < 0 ? node.axis + r : node.axis;
        const st = strides(shape);
        const len = shape[ax] as number;
        const step = st[ax] as number;
        for (const d of a.data) {
          const o = new Float64Array(size);
          for (let i = 0; i < size; i++) {
            if (Math.floor(i / step) % len !== 0) continue;
            let mx = -Infinity;
            for (let k = 0; k < len; k++) mx = Math.max(mx, d[i + k * step] as number);
            let s = 0;
            for (let k = 0; k < len; k++) s += Math.exp((d[i + k * step] as number) - mx);
            for (let k = 0; k < len; k++) o[i + k * step] = Math.exp((d[i + k * step] as number) - mx) / s;
          }
          out.push(o);
        }
        break;
      }
      case 'upsample': {
        const [c, h, w] = a.shape as [number, number, number];
        const sc = node.scale;
        for (const d of a.data) {
          const o = new Float64Array(size);
          for (let ch = 0; ch < c; ch++) {
            for (let y = 0; y < h * sc; y++) {
              for (let xx = 0; xx < w * sc; xx++) o[(ch * h * sc + y) * w * sc + xx] = d[(ch * h + Math.floor(y / sc)) * w + Math.floor(xx / sc)] as number;
            }
          }
          out.push(o);
        }
        break;
      }
      default: {
        const op: string = (node as { op: string }).op;
        throw new UnsupportedOpError(op, (node as { name: string }).name);
      }
    }
    vals.set(node.name, { shape, data: out });
  }
  const res = vals.get(model.graph.outputs[0] as string) as Val;
  const per = numel(res.shape);
  const flat = new Float64Array(n * per);
  res.data.forEach((d, s) => flat.set(d, s * per));
  return flat;
}
