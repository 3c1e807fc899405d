/**
 * A DDPG agent (deep deterministic policy gradient) in plain TypeScript, as HAQ uses it: tiny MLPs with
 * hand-written backprop and Adam, an actor with sigmoid outputs in [0, 1], a critic Q(s, a), target
 * networks with soft updates, a replay buffer, truncated-normal exploration noise that decays per
 * episode, and a moving-average reward baseline. Everything random goes through one seeded {@link Rng}.
 */
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';

/** Output nonlinearity of an MLP. */
export type OutputActivation = 'linear' | 'sigmoid';

/** A fully connected net with ReLU hidden layers (float64, manual backprop). */
export class Mlp {
  /** weights[l] is [out x in] row-major; biases[l] is [out]. */
  readonly weights: Float64Array[];
  readonly biases: Float64Array[];
  private acts: Float64Array[] = [];
  private batch = 0;

  constructor(
    readonly sizes: readonly number[],
    readonly output: OutputActivation,
    rng: Rng,
    /** Uniform init bound of the last layer (DDPG uses 3e-3). */
    finalInit = 3e-3,
  ) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new ConfigError(`MLP sizes [${sizes.join(', ')}] must be at least two positive integers`);
    }
    this.weights = [];
    this.biases = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fin = sizes[l] as number;
      const fout = sizes[l + 1] as number;
      const last = l + 2 === sizes.length;
      const bound = last ? finalInit : 1 / Math.sqrt(fin);
      this.weights.push(Float64Array.from({ length: fin * fout }, () => rng.uniform(-bound, bound)));
      this.biases.push(Float64Array.from({ length: fout }, () => rng.uniform(-bound, bound)));
    }
  }

  /** Forward a batch (`x` is [n x in] row-major); keeps activations for {@link backward}. */
  forward(x: Float64Array, n: number): Float64Array {
    this.batch = n;
    this.acts = [x];
    let a = x;
    const L = this.weights.length;
    for (let l = 0; l < L; l++) {
      const fin = this.sizes[l] as number;
      const fout = this.sizes[l + 1] as number;
      const W = this.weights[l] as Float64Array;
      const b = this.biases[l] as Float64Array;
      const out = new Float64Array(n * fout);
      for (let s = 0; s < n; s++) {
        for (let o = 0; o < fout; o++) {
          let z = b[o] as number;
          const wo = o * fin;
          const xs = s * fin;
          for (let i = 0; i < fin; i++) z += (W[wo + i] as number) * (a[xs + i] as number);
          if (l + 1 < L) z = z > 0 ? z : 0;
          else if (this.output === 'sigmoid') z = 1 / (1 + Math.exp(-z));
          out[s * fout + o] = z;
        }
      }
      this.acts.push(out);
      a = out;
    }
    return a;
  }

  /**
   * Backprop `dOut` (dLoss/dOutput of the last forward, [n x out]) into parameter gradients (summed over
   * the batch) and the input gradient.
   */
  backward(dOut: Float64Array): { gW: Float64Array[]; gB: Float64Array[]; dx: Float64Array } {
    const n = this.batch;
    const L = this.weights.length;
    const gW = this.weights.map((w) => new Float64Array(w.length));
    const gB = this.biases.map((b) => new Float64Array(b.length));
    let d = Float64Array.from(dOut);
    // through the output nonlinearity
    const y = this.acts[L] as Float64Array;
    if (this.output === 'sigmoid') for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) * (y[i] as number) * (1 - (y[i] as number));
    for (let l = L - 1; l >= 0; l--) {
      const fin = this.sizes[l] as number;
      const fout = this.sizes[l + 1] as number;
      const W = this.weights[l] as Float64Array;
      const a = this.acts[l] as Float64Array;
      const gw = gW[l] as Float64Array;
      const gb = gB[l] as Float64Array;
      const dPrev = new Float64Array(n * fin);
      for (let s = 0; s < n; s++) {
        for (let o = 0; o < fout; o++) {
          const g = d[s * fout + o] as number;
          if (g === 0) continue;
          gb[o] = (gb[o] as number) + g;
          const wo = o * fin;
          const xs = s * fin;
          for (let i = 0; i < fin; i++) {
            gw[wo + i] = (gw[wo + i] as number) + g * (a[xs + i] as number);
            dPrev[xs + i] = (dPrev[xs + i] as number) + g * (W[wo + i] as number);
          }
        }
      }
      if (l > 0) for (let i = 0; i < dPrev.length; i++) if ((a[i] as number) <= 0) dPrev[i] = 0; // ReLU of layer l-1
      d = dPrev;
    }
    return { gW, gB, dx: d };
  }

  /** All parameter arrays (weights then biases per layer). */
  params(): Float64Array[] {
    return this.weights.flatMap((w, l) => [w, this.biases[l] as Float64Array]);
  }

  /** A deep copy. */
  clone(): Mlp {
    const m = Object.create(Mlp.prototype) as Mlp;
    Object.assign(m, {
      sizes: this.sizes,
      output: this.output,
      weights: this.weights.map((w) => Float64Array.from(w)),
      biases: this.biases.map((b) => Float64Array.from(b)),
      acts: [],
      batch: 0,
    });
    return m;
  }

  /** Polyak averaging: this = (1 - tau) * this + tau * src. */
  softUpdate(src: Mlp, tau: number): void {
    const a = this.params();
    const b = src.params();
    a.forEach((p, k) => {
      const q = b[k] as Float64Array;
      for (let i = 0; i < p.length; i++) p[i] = (1 - tau) * (p[i] as number) + tau * (q[i] as number);
    });
  }
}

/** Adam over a list of parameter arrays. */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  constructor(
    private readonly params: Float64Array[],
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  /** One descent step with gradients `grads` (same layout as the params). */
  step(grads: readonly Float64Array[]): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    this.params.forEach((p, k) => {
      const g = grads[k] as Float64Array;
      const m = this.m[k] as Float64Array;
      const v = this.v[k] as Float64Array;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        m[i] = this.beta1 * (m[i] as number) + (1 - this.beta1) * gi;
        v[i] = this.beta2 * (v[i] as number) + (1 - this.beta2) * gi * gi;
        p[i] = (p[i] as number) - (this.lr * ((m[i] as number) / c1)) / (Math.sqrt((v[i] as number) / c2) + this.eps);
      }
    });
  }
}

/** One transition. */
export interface Transition {
  readonly state: readonly number[];
  readonly action: readonly number[];
  readonly reward: number;
  readonly nextState: readonly number[];
  readonly done: boolean;
}

/** Options of {@link DdpgAgent}. */
export interface DdpgOptions {
  readonly stateDim: number;
  readonly actionDim: number;
  /** Hidden sizes of actor and critic (HAQ: 400, 300; default 64, 64 for small problems). */
  readonly hidden?: readonly number[];
  readonly actorLr?: number;
  readonly criticLr?: number;
  /** Soft-update rate of the target networks (default 0.01). */
  readonly tau?: number;
  /** Discount (HAQ uses 1 with the episode's reward on every step; default 1). */
  readonly gamma?: number;
  readonly batchSize?: number;
  readonly bufferSize?: number;
  /** Initial exploration std in action units (default 0.5) and its per-episode decay (default 0.99). */
  readonly noiseStd?: number;
  readonly noiseDecay?: number;
  /** Weight of the moving-average reward baseline (default 0.95; 0 disables it). */
  readonly baselineDecay?: number;
  readonly seed: number;
}

/** DDPG agent with actions in [0, 1]^actionDim. */
export class DdpgAgent {
  readonly actor: Mlp;
  readonly critic: Mlp;
  private readonly actorTarget: Mlp;
  private readonly criticTarget: Mlp;
  private readonly actorOpt: Adam;
  private readonly criticOpt: Adam;
  private readonly buffer: Transition[] = [];
  private bufferPos = 0;
  private readonly rng: Rng;
  /** Current exploration std. */
  noiseStd: number;
  /** Moving average of rewards (subtracted before critic updates). */
  baseline: number | undefined;
  private readonly o: Required<Omit<DdpgOptions, 'seed'>>;

  constructor(opts: DdpgOptions) {
    const hidden = opts.hidden ?? [64, 64];
    this.o = {
      stateDim: opts.stateDim,
      actionDim: opts.actionDim,
      hidden,
      actorLr: opts.actorLr ?? 1e-3,
      criticLr: opts.criticLr ?? 2e-3,
      tau: opts.tau ?? 0.01,
      gamma: opts.gamma ?? 1,
      batchSize: opts.batchSize ?? 64,
      bufferSize: opts.bufferSize ?? 4000,
      noiseStd: opts.noiseStd ?? 0.5,
      noiseDecay: opts.noiseDecay ?? 0.99,
      baselineDecay: opts.baselineDecay ?? 0.95,
    };
    this.rng = new Rng(opts.seed);
    this.actor = new Mlp([opts.stateDim, ...hidden, opts.actionDim], 'sigmoid', this.rng);
    this.critic = new Mlp([opts.stateDim + opts.actionDim, ...hidden, 1], 'linear', this.rng);
    this.actorTarget = this.actor.clone();
    this.criticTarget = this.critic.clone();
    this.actorOpt = new Adam(this.actor.params(), this.o.actorLr);
    this.criticOpt = new Adam(this.critic.params(), this.o.criticLr);
    this.noiseStd = this.o.noiseStd;
    this.baseline = undefined;
  }

  /** Deterministic action of the current actor. */
  policy(state: readonly number[]): number[] {
    return Array.from(this.actor.forward(Float64Array.from(state), 1));
  }

  /** Uniform random action (warm-up episodes). */
  randomAction(): number[] {
    return Array.from({ length: this.o.actionDim }, () => this.rng.next());
  }

  /** Actor action plus truncated-normal noise (std {@link noiseStd}), kept in [0, 1]. */
  explore(state: readonly number[]): number[] {
    return this.policy(state).map((mu) => truncatedNormal(this.rng, mu, this.noiseStd, 0, 1));
  }

  /** Store a transition (the replay buffer is a ring of `bufferSize`). */
  observe(t: Transition): void {
    if (this.buffer.length < this.o.bufferSize) this.buffer.push(t);
    else this.buffer[this.bufferPos] = t;
    this.bufferPos = (this.bufferPos + 1) % this.o.bufferSize;
  }

  /** Update the moving-average reward baseline with an episode's reward. */
  trackReward(r: number): void {
    const d = this.o.baselineDecay;
    this.baseline = this.baseline === undefined ? r : d * this.baseline + (1 - d) * r;
  }

  /** Decay the exploration noise (call once per episode after warm-up). */
  decayNoise(): void {
    this.noiseStd *= this.o.noiseDecay;
  }

  /** Replay-buffer size. */
  get bufferLength(): number {
    return this.buffer.length;
  }

  /** One critic and one actor step on a replay minibatch, then soft target updates. Returns the critic loss. */
  update(): number {
    const n = Math.min(this.o.batchSize, this.buffer.length);
    if (n === 0) return 0;
    const S = this.o.stateDim;
    const A = this.o.actionDim;
    const batch = Array.from({ length: n }, () => this.buffer[this.rng.int(0, this.buffer.length - 1)] as Transition);
    const base = this.o.baselineDecay > 0 ? (this.baseline ?? 0) : 0;
    // targets y = r - baseline + gamma * (1 - done) * Q'(s', mu'(s'))
    const next = new Float64Array(n * S);
    batch.forEach((t, k) => next.set(t.nextState, k * S));
    const nextA = this.actorTarget.forward(next, n);
    const nextSa = new Float64Array(n * (S + A));
    batch.forEach((t, k) => {
      nextSa.set(t.nextState, k * (S + A));
      nextSa.set(nextA.subarray(k * A, (k + 1) * A), k * (S + A) + S);
    });
    const qNext = this.criticTarget.forward(nextSa, n);
    const y = batch.map((t, k) => t.reward - base + (t.done ? 0 : this.o.gamma * (qNext[k] as number)));
    // critic step: MSE(Q(s,a), y)
    const sa = new Float64Array(n * (S + A));
    batch.forEach((t, k) => {
      sa.set(t.state, k * (S + A));
      sa.set(t.action, k * (S + A) + S);
    });
    const q = this.critic.forward(sa, n);
    let loss = 0;
    const dq = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const e = (q[k] as number) - (y[k] as number);
      loss += e * e;
      dq[k] = (2 * e) / n;
    }
    const cg = this.critic.backward(dq);
    this.criticOpt.step(cg.gW.flatMap((w, l) => [w, cg.gB[l] as Float64Array]));
    // actor step: maximise Q(s, mu(s)) => dLoss/da = -dQ/da
    const states = new Float64Array(n * S);
    batch.forEach((t, k) => states.set(t.state, k * S));
    const mu = this.actor.forward(states, n);
    const smu = new Float64Array(n * (S + A));
    for (let k = 0; k < n; k++) {
      smu.set(states.subarray(k * S, (k + 1) * S), k * (S + A));
      smu.set(mu.subarray(k * A, (k + 1) * A), k * (S + A) + S);
    }
    this.critic.forward(smu, n);
    const dIn = this.critic.backward(new Float64Array(n).fill(-1 / n)).dx;
    const dMu = new Float64Array(n * A);
    for (let k = 0; k < n; k++) for (let j = 0; j < A; j++) dMu[k * A + j] = dIn[k * (S + A) + S + j] as number;
    const ag = this.actor.backward(dMu);
    this.actorOpt.step(ag.gW.flatMap((w, l) => [w, ag.gB[l] as Float64Array]));
    this.actorTarget.softUpdate(this.actor, this.o.tau);
    this.criticTarget.softUpdate(this.critic, this.o.tau);
    return loss / n;
  }
}

/** A normal sample truncated to [lo, hi] (rejection, then clamping after 100 tries). */
export function truncatedNormal(rng: Rng, mean: number, std: number, lo: number, hi: number): number {
  if (std <= 0) return Math.min(hi, Math.max(lo, mean));
  for (let i = 0; i < 100; i++) {
    const x = rng.normal(mean, std);
    if (x >= lo && x <= hi) return x;
  }
  return Math.min(hi, Math.max(lo, mean));
}
