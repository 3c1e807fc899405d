import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAIL_REASON_ATTR, type Params, RETRY_OF_ATTR, type Trial, type TrialState } from '../search/types.js';
import { type ProposalViewSource, proposalView } from './proposal-view.js';

const trial = (number: number, x: number, state: TrialState, attrs: Record<string, number | string> = {}): Trial => ({
  number,
  params: { x },
  values: state === 'complete' ? [x] : null,
  constraints: null,
  state,
  userAttrs: attrs,
  startedAt: `t${number}`,
  finishedAt: state === 'running' ? null : `f${number}`,
});

/** A source over `trials` whose proposal indices and retries follow the retry links, as StudyHistory keeps them. */
function source(trials: readonly Trial[]): ProposalViewSource {
  const proposal = new Map<number, number>();
  const retried = new Set<number>();
  let next = 0;
  for (const t of trials) {
    const of = t.userAttrs[RETRY_OF_ATTR];
    if (typeof of === 'number') {
      proposal.set(t.number, proposal.get(of) as number);
      retried.add(of);
    } else proposal.set(t.number, next++);
  }
  return { trials, proposalIndex: (n) => proposal.get(n) as number, isRetried: (n) => retried.has(n) };
}

const summary = (ts: readonly Trial[]): string[] =>
  ts.map((t) => `${t.number}:${(t.params as Params).x}:${t.state}${t.userAttrs[RETRY_OF_ATTR] !== undefined ? `<${t.userAttrs[RETRY_OF_ATTR]}` : ''}`);

test('proposalView: all finished and nothing retried, everything visible: the very same array', () => {
  const ts = [trial(0, 0, 'complete'), trial(1, 1, 'failed', { [FAIL_REASON_ATTR]: 'error' }), trial(2, 2, 'complete')];
  assert.equal(proposalView(source(ts), 3), ts);
});

test('proposalView: proposals from visibleBelow on are shown running with their parameters only, finished or not', () => {
  const ts = [trial(0, 0, 'complete'), trial(1, 1, 'complete', { note: 'written while it ran' }), trial(2, 2, 'running', { progress: 3 })];
  const v = proposalView(source(ts), 1);
  assert.deepEqual(summary(v), ['0:0:complete', '1:1:running', '2:2:running']);
  assert.equal(v[0], ts[0]);
  assert.deepEqual(v[1]?.userAttrs, {});
  assert.deepEqual(v[2]?.userAttrs, {});
  assert.equal(v[1]?.values, null);
});

test('proposalView: a resumed study is shown what the uninterrupted one is: died attempts left out, retries in their proposal place', () => {
  const died = { [FAIL_REASON_ATTR]: 'worker-died' };
  // killed with proposals 2 and 3 in flight, 3 finished first; resumed: 4 retries 2, 5 proposal 4, 6 retries 4 after a second kill
  const resumed = [
    trial(0, 0, 'complete'),
    trial(1, 1, 'complete'),
    trial(2, 2, 'failed', died),
    trial(3, 3, 'complete'),
    trial(4, 2, 'complete', { [RETRY_OF_ATTR]: 2 }),
    trial(5, 4, 'failed', { [FAIL_REASON_ATTR]: 'aborted' }),
    trial(6, 4, 'running', { [RETRY_OF_ATTR]: 5 }),
  ];
  const straight = [trial(0, 0, 'complete'), trial(1, 1, 'complete'), trial(2, 2, 'complete'), trial(3, 3, 'complete'), trial(4, 4, 'running')];
  assert.deepEqual(summary(proposalView(source(resumed), 4)), summary(proposalView(source(straight), 4)));
  assert.deepEqual(summary(proposalView(source(resumed), 3)), ['0:0:complete', '1:1:complete', '2:2:complete', '3:3:running', '4:4:running']);
});

test('proposalView: an attempt that failed on its point stays, and its retry links to its new number', () => {
  const ts = [
    trial(0, 0, 'failed', { [FAIL_REASON_ATTR]: 'worker-died' }),
    trial(1, 1, 'failed', { [FAIL_REASON_ATTR]: 'error' }),
    trial(2, 0, 'complete', { [RETRY_OF_ATTR]: 0 }),
    trial(3, 1, 'failed', { [RETRY_OF_ATTR]: 1, [FAIL_REASON_ATTR]: 'worker-died' }),
    trial(4, 1, 'complete', { [RETRY_OF_ATTR]: 3 }),
  ];
  assert.deepEqual(summary(proposalView(source(ts), 2)), ['0:0:complete', '1:1:failed', '2:1:complete<1']);
});
