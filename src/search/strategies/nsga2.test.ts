import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../util/rng.js';
import { zdt1 } from '../testing/problems.js';
import { runTrials } from '../testing/run-trials.js';
import { FAIL_REASON_ATTR, type Params, type SearchStrategy, type Trial, trialSeed } from '../types.js';
import { Nsga2 } from './nsga2.js';
import { checkPopulationFits } from './variation.js';

const p = zdt1(6);
const SEED = 4;
const stamp = new Date(0).toISOString();

function trial(number: number, params: Params, attrs: Trial['userAttrs'] = {}): Trial {
  return { number, params, values: p.evaluate(params), constraints: null, state: 'complete', userAttrs: attrs, startedAt: stamp, finishedAt: stamp };
}

/** Asks `s` for proposal `n` (its randomness derived from the proposal index, as the study loop does). */
function ask(s: SearchStrategy, history: readonly Trial[], n: number): Promise<Params> {
  return Promise.resolve(s.ask({ space: p.space, objectives: p.objectives, history, trialNumber: n, rng: new Rng(trialSeed(SEED, n)) }));
}

/** An uninterrupted run of `n` trials with population `P`. */
function uninterrupted(P: number, n: number): Promise<Trial[]> {
  return runTrials({
    strategy: new Nsga2({ populationSize: P }),
    space: p.space,
    objectives: p.objectives,
    evaluate: (x) => ({ values: p.evaluate(x) }),
    nTrials: n,
    seed: SEED,
  });
}

/** Continues `history` with proposals until it holds `proposals` of them (retries are not proposals). */
async function continueTo(s: SearchStrategy, history: Trial[], proposals: number): Promise<Trial[]> {
  for (let n = history.filter((t) => t.userAttrs['hwnas:retry_of'] === undefined).length; n < proposals; n++)
    history.push(trial(history.length, await ask(s, history, n)));
  return history;
}

test('nsga2: a run interrupted mid-generation (a trial asked, never told, then retried) proposes what an uninterrupted run does', async () => {
  const P = 8;
  const whole = await uninterrupted(P, 40);
  const first = new Nsga2({ populationSize: P });
  const history = await continueTo(first, [], 11);
  // proposal 11 (generation 1) is asked and starts running; the process is interrupted before it is told
  const lost = await ask(first, history, 11);
  history.push({ ...trial(11, lost), values: null, state: 'running', finishedAt: null });
  // the resumed loop marks it failed (interrupted) and runs its parameters again as trial 12 before asking anew
  history[11] = { ...(history[11] as Trial), state: 'failed', userAttrs: { [FAIL_REASON_ATTR]: 'aborted' }, finishedAt: stamp };
  history.push(trial(12, lost, { 'hwnas:retry_of': 11 }));
  const resumed = await continueTo(new Nsga2({ populationSize: P }), history.slice(), 40);
  const complete = (ts: readonly Trial[]) => ts.filter((t) => t.state === 'complete').map((t) => t.params);
  assert.equal(resumed.length, 41);
  assert.deepEqual(complete(resumed), complete(whole));
  // the instance that saw trial 11 running (its memo included) continues the same way
  assert.deepEqual(complete(await continueTo(first, history.slice(), 40)), complete(whole));
});

test('nsga2: a retry made after later proposals (concurrent trials) takes its original place in the generation', async () => {
  const P = 6;
  const whole = await uninterrupted(P, 30);
  const s = new Nsga2({ populationSize: P });
  const history = await continueTo(s, [], 3);
  // proposal 3's process dies; proposals 4 and 5 finish before its retry (trial 6) runs
  history.push({ ...trial(3, await ask(s, history, 3)), values: null, state: 'failed', userAttrs: { [FAIL_REASON_ATTR]: 'worker-died' } });
  await continueTo(s, history, 6);
  history.push(trial(6, (history[3] as Trial).params, { 'hwnas:retry_of': 3 }));
  const resumed = await continueTo(s, history, 30);
  const byProposal = (ts: readonly Trial[]) =>
    ts
      .filter((t) => t.state === 'complete')
      .map((t) => t.params)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  // generation 0 holds the same points (in another order); every later proposal is the uninterrupted run's
  assert.deepEqual(byProposal(resumed.slice(0, 7)), byProposal(whole.slice(0, 6)));
  assert.deepEqual(
    resumed.slice(7).map((t) => t.params),
    whole.slice(6).map((t) => t.params),
  );
});

test('a population the user gives must be below the trial budget (else every trial is a random first-generation sample)', () => {
  assert.throws(
    () => checkPopulationFits('nsga2', 100, 10),
    /^ConfigError: nsga2 populationSize 100 is not below the study's 10 trials: every trial would be a random sample of the first generation; expected populationSize < 10/,
  );
  assert.throws(() => checkPopulationFits('regularized-evolution', 10, 10), /regularized-evolution populationSize 10 is not below the study's 10 trials/);
  assert.doesNotThrow(() => checkPopulationFits('nsga2', 9, 10));
});
