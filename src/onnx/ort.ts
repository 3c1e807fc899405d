import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import { ModelFormatError, UserError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { loadedOrt, loadOrt } from './ort-runtime.js';

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Intra-op threads (default 1: reproducible, and the machine is shared). */
  readonly threads?: number;
  /** Graph optimisation level (default `'all'`). */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** An onnxruntime session with the model's first input and output resolved. */
export interface OnnxSession {
  readonly session: ort.InferenceSession;
  readonly inputName: string;
  /** Per-sample input shape (batch dimension dropped). */
  readonly inputShape: readonly number[];
  readonly outputName: string;
  /** Per-sample output shape (batch dimension dropped; symbolic dims are -1), when the session was made by {@link createSession}. */
  readonly outputShape?: readonly number[];
  /**
   * The input's batch when the file fixes it (`torch.onnx.export` without `dynamic_axes` writes batch 1), read by
   * {@link createSession}; {@link runOnnx} then runs any batch in chunks of it. Undefined: the batch is symbolic.
   */
  readonly fixedBatch?: number;
}

/** Create an onnxruntime-node CPU session from ONNX bytes or a file path. */
export async function createSession(model: Uint8Array | string, opts: SessionOptions = {}): Promise<OnnxSession> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(`onnxruntime: threads ${threads} is invalid (expected a positive integer)`);
  const o: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    executionProviders: ['cpu'],
  };
  const rt = await loadOrt();
  let session: ort.InferenceSession;
  try {
    session = typeof model === 'string' ? await rt.InferenceSession.create(model, o) : await rt.InferenceSession.create(model, o);
  } catch (e) {
    const src = typeof model === 'string' ? `'${model}'` : 'ONNX bytes';
    throw new ModelFormatError(`onnxruntime cannot load ${src}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (!inputName || !outputName) throw new ModelFormatError('onnxruntime: the model has no input or no output');
  const meta = session.inputMetadata[0];
  const dims = meta?.isTensor ? meta.shape.slice(1) : [];
  if (dims.some((d) => typeof d !== 'number' || d < 1)) {
    throw new ModelFormatError(`onnxruntime: input '${inputName}' has non-fixed per-sample dims [${dims.join(',')}]`);
  }
  const out = session.outputMetadata[0];
  const outputShape = out?.isTensor ? out.shape.slice(1).map((d) => (typeof d === 'number' ? d : -1)) : [];
  const b0 = meta?.isTensor ? meta.shape[0] : undefined;
  const fixedBatch = typeof b0 === 'number' && b0 >= 1 ? b0 : undefined;
  return { session, inputName, inputShape: dims as number[], outputName, outputShape, ...(fixedBatch !== undefined ? { fixedBatch } : {}) };
}

async function runOnce(s: OnnxSession, input: Float32Array, batch: number): Promise<Float32Array> {
  const feeds = { [s.inputName]: new (loadedOrt().Tensor)('float32', input, [batch, ...s.inputShape]) };
  const out = await s.session.run(feeds, [s.outputName]);
  const t = out[s.outputName];
  if (!t || !(t.data instanceof Float32Array)) throw new ModelFormatError(`onnxruntime: output '${s.outputName}' is not a float32 tensor`);
  return t.data;
}

/**
 * Run a batch (NCHW, float32, `batch * prod(inputShape)` values); resolves to the first output's data. A model
 * with a fixed batch ({@link OnnxSession.fixedBatch}) runs in chunks of that batch, the last one padded with zeros
 * and its padding rows dropped from the output, so every caller can pick its own batch.
 */
export async function runOnnx(s: OnnxSession, input: Float32Array, batch: number): Promise<Float32Array> {
  const per = s.inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * per) {
    throw new UserError(`onnxruntime: input has ${input.length} values, expected batch ${batch} x ${per} (shape [${s.inputShape.join(',')}])`);
  }
  const fixed = s.fixedBatch;
  if (fixed === undefined || fixed === batch) return runOnce(s, input, batch);
  const chunks: Float32Array[] = [];
  for (let i = 0; i < batch; i += fixed) {
    const b = Math.min(fixed, batch - i);
    let x = input.subarray(i * per, (i + b) * per);
    if (b < fixed) {
      const padded = new Float32Array(fixed * per);
      padded.set(x);
      x = padded;
    }
    const out = await runOnce(s, x, fixed);
    chunks.push(b < fixed ? out.slice(0, (out.length / fixed) * b) : out);
  }
  const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/** Options of {@link timeOnnx}. */
export interface TimeOptions {
  /** Untimed runs first (default 3). */
  readonly warmup?: number;
  /** Timed runs (default 20). */
  readonly repeats?: number;
  /** Seed of the random input (default 0). */
  readonly seed?: number;
}

/** Latency statistics of repeated runs, in milliseconds per batch. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Interquartile range (p75 - p25), a robust spread. */
  readonly iqrMs: number;
  readonly batch: number;
  readonly repeats: number;
  readonly samplesMs: readonly number[];
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Measure the latency of one batch: median and spread over `repeats` runs after `warmup` runs. */
export async function timeOnnx(s: OnnxSession, batch: number, opts: TimeOptions = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 3;
  const repeats = opts.repeats ?? 20;
  if (!Number.isInteger(repeats) || repeats < 1) throw new UserError(`timeOnnx: repeats ${repeats} is invalid (expected a positive integer)`);
  const rng = new Rng(opts.seed ?? 0);
  const input = new Float32Array(batch * s.inputShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < input.length; i++) input[i] = rng.normal();
  for (let i = 0; i < warmup; i++) await runOnnx(s, input, batch);
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await runOnnx(s, input, batch);
    samples.push(performance.now() - t0);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
    iqrMs: quantile(sorted, 0.75) - quantile(sorted, 0.25),
    batch,
    repeats,
    samplesMs: samples,
  };
}

/**
 * The operators of onnxruntime's optimised graph of a model (after all graph transformations and fusions),
 * with the fused `activation` attribute where it has one. Used to check that a cost model fuses as onnxruntime does.
 */
export async function ortOptimizedNodes(bytes: Uint8Array): Promise<{ op: string; name: string; activation: string }[]> {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { onnx } = await import('./proto.js');
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-ort-opt-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const s = await (await loadOrt()).InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: path,
      logSeverityLevel: 3,
    });
    await s.release();
    const model = onnx.ModelProto.decode(readFileSync(path));
    return (model.graph?.node ?? []).map((n) => ({
      op: n.opType ?? '',
      name: n.name ?? '',
      activation: (n.attribute ?? []).filter((a) => a.name === 'activation').map((a) => Buffer.from(a.s ?? new Uint8Array()).toString())[0] ?? '',
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
