/** `upsample`: nearest-neighbour upsampling by an integer factor (ONNX Resize nearest; imports Resize and Upsample). */
import { ShapeError } from '../../errors.js';
import { numel } from '../geometry.js';
import { chw, chwInput, constNumbers, elementCost, noWeights } from './common.js';
import type { OpDef } from './types.js';

/** Nearest upsampling. */
export const upsampleOp: OpDef<'upsample'> = {
  op: 'upsample',
  kind: 'elementwise',
  weightShapes: noWeights,
  inferShape(node, ins) {
    const [c, h, w] = chw(node, ins);
    if (!Number.isInteger(node.scale) || node.scale < 1) throw new ShapeError(`upsample '${node.name}': scale must be a positive integer, got ${node.scale}`);
    return [c, h * node.scale, w * node.scale];
  },
  cost: (_n, _i, out) => elementCost(numel(out)),
  forward({ node, inputs, inShapes, outShape, batch }) {
    const x = inputs[0] as Float64Array;
    const [, h, w] = inShapes[0] as [number, number, number];
    const [c, oh, ow] = outShape as [number, number, number];
    const s = node.scale;
    const y = new Float64Array(batch * c * oh * ow);
    for (let nc = 0; nc < batch * c; nc++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) y[(nc * oh + i) * ow + j] = x[(nc * h + Math.floor(i / s)) * w + Math.floor(j / s)] as number;
      }
    }
    return y;
  },
  onnxTypes: ['Resize', 'Upsample'],
  toOnnx(node, ctx) {
    const scales = ctx.constant(`${node.name}.scales`, 'float32', [4], [1, 1, node.scale, node.scale]);
    const roi = ctx.opset >= 13 ? '' : ctx.constant(`${node.name}.roi`, 'float32', [0], []);
    return [
      {
        opType: 'Resize',
        inputs: [ctx.inputs[0] as string, roi, scales],
        outputs: [node.name],
        attributes: { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } },
      },
    ];
  },
  fromOnnx(ctx) {
    const op = ctx.opType;
    const x = ctx.act(0);
    const xs = chwInput(ctx, x);
    const mode = ctx.str('mode', 'nearest');
    if (mode !== 'nearest') throw ctx.unsupported(`mode '${mode}' is not supported (expected nearest)`);
    let scales: number[] | undefined;
    const fromAttr = ctx.attr('scales');
    if (op === 'Upsample' && Array.isArray(fromAttr)) scales = [...(fromAttr as number[])];
    else {
      const si = op === 'Upsample' || ctx.opset < 11 ? 1 : 2;
      const sc = ctx.cst(si, 'scales');
      if (sc && sc.data.length > 0) scales = constNumbers(sc);
      else if (op === 'Resize') {
        const sz = ctx.cst(3, 'sizes');
        if (!sz || sz.data.length === 0) throw ctx.bad('neither scales nor sizes is given');
        const full = [ctx.fixedBatch ?? 1, ...xs];
        const axes = ctx.ints('axes') ?? sz.dims.map((_, k) => k);
        const fromSizes = [1, 1, 1, 1];
        constNumbers(sz).forEach((v, k) => {
          const a = axes[k] as number;
          const ax = a < 0 ? a + 4 : a;
          fromSizes[ax] = ax === 0 ? 1 : v / (full[ax] as number);
        });
        scales = fromSizes;
      }
    }
    if (!scales) throw ctx.bad('scales are missing');
    const axes = ctx.ints('axes');
    if (axes && op === 'Resize') {
      const full = [1, 1, 1, 1];
      scales.forEach((v, k) => {
        const a = axes[k] as number;
        full[a < 0 ? a + 4 : a] = v;
      });
      scales = full;
    }
    if (scales.length !== 4) throw ctx.unsupported(`scales [${scales.join(',')}] are not 4-D`);
    const s = scales[2] as number;
    if (scales[0] !== 1 || scales[1] !== 1 || scales[3] !== s || !Number.isInteger(s) || s < 1) {
      throw ctx.unsupported(`scales [${scales.join(',')}] are not supported (expected [1,1,s,s] with an integer s >= 1)`);
    }
    if (op === 'Resize' && ctx.opset >= 11 && s > 1) {
      const ctm = ctx.str('coordinate_transformation_mode', 'half_pixel');
      const nm = ctx.str('nearest_mode', 'round_prefer_floor');
      const ok =
        ((ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') && nm.startsWith('round_prefer')) ||
        (ctm === 'asymmetric' && (nm === 'floor' || (nm === 'round_prefer_floor' && s === 2))) ||
        (ctm === 'tf_half_pixel_for_nn' && nm === 'floor');
      if (!ok) throw ctx.unsupported(`coordinate_transformation_mode '${ctm}' with nearest_mode '${nm}' is not plain nearest upsampling`);
    }
    return { node: { op: 'upsample', name: ctx.name(), inputs: [x], scale: s } };
  },
  examples: [
    { title: 'upsample [2,3,4] by 2', input: [2, 3, 4], nodes: [{ op: 'upsample', name: 'y', inputs: ['x'], scale: 2 }] },
    { title: 'upsample [3,2,2] by 3', input: [3, 2, 2], nodes: [{ op: 'upsample', name: 'y', inputs: ['x'], scale: 3 }] },
  ],
};
