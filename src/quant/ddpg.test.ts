import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../util/rng.js';
import { Adam, DdpgAgent, Mlp, truncatedNormal } from './ddpg.js';

test('MLP backward matches finite differences (params and input)', () => {
  const rng = new Rng(1);
  for (const output of ['linear', 'sigmoid'] as const) {
    const m = new Mlp([3, 5, 4, 2], output, rng, 0.5);
    const n = 2;
    const x = Float64Array.from({ length: n * 3 }, () => rng.normal());
    const c = Float64Array.from({ length: n * 2 }, () => rng.normal());
    const loss = (): number => m.forward(x, n).reduce((s, v, i) => s + v * (c[i] as number), 0);
    loss();
    const g = m.backward(c);
    const eps = 1e-6;
    const check = (arr: Float64Array, grad: Float64Array, what: string): void => {
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i] as number;
        arr[i] = v + eps;
        const lp = loss();
        arr[i] = v - eps;
        const lm = loss();
        arr[i] = v;
        const fd = (lp - lm) / (2 * eps);
        assert.ok(Math.abs(fd - (grad[i] as number)) < 1e-5 * Math.max(1, Math.abs(fd)), `${output} ${what}[${i}]: fd ${fd} vs ${grad[i]}`);
      }
    };
    m.weights.forEach((w, l) => check(w, g.gW[l] as Float64Array, `W${l}`));
    m.biases.forEach((b, l) => check(b, g.gB[l] as Float64Array, `b${l}`));
    check(x, g.dx, 'x');
  }
});

test('Adam minimises a quadratic', () => {
  const p = Float64Array.from([3, -2]);
  const opt = new Adam([p], 0.05);
  for (let i = 0; i < 500; i++) opt.step([Float64Array.from([2 * ((p[0] as number) - 1), 2 * ((p[1] as number) + 0.5)])]);
  assert.ok(Math.abs((p[0] as number) - 1) < 1e-2 && Math.abs((p[1] as number) + 0.5) < 1e-2, `${p[0]}, ${p[1]}`);
});

test('truncated normal stays in range and is seeded', () => {
  const a = new Rng(9);
  const b = new Rng(9);
  for (let i = 0; i < 1000; i++) {
    const x = truncatedNormal(a, 0.9, 0.5, 0, 1);
    assert.ok(x >= 0 && x <= 1);
    assert.equal(x, truncatedNormal(b, 0.9, 0.5, 0, 1));
  }
});

/** Contextual bandit: state s in [0,1], best action 0.2 + 0.6 s, reward peaked there. */
function runBandit(seed: number): { err: number; agent: DdpgAgent } {
  const agent = new DdpgAgent({
    stateDim: 1,
    actionDim: 1,
    hidden: [32, 32],
    seed,
    batchSize: 32,
    noiseStd: 0.4,
    noiseDecay: 0.99,
    gamma: 0,
    baselineDecay: 0,
  });
  const env = new Rng(seed + 1000);
  for (let ep = 0; ep < 400; ep++) {
    const s = [env.next()];
    const a = ep < 40 ? agent.randomAction() : agent.explore(s);
    const best = 0.2 + 0.6 * (s[0] as number);
    const r = 1 - 8 * ((a[0] as number) - best) ** 2;
    agent.observe({ state: s, action: a, reward: r, nextState: s, done: true });
    if (ep >= 40) {
      agent.update();
      agent.update();
      agent.decayNoise();
    }
  }
  let err = 0;
  for (const s of [0, 0.25, 0.5, 0.75, 1]) err = Math.max(err, Math.abs((agent.policy([s])[0] as number) - (0.2 + 0.6 * s)));
  return { err, agent };
}

test('DDPG learns a contextual bandit with a known optimal action', () => {
  const { err } = runBandit(3);
  assert.ok(err < 0.1, `max |mu(s) - a*(s)| = ${err}`);
});

test('same seed, same agent', () => {
  const a = runBandit(5).agent.policy([0.3]);
  const b = runBandit(5).agent.policy([0.3]);
  assert.deepEqual(a, b);
});
