/**
 * Executable models: an IR {@link Model} (graph + ONNX-layout weights) compiled onto tfjs.
 *
 * Layouts. The IR is NCHW; the engine runs NHWC (what XNNPACK is fast at). The rule is static and
 * decided at build time, per node output:
 * - every value whose per-sample shape has rank 3 (`[C,H,W]`) is held as an `[N,H,W,C]` tensor ('nhwc');
 * - every other value is held in its IR order with the batch first, `[N, ...shape]` ('std');
 * - the one exception, 'flat-hwc': a flatten of a `[C,H,W]` value (H*W > 1) whose consumers are all
 *   dense layers is a free reshape of the NHWC tensor (HWC element order); those dense layers get their
 *   weight rows permuted once at build time, so results equal the NCHW flatten exactly. Any other
 *   consumer (or a graph output) sees the NCHW order.
 *
 * Engine weight layouts (trainable tf.Variables, see {@link EngineModel.variables}):
 * conv `[kH, kW, I/groups, O]` (HWIO; grouped convs keep groups side by side along O), depthwise
 * (groups = in channels) `[kH, kW, C, multiplier]` (output channel `c*multiplier+m`), dense `[in, out]`
 * (pre-transposed, rows in the order of its input value), biases and batch-norm vectors `[C]`.
 * In every weight layout the output channels are the last axis after reshaping to `[-1, outChannels]`.
 * {@link EngineModel.getWeights} converts back to the IR's ONNX layouts.
 *
 * Quantization hook ({@link ForwardHooks}), applied inside every forward pass (training, evaluation,
 * prediction, HVPs), so gradients flow through it:
 * - `weightTransform(w, info)` gets each conv/dense `weight` tensor in the engine layout above and returns
 *   the tensor to use (e.g. fake-quantized with a straight-through gradient via `tf.customGrad`), or
 *   `{ weight, scale }` with the per-output-channel scale it quantized at; batch-norm parameters are not passed.
 * - `biasTransform(b, info)` gets each conv/dense `bias` `[outChannels]` with that scale (`info.weightScale`)
 *   and the layer's input value name (integer hardware adds an int32 bias at the scale input scale x weight
 *   scale); the weight is reduced to its scale once per forward pass, by the weight hook.
 * - `activationTransform(a, info)` gets each node's output tensor (input node included), in that
 *   value's layout (`info.layout`; channels are the last axis for 'nhwc'), and returns the tensor to use.
 * - `trainable`: extra variables of the hooks (e.g. learned step sizes) that training updates too.
 * Hooks can be set at build time or later through {@link EngineModel.hooks}. Functions cannot cross into
 * worker threads: for data-parallel training give {@link BuildOptions.hooksModule} as well.
 *
 * Inference fusion: in eval mode without hooks, a conv (or dense) followed by batch norm and/or
 * relu/relu6 (each the sole consumer) runs as one tfjs fused op with the batch norm folded in.
 *
 * Training-mode batch norm on channels-last values uses fused first-order kernels
 * (batchnorm-kernel.ts); `ForwardOptions.secondOrder` selects the op-by-op form for HVPs.
 *
 * Batch norm: in training mode it normalises with the batch statistics (biased variance) and reports
 * them through {@link ForwardOptions.bnStats}; the caller updates the running statistics (PyTorch
 * convention: `running = (1 - momentum) * running + momentum * batch`, unbiased batch variance).
 * In eval mode it uses the running statistics.
 *
 * hardsigmoid is `relu6(x + 3) / 6` (PyTorch's; ONNX HardSigmoid with alpha = 1/6, beta = 0.5);
 * hardswish is `x * hardsigmoid(x)`.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { checkWeights } from '../ir/init.js';
import { loadModel, saveModel } from '../ir/serialize.js';
import { inferShapes, inputNode } from '../ir/shapes.js';
import type { Graph, Model, Node, OpType, Shape, Weights } from '../ir/types.js';
import { convFilter, convWeightInfo, isDepthwise } from './ops/conv2d.js';
import { padArg, toStd } from './ops/layout.js';
import { engineOp } from './ops/registry.js';
import type { CompiledValue, EngineOpContext, EngineParam, ValueLayout } from './ops/types.js';
import { tf } from './tf.js';

export { transposeArray } from './ops/layout.js';
export type { ValueLayout } from './ops/types.js';

/** Engine layout of a conv/dense weight given to {@link ForwardHooks.weightTransform}. */
export type WeightLayout = 'hwio' | 'depthwise' | 'dense-io';

/** What {@link ForwardHooks.weightTransform} is told about the weight it transforms. */
export interface WeightInfo {
  /** Node name of the layer. */
  readonly layer: string;
  readonly op: 'conv2d' | 'dense';
  readonly layout: WeightLayout;
  /** Number of output channels (the last axis after reshaping the weight to `[-1, outChannels]`). */
  readonly outChannels: number;
}

/** A quantized weight with the scale it was quantized at, as {@link ForwardHooks.weightTransform} may return it. */
export interface TransformedWeight {
  /** The weight to use (engine layout, the shape of the one given). */
  readonly weight: tf.Tensor;
  /** Quantization scale of each output channel (`outChannels` values, any shape); absent for a float weight. */
  readonly scale?: tf.Tensor;
}

/** What {@link ForwardHooks.biasTransform} is told about the bias it transforms. */
export interface BiasInfo extends WeightInfo {
  /** The scale the layer's {@link ForwardHooks.weightTransform} returned with its weight (absent when it returned none). */
  readonly weightScale?: tf.Tensor;
  /** Name of the value the layer reads (the node whose output is its input activation). */
  readonly input: string;
}

/** What {@link ForwardHooks.activationTransform} is told about the activation it transforms. */
export interface ActivationInfo {
  readonly node: string;
  readonly op: OpType;
  readonly layout: ValueLayout;
  /** Per-sample IR shape (NCHW) of the value. */
  readonly shape: Shape;
  /** Input shape [C,H,W] of a 'flat-hwc' value (the flatten kept in HWC order). */
  readonly flatFrom?: readonly [number, number, number];
}

/** Hooks applied inside the forward pass (quantization: fake-quant with straight-through gradients). */
export interface ForwardHooks {
  /** Replaces a conv/dense weight (engine layout) by the returned tensor (with its scale, for the bias hook). */
  readonly weightTransform?: (w: tf.Tensor, info: WeightInfo) => tf.Tensor | TransformedWeight;
  /** Replaces a conv/dense bias `[outChannels]` by the returned tensor; runs after the layer's weight hook. */
  readonly biasTransform?: (b: tf.Tensor, info: BiasInfo) => tf.Tensor;
  /** Replaces a node's output by the returned tensor. */
  readonly activationTransform?: (a: tf.Tensor, info: ActivationInfo) => tf.Tensor;
  /**
   * Extra variables the hooks train with the model (e.g. learned quantization step sizes). In
   * data-parallel training the worker's hooks (from {@link HooksModule}) must create the same
   * variables in the same order; their values are synchronised every step.
   */
  readonly trainable?: readonly tf.Variable[];
}

/**
 * A module that builds {@link ForwardHooks} inside a worker thread: `import(module)[exportName](config)`
 * must return the hooks (or a promise of them). `module` is a file URL or absolute path.
 */
export interface HooksModule {
  readonly module: string;
  readonly exportName: string;
  readonly config?: unknown;
}

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Forward hooks (quantization). */
  readonly hooks?: ForwardHooks;
  /** How worker threads re-create the hooks for data-parallel training. */
  readonly hooksModule?: HooksModule;
}

/** Batch statistics of one batch-norm node in a training-mode forward pass (biased variance). */
export interface BnBatchStats {
  readonly node: string;
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
  /** Number of values each statistic was computed over (batch x spatial). */
  readonly count: number;
}

/** Options of {@link EngineModel.forward}. */
export interface ForwardOptions {
  /** Training mode: batch norm uses (and reports) batch statistics. Default false. */
  readonly training?: boolean;
  /** Receives batch-norm batch statistics in training mode (tensors are `tf.keep`-ed; dispose them). */
  readonly bnStats?: BnBatchStats[];
  /**
   * Build the pass from ops that support exact double backprop (Hessian-vector products): training-mode
   * batch norm then avoids its fused first-order kernel. Default false.
   */
  readonly secondOrder?: boolean;
  /** Tensors used instead of some variables, keyed `<node>.<param>`, in engine layout (for HVPs). */
  readonly overrides?: ReadonlyMap<string, tf.Tensor>;
}

/** Accuracy and mean cross-entropy of a model on labelled data. */
export interface EvalResult {
  readonly accuracy: number;
  readonly loss: number;
  readonly n: number;
}

type CompiledNode = CompiledValue;

interface ParamSpec extends EngineParam {
  readonly key: string;
  readonly node: string;
}

let modelCounter = 0;

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Converts `n` NCHW samples of `[c,h,w]` to NHWC (plain JS). */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number, out = new Float32Array(n * c * h * w)): Float32Array {
  const hw = h * w;
  const per = c * hw;
  for (let s = 0; s < n; s++) {
    const base = s * per;
    for (let cc = 0; cc < c; cc++) {
      const src = base + cc * hw;
      for (let p = 0; p < hw; p++) out[base + p * c + cc] = x[src + p] as number;
    }
  }
  return out;
}

/**
 * An IR model compiled onto tfjs. Create with {@link buildModel}; free with {@link EngineModel.dispose}.
 */
export class EngineModel {
  /** The graph this model executes. */
  readonly graph: Graph;
  /** Forward hooks (quantization); may be replaced at any time. */
  hooks: ForwardHooks;
  /** How worker threads rebuild {@link hooks}. */
  hooksModule: HooksModule | undefined;
  /** All weights as tf.Variables in engine layout, keyed `<node>.<param>` (running stats included). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Keys of the trainable variables, in a fixed order (graph order, then param order). */
  readonly trainableKeys: readonly string[];
  /** Per-sample IR shape of the input. */
  readonly inputShape: Shape;
  /** Per-sample IR shape of the first output. */
  readonly outputShape: Shape;

  private readonly plan: CompiledNode[];
  private readonly specs: Map<string, ParamSpec>;
  /** Per node: the constant tensors its lowering prepared at build time. */
  private readonly constants = new Map<string, ReadonlyMap<string, tf.Tensor>>();
  private readonly flatPerm = new Map<string, [number, number, number]>();
  /** Inference-only fusion: conv/dense node -> the batch norm and activation folded into it. */
  private readonly fusion: Map<string, Fusion>;
  /** Nodes whose value is produced by a fused conv/dense (batch norm, activation). */
  private readonly fusedAway = new Map<string, string>();
  private disposed = false;

  /** Use {@link buildModel}. */
  constructor(model: Model, opts: BuildOptions = {}) {
    const problems = checkWeights(model.graph, model.weights);
    if (problems.length) throw new ShapeError(`buildModel '${model.graph.name}': ${problems.slice(0, 5).join('; ')}`);
    this.graph = model.graph;
    this.hooks = opts.hooks ?? {};
    this.hooksModule = opts.hooksModule;
    const shapes = inferShapes(model.graph);
    this.inputShape = inputNode(model.graph).shape;
    this.outputShape = shapes.get(model.graph.outputs[0] as string) as Shape;
    this.plan = this.compile(shapes);
    this.specs = this.paramSpecs();
    this.fusion = this.planFusion();
    const uid = ++modelCounter;
    const vars = new Map<string, tf.Variable>();
    const trainable: string[] = [];
    for (const spec of this.specs.values()) {
      const w = model.weights.get(spec.key);
      if (!w) throw new ShapeError(`buildModel: missing weight '${spec.key}'`);
      const data = spec.toEngine(w.data);
      const init = tf.tensor(data, [...spec.engineShape], 'float32');
      vars.set(spec.key, tf.variable(init, spec.trainable, `hwnas${uid}/${spec.key}`));
      // the variable holds its own reference to the data: without this, the data outlives dispose() (one leaked
      // tensor per weight per model built)
      init.dispose();
      if (spec.trainable) trainable.push(spec.key);
    }
    this.variables = vars;
    this.trainableKeys = trainable;
    for (const c of this.plan) {
      const n = c.node;
      const made = engineOp(n.op, n.name).constants?.(
        n,
        n.inputs.map((i) => shapes.get(i) as Shape),
        c.shape,
      );
      if (made && made.size > 0) this.constants.set(n.name, made);
    }
  }

  /** Decide each node's value layout (see the module comment). */
  private compile(shapes: Map<string, Shape>): CompiledNode[] {
    const consumers = new Map<string, Node[]>();
    for (const n of this.graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    const layouts = new Map<string, ValueLayout>();
    const plan: CompiledNode[] = [];
    for (const n of this.graph.nodes) {
      const shape = shapes.get(n.name) as Shape;
      let layout: ValueLayout = shape.length === 3 ? 'nhwc' : 'std';
      let flatFrom: [number, number, number] | undefined;
      const in0 = n.inputs[0];
      if (in0 !== undefined && layouts.get(in0) === 'flat-hwc' && engineOp(n.op, n.name).layoutPreserving) {
        layout = 'flat-hwc';
        flatFrom = this.flatPerm.get(in0);
      }
      if (n.op === 'flatten') {
        const s = shapes.get(in0 as string) as Shape;
        const cons = consumers.get(n.name) ?? [];
        if (
          s.length === 3 &&
          (s[1] as number) * (s[2] as number) > 1 &&
          cons.length > 0 &&
          cons.every((c) => c.op === 'dense') &&
          !this.graph.outputs.includes(n.name)
        ) {
          layout = 'flat-hwc';
          flatFrom = [s[0] as number, s[1] as number, s[2] as number];
        }
      }
      if (flatFrom) this.flatPerm.set(n.name, flatFrom);
      layouts.set(n.name, layout);
      plan.push(flatFrom ? { node: n, shape, layout, flatFrom } : { node: n, shape, layout });
    }
    return plan;
  }

  /** Every node's weights as its op lowering lays them out (src/engine/ops), in graph order. */
  private paramSpecs(): Map<string, ParamSpec> {
    const specs = new Map<string, ParamSpec>();
    const valueByName = new Map(this.plan.map((c) => [c.node.name, c] as const));
    for (const n of this.graph.nodes) {
      const params = engineOp(n.op, n.name).params?.(n, n.inputs[0] === undefined ? undefined : valueByName.get(n.inputs[0])) ?? [];
      for (const p of params) specs.set(`${n.name}.${p.param}`, { ...p, key: `${n.name}.${p.param}`, node: n.name });
    }
    return specs;
  }

  /** Everything {@link train} updates: the trainable weights (keyed `<node>.<param>`), then the hooks' variables (`hooks:<i>`). */
  trainables(): { readonly key: string; readonly variable: tf.Variable }[] {
    const out = this.trainableKeys.map((key) => ({ key, variable: this.variables.get(key) as tf.Variable }));
    (this.hooks.trainable ?? []).forEach((variable, i) => out.push({ key: `hooks:${i}`, variable }));
    return out;
  }

  /** Per-sample IR (NCHW) shape of a node's output. */
  valueShape(node: string): Shape {
    const c = this.plan.find((p) => p.node.name === node);
    if (!c) throw new ConfigError(`model '${this.graph.name}' has no node '${node}'`);
    return c.shape;
  }

  /** Engine shape of a weight, keyed `<node>.<param>`. */
  engineShape(key: string): readonly number[] {
    const s = this.specs.get(key);
    if (!s) throw new ConfigError(`model '${this.graph.name}' has no weight '${key}'`);
    return s.engineShape;
  }

  /** Converts one weight's values from the IR (ONNX) layout to the engine layout. */
  toEngineLayout(key: string, data: Float32Array): Float32Array {
    const s = this.specs.get(key);
    if (!s) throw new ConfigError(`model '${this.graph.name}' has no weight '${key}'`);
    return s.toEngine(data);
  }

  /** Converts one weight's values from the engine layout back to the IR (ONNX) layout. */
  toIrLayout(key: string, data: Float32Array): Float32Array {
    const s = this.specs.get(key);
    if (!s) throw new ConfigError(`model '${this.graph.name}' has no weight '${key}'`);
    return s.toIr(data);
  }

  /** Input tensor in engine layout from `n` NCHW samples (NHWC for `[C,H,W]` inputs). */
  inputTensor(x: Float32Array, n: number): tf.Tensor {
    const per = prod(this.inputShape);
    if (x.length < n * per) throw new ShapeError(`input has ${x.length} values, expected ${n} x [${this.inputShape.join(',')}] = ${n * per}`);
    const xs = x.length === n * per ? x : x.subarray(0, n * per);
    if (this.inputShape.length === 3) {
      const [c, h, w] = this.inputShape as [number, number, number];
      return tf.tensor4d(c === 1 ? xs.slice() : nchwToNhwc(xs, n, c, h, w), [n, h, w, c]);
    }
    return tf.tensor(xs.slice(), [n, ...this.inputShape]);
  }

  /** Forward pass on an engine-layout input; returns the first output in 'std' (IR) order `[N, ...]`. */
  forward(x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    return this.forwardAll(x, opts)[0] as tf.Tensor;
  }

  /** Forward pass returning every graph output (IR order `[N, ...]`), in `graph.outputs` order. */
  forwardAll(x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor[] {
    if (this.disposed) throw new ConfigError(`model '${this.graph.name}' was disposed`);
    const training = opts.training === true;
    return tf.tidy(() => {
      const vals = new Map<string, tf.Tensor>();
      const layoutOf = new Map<string, CompiledNode>();
      const fuse =
        !training &&
        !this.hooks.weightTransform &&
        !this.hooks.biasTransform &&
        !this.hooks.activationTransform &&
        !opts.overrides &&
        opts.secondOrder !== true;
      for (const c of this.plan) {
        if (fuse) {
          const head = this.fusedAway.get(c.node.name);
          if (head !== undefined) {
            vals.set(c.node.name, vals.get(head) as tf.Tensor);
            layoutOf.set(c.node.name, c);
            continue;
          }
          const f = this.fusion.get(c.node.name);
          if (f) {
            vals.set(c.node.name, this.fusedNode(c, f, vals.get(c.node.inputs[0] as string) as tf.Tensor));
            layoutOf.set(c.node.name, c);
            continue;
          }
        }
        let out = this.runNode(c, x, vals, layoutOf, training, opts);
        const at = this.hooks.activationTransform;
        if (at) out = at(out, { node: c.node.name, op: c.node.op, layout: c.layout, shape: c.shape, ...(c.flatFrom ? { flatFrom: c.flatFrom } : {}) });
        vals.set(c.node.name, out);
        layoutOf.set(c.node.name, c);
      }
      return this.graph.outputs.map((o) => toStd(vals.get(o) as tf.Tensor, layoutOf.get(o) as CompiledNode));
    });
  }

  private param(key: string, opts: ForwardOptions): tf.Tensor {
    const o = opts.overrides?.get(key);
    if (o) return o;
    const v = this.variables.get(key);
    if (!v) throw new ShapeError(`model '${this.graph.name}': no weight '${key}'`);
    return v;
  }

  private weight(key: string, info: WeightInfo, opts: ForwardOptions): TransformedWeight {
    const w = this.param(key, opts);
    const t = this.hooks.weightTransform;
    const r = t ? t(w, info) : w;
    return 'weight' in r ? r : { weight: r };
  }

  private bias(key: string, info: WeightInfo, input: string, weightScale: tf.Tensor | undefined, opts: ForwardOptions): tf.Tensor {
    const b = this.param(`${key}.bias`, opts);
    const t = this.hooks.biasTransform;
    return t ? t(b, { ...info, input, ...(weightScale ? { weightScale } : {}) }) : b;
  }

  /** Runs one node through its op's lowering (src/engine/ops). */
  private runNode(
    c: CompiledNode,
    input: tf.Tensor,
    vals: Map<string, tf.Tensor>,
    layoutOf: Map<string, CompiledNode>,
    training: boolean,
    opts: ForwardOptions,
  ): tf.Tensor {
    const n = c.node;
    const consts = this.constants.get(n.name);
    // the scale the weight hook returned, handed to the bias hook of the same node
    let weightScale: tf.Tensor | undefined;
    const ctx: EngineOpContext = {
      node: n,
      value: c,
      graphName: this.graph.name,
      input,
      arg: (i) => vals.get(n.inputs[i] as string) as tf.Tensor,
      argValue: (i) => layoutOf.get(n.inputs[i] as string) as CompiledNode,
      training,
      opts,
      param: (key) => this.param(key, opts),
      weight: (key, info) => {
        const r = this.weight(key, info, opts);
        weightScale = r.scale;
        return r.weight;
      },
      bias: (info) => this.bias(n.name, info, n.inputs[0] as string, weightScale, opts),
      constant: (name) => consts?.get(name),
    };
    return engineOp(n.op, n.name).run(ctx);
  }

  /**
   * Inference fusion plan: a conv (not grouped) or dense whose only consumer is a batch norm and/or
   * whose (then) only consumer is relu/relu6 runs as one fused op with the batch norm folded into its
   * weights. Used only in eval mode without hooks.
   */
  private planFusion(): Map<string, Fusion> {
    const consumers = new Map<string, string[]>();
    for (const n of this.graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.name]);
    const byName = new Map(this.graph.nodes.map((n) => [n.name, n] as const));
    const only = (name: string): Node | undefined => {
      const c = consumers.get(name) ?? [];
      return c.length === 1 && !this.graph.outputs.includes(name) ? byName.get(c[0] as string) : undefined;
    };
    const plan = new Map<string, Fusion>();
    for (const c of this.plan) {
      const n = c.node;
      if (!(n.op === 'conv2d' && (n.groups === 1 || isDepthwise(n))) && !(n.op === 'dense' && c.layout === 'std')) continue;
      let last = n.name;
      let bn: string | undefined;
      let act: 'relu' | 'relu6' | undefined;
      const next = only(last);
      if (next?.op === 'batchnorm' && n.op === 'conv2d') {
        bn = next.name;
        last = next.name;
      }
      const a = only(last);
      if (a?.op === 'relu' || a?.op === 'relu6') {
        act = a.op;
        last = a.name;
      }
      if (!bn && !act) continue;
      plan.set(n.name, { ...(bn ? { bn } : {}), ...(act ? { act } : {}) });
      if (bn) this.fusedAway.set(bn, n.name);
      if (act) this.fusedAway.set(last, n.name);
    }
    return plan;
  }

  /** Runs a conv/dense with its folded batch norm and activation (inference). */
  private fusedNode(c: CompiledNode, f: Fusion, x: tf.Tensor): tf.Tensor {
    const n = c.node;
    const activation: 'linear' | 'relu' | 'relu6' = f.act ?? 'linear';
    if (n.op === 'dense') {
      const bias = n.bias ? this.param(`${n.name}.bias`, {}) : undefined;
      return tf.fused.matMul({ a: x as tf.Tensor2D, b: this.param(`${n.name}.weight`, {}) as tf.Tensor2D, ...(bias ? { bias } : {}), activation });
    }
    if (n.op !== 'conv2d') throw new ShapeError(`internal: cannot fuse node '${n.name}' (${n.op})`);
    const dw = isDepthwise(n);
    let { w, kh, kw } = convFilter(n, this.weight(`${n.name}.weight`, convWeightInfo(n), {}).weight, this.constants.get(n.name)?.get('dilation'));
    let bias: tf.Tensor | undefined = n.bias ? this.param(`${n.name}.bias`, {}) : undefined;
    if (f.bn) {
      const p = (k: string): tf.Tensor => this.param(`${f.bn}.${k}`, {});
      const bnNode = this.graph.nodes.find((q) => q.name === f.bn) as Extract<Node, { op: 'batchnorm' }>;
      const a = tf.mul(p('scale'), tf.rsqrt(tf.add(p('var'), bnNode.eps)));
      const shift = tf.sub(p('bias'), tf.mul(p('mean'), a));
      w = tf.mul(w, dw ? a.reshape([n.inChannels, n.outChannels / n.inChannels]) : a);
      bias = bias ? tf.add(tf.mul(bias, a), shift) : shift;
    }
    const [, h, wd] = x.shape as [number, number, number, number];
    const pad = padArg(n.pads, h, wd, [kh, kw], n.stride) as 'valid';
    const args = { x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: n.stride as [number, number], pad, ...(bias ? { bias } : {}), activation };
    return dw ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
  }

  /** Logits (first output, IR order) of `n` NCHW samples, computed in batches. */
  predict(x: Float32Array, n: number, opts: { batchSize?: number } = {}): Float32Array {
    const bs = opts.batchSize ?? 256;
    const per = prod(this.inputShape);
    const outPer = prod(this.outputShape);
    const out = new Float32Array(n * outPer);
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const xt = this.inputTensor(x.subarray(s * per, (s + m) * per), m);
      const y = this.forward(xt);
      out.set(y.dataSync() as Float32Array, s * outPer);
      y.dispose();
      xt.dispose();
    }
    return out;
  }

  /** Accuracy and mean cross-entropy (of the softmax of the first output) on labelled NCHW samples. */
  evaluate(x: Float32Array, y: ArrayLike<number>, n: number, opts: { batchSize?: number } = {}): EvalResult {
    if (y.length < n) throw new ShapeError(`evaluate: ${y.length} labels for ${n} samples`);
    const logits = this.predict(x, n, opts);
    const k = prod(this.outputShape);
    let correct = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      let best = 0;
      let mx = -Infinity;
      for (let j = 0; j < k; j++) {
        if ((row[j] as number) > mx) {
          mx = row[j] as number;
          best = j;
        }
      }
      let se = 0;
      for (let j = 0; j < k; j++) se += Math.exp((row[j] as number) - mx);
      const label = y[i] as number;
      loss += mx + Math.log(se) - (row[label] as number);
      if (best === label) correct++;
    }
    return { accuracy: n ? correct / n : 0, loss: n ? loss / n : 0, n };
  }

  /** Current weights in the IR's ONNX layouts (fresh copies). */
  getWeights(): Weights {
    const w: Weights = new Map();
    for (const [key, spec] of this.specs) {
      const v = this.variables.get(key) as tf.Variable;
      w.set(key, { shape: [...spec.irShape], data: spec.toIr(v.dataSync() as Float32Array) });
    }
    return w;
  }

  /** Current weights of one tensor in engine layout (a copy). */
  getEngineWeight(key: string): Float32Array {
    const v = this.variables.get(key);
    if (!v) throw new ConfigError(`model '${this.graph.name}' has no weight '${key}'`);
    return (v.dataSync() as Float32Array).slice();
  }

  /** Overwrites one weight from engine-layout values. */
  setEngineWeight(key: string, data: Float32Array): void {
    const v = this.variables.get(key);
    if (!v) throw new ConfigError(`model '${this.graph.name}' has no weight '${key}'`);
    if (data.length !== v.size) throw new ShapeError(`weight '${key}' needs ${v.size} values, got ${data.length}`);
    const t = tf.tensor(data.slice(), v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }

  /** Overwrites weights from IR-layout tensors (a subset is allowed). */
  setWeights(weights: Weights): void {
    for (const [key, t] of weights) {
      const spec = this.specs.get(key);
      if (!spec) throw new ShapeError(`setWeights: model '${this.graph.name}' has no weight '${key}'`);
      if (t.data.length !== prod(spec.irShape)) throw new ShapeError(`setWeights: '${key}' has ${t.data.length} values, expected ${prod(spec.irShape)}`);
      this.setEngineWeight(key, spec.toEngine(t.data));
    }
  }

  /** The IR model with the current weights (for export and saving). */
  toModel(): Model {
    return { graph: this.graph, weights: this.getWeights() };
  }

  /** Frees every tensor of the model. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.variables.values()) v.dispose();
    for (const m of this.constants.values()) for (const t of m.values()) t.dispose();
  }
}

/**
 * Compiles an IR model (graph + ONNX-layout weights) into an executable {@link EngineModel} on the
 * current tfjs backend (call `initEngine()` first).
 * @example
 * await initEngine();
 * const m = buildModel({ graph, weights: initWeights(graph, new Rng(1)) });
 * const logits = m.predict(x, n);
 */
export function buildModel(model: Model, opts: BuildOptions = {}): EngineModel {
  return new EngineModel(model, opts);
}

/** Saves the model's graph and current weights as hwnas IR (`<path>` JSON + `.bin`; see ir/serialize.ts). */
export function saveEngineModel(model: EngineModel, path: string): void {
  saveModel(model.toModel(), path);
}

/** Loads an hwnas IR model file written by {@link saveEngineModel} (or `saveModel`) and builds it. */
export function loadEngineModel(path: string, opts: BuildOptions = {}): EngineModel {
  return buildModel(loadModel(path), opts);
}

/** What an inference-fused conv/dense absorbs. */
interface Fusion {
  readonly bn?: string;
  readonly act?: 'relu' | 'relu6';
}
