import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../util/rng.js';
import { factorCovariance, GaussianProcess, lbfgs, matern52 } from './gp.js';
import { cholesky, choleskyAppend, choleskyInverse } from './linalg.js';
import { logExpectedImprovement, normCdf } from './strategies/bayesian.js';

test('cholesky inverse times the matrix is the identity', () => {
  const a = new Float64Array([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
  const l = cholesky(a, 3) as Float64Array;
  const inv = choleskyInverse(l, 3);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (a[i * 3 + k] as number) * (inv[k * 3 + j] as number);
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
    }
  assert.equal(cholesky(new Float64Array([1, 2, 2, 1]), 2), null);
});

test('GP interpolates a smooth function and is uncertain far from data', () => {
  const rng = new Rng(3);
  const f = (x: number[]) => Math.sin(6 * (x[0] as number)) + (x[1] as number) ** 2;
  const xs = Array.from({ length: 30 }, () => [rng.next(), rng.next()]);
  const gp = GaussianProcess.fit(xs, xs.map(f), rng);
  let err = 0;
  for (let i = 0; i < 50; i++) {
    const p = [rng.next(), rng.next()];
    err = Math.max(err, Math.abs(gp.predict(p).mean - f(p)));
  }
  assert.ok(err < 0.15, `max error ${err}`);
  const near = gp.predict(xs[0] as number[]).variance;
  const far = gp.predict([3, 3]).variance;
  assert.ok(far > 100 * near, `variance near ${near}, far ${far}`);
  assert.ok(matern52([0, 0], [0, 0], [1, 1], 2) === 2);
});

test('fitted hyperparameters are not beaten by a refit with more restarts', () => {
  const rng = new Rng(5);
  const xs = Array.from({ length: 15 }, () => [rng.next()]);
  const gp = GaussianProcess.fit(
    xs,
    xs.map((x) => Math.cos(4 * (x[0] as number))),
    rng,
  );
  // Refit from the optimum with a tiny budget: no further improvement should be possible.
  const again = GaussianProcess.fit(
    xs,
    xs.map((x) => Math.cos(4 * (x[0] as number))),
    new Rng(99),
    { restarts: 4 },
  );
  assert.ok(again.logMarginalLikelihood - gp.logMarginalLikelihood < 0.05, `${again.logMarginalLikelihood} vs ${gp.logMarginalLikelihood}`);
});

test('lbfgs minimises the Rosenbrock function', () => {
  const [x] = lbfgs(
    (u) => {
      const a = u[0] as number;
      const b = u[1] as number;
      return [(1 - a) ** 2 + 100 * (b - a * a) ** 2, [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]];
    },
    [-1.2, 1],
    500,
  );
  assert.ok(Math.abs((x[0] as number) - 1) < 1e-3 && Math.abs((x[1] as number) - 1) < 1e-3, `${x}`);
});

test('expected improvement: closed form and the stable tail agree', () => {
  assert.ok(Math.abs(normCdf(1.96) - 0.9750021) < 2e-7);
  // EI(best=0, mean=0, sd=1) = phi(0) = 0.398942.
  assert.ok(Math.abs(Math.exp(logExpectedImprovement(0, 0, 1)) - 0.3989423) < 1e-6);
  const a = logExpectedImprovement(0, 5.99, 1);
  const b = logExpectedImprovement(0, 6.01, 1);
  assert.ok(a > b && a - b < 0.2, `${a} ${b}`);
});

test('choleskyAppend grows a factor to exactly the full factorisation', () => {
  const rng = new Rng(8);
  const xs = Array.from({ length: 12 }, () => [rng.next(), rng.next(), rng.next()]);
  const hyper = { lengthscales: [0.4, 0.7, 0.2], signalVariance: 1.3, noiseVariance: 1e-3 };
  const full = factorCovariance(xs, hyper);
  let l = factorCovariance(xs.slice(0, 5), hyper).l;
  for (let n = 5; n < 12; n++) {
    const k = xs.slice(0, n).map((x) => matern52(xs[n] as number[], x, hyper.lengthscales, hyper.signalVariance));
    l = choleskyAppend(l, n, k, hyper.signalVariance + hyper.noiseVariance) as Float64Array;
  }
  assert.deepEqual([...l], [...full.l]);
  assert.equal(choleskyAppend(new Float64Array([1]), 1, [1], 1), null, 'a duplicate point without noise is not positive definite');
});

test('grouped lengthscales: one length per group, and a GP built from given hyperparameters predicts like the fitted one', () => {
  const rng = new Rng(4);
  // Two one-hot blocks (3 and 2 choices) and a float; the target depends on the first block only.
  const xs = Array.from({ length: 25 }, () => {
    const a = rng.int(0, 2);
    const b = rng.int(0, 1);
    return [a === 0 ? 1 : 0, a === 1 ? 1 : 0, a === 2 ? 1 : 0, b === 0 ? 1 : 0, b === 1 ? 1 : 0, rng.next()];
  });
  const y = xs.map((x) => 2 * (x[0] as number) - (x[2] as number));
  const groups = [0, 0, 0, 1, 1, 2];
  const gp = GaussianProcess.fit(xs, y, new Rng(1), { groups });
  const ls = gp.hyper.lengthscales;
  assert.equal(ls.length, 6);
  assert.ok(ls[0] === ls[1] && ls[1] === ls[2] && ls[3] === ls[4]);
  assert.ok((ls[3] as number) > (ls[0] as number), `the irrelevant block should get the longer length: ${ls}`);
  const again = GaussianProcess.withHyperparameters(xs, y, gp.hyper);
  const p = [0, 1, 0, 1, 0, 0.5];
  assert.ok(Math.abs(again.predict(p).mean - gp.predict(p).mean) < 1e-9);
  assert.ok(Math.abs(again.logMarginalLikelihood - gp.logMarginalLikelihood) < 1e-6);
  assert.throws(() => GaussianProcess.fit(xs, y, new Rng(1), { groups: [0, 1] }), /2 entries for 6 input dimensions/);
});

test('the likelihood gradient agrees with finite differences (fit from a start that is already optimal does not move)', () => {
  const rng = new Rng(12);
  const xs = Array.from({ length: 20 }, () => [rng.next(), rng.next(), rng.next()]);
  const y = xs.map((x) => Math.sin(3 * (x[0] as number)) + 0.3 * (x[1] as number));
  const a = GaussianProcess.fit(xs, y, new Rng(2), { groups: [0, 1, 1] });
  // Warm-started at the optimum with no restarts: the likelihood cannot get worse, and not much better.
  const b = GaussianProcess.fit(xs, y, new Rng(3), {
    groups: [0, 1, 1],
    restarts: 0,
    start: { ...a.hyper, lengthscales: [a.hyper.lengthscales[0] as number, a.hyper.lengthscales[1] as number] },
  });
  assert.ok(b.logMarginalLikelihood >= a.logMarginalLikelihood - 1e-6, `${b.logMarginalLikelihood} vs ${a.logMarginalLikelihood}`);
  assert.ok(b.logMarginalLikelihood - a.logMarginalLikelihood < 0.05);
  // The fitted model explains the data: its likelihood beats a GP with the default lengths.
  const plain = GaussianProcess.withHyperparameters(xs, y, { lengthscales: [0.3, 0.3, 0.3], signalVariance: 1, noiseVariance: 1e-3 });
  assert.ok(a.logMarginalLikelihood > plain.logMarginalLikelihood, `${a.logMarginalLikelihood} vs ${plain.logMarginalLikelihood}`);
});
