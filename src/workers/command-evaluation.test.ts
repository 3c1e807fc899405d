import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnNode, waitUntil } from '../cli/testing/run-cli.js';
import { EvaluationCommandError } from '../errors.js';
import type { PrecisionPolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { archCost } from '../nas/cost.js';
import { createSession, runOnnx } from '../onnx/ort.js';
import { PolicyCoster } from '../quant/cost.js';
import { SearchSpace } from '../search/space.js';
import { getArchSpace } from '../search/spaces/registry.js';
import { RandomSearch } from '../search/strategies/random.js';
import type { JsonValue } from '../search/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { intermediateValues, medianPruner } from '../study/pruning.js';
import { type EvaluationContext, runStudy } from '../study/run-study.js';
import { Rng } from '../util/rng.js';
import './builtin.js';
import { COMMAND_ATTR, commandArgv, commandEvaluator, parseProtocolLine } from './command-evaluation.js';
import { getEvaluation } from './registry.js';

const node = process.execPath;
const work = mkdtempSync(join(tmpdir(), 'hwnas-cmd-test-'));

/** Writes a Node script into the test folder and returns its path. */
function script(name: string, body: string): string {
  const p = join(work, name);
  writeFileSync(p, body);
  return p;
}

function ctx(n = 0, attrs: Record<string, JsonValue> = {}, signal = new AbortController().signal): EvaluationContext {
  return {
    studyName: 'cmd-test',
    trialNumber: n,
    seed: 7,
    signal,
    setUserAttr: (k, v) => {
      attrs[k] = v;
    },
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls `cond` (the shared spawn-and-poll helper: a ceiling of 20 s on a quiet machine, scaled by the load). */
async function waitFor(cond: () => boolean, what: string): Promise<void> {
  await waitUntil(what, cond, { timeoutMs: 20_000 });
}

test('protocol lines: final, intermediate, bad JSON, bad values, log lines', () => {
  assert.deepEqual(parseProtocolLine('{"metrics": {"accuracy": 0.5}}'), { kind: 'final', metrics: { accuracy: 0.5 } });
  assert.deepEqual(parseProtocolLine(' {"step": 2, "metrics": {"accuracy": 0.25}} '), { kind: 'intermediate', step: 2, metrics: { accuracy: 0.25 } });
  assert.deepEqual(parseProtocolLine('epoch 1 loss 0.3'), { kind: 'other' });
  assert.deepEqual(parseProtocolLine('{"loss": 0.3}'), { kind: 'other' });
  assert.equal(parseProtocolLine('{"metrics": {"accuracy": 0.5}').kind, 'bad');
  assert.match((parseProtocolLine('{"metrics": {"accuracy": "high"}}') as { why: string }).why, /metric "accuracy" = "high": expected a finite number/);
  assert.equal(parseProtocolLine('{"step": -1, "metrics": {}}').kind, 'bad');
  assert.deepEqual(commandArgv('echo {dir}', "/tmp/a'b"), ['/bin/sh', '-c', "echo '/tmp/a'\\''b'"]);
  assert.deepEqual(commandArgv(['x', '--dir={dir}'], '/t'), ['x', '--dir=/t']);
});

test('generic command: the trial folder holds params and seed, the metrics line gives the values, env and {dir} are passed', async () => {
  const s = script(
    'square.mjs',
    `import { readFileSync } from 'node:fs';
const dir = process.argv[2];
const t = JSON.parse(readFileSync(dir + '/trial.json', 'utf8'));
if (process.env.HWNAS_TRIAL_DIR !== dir || process.env.EXTRA !== 'yes') process.exit(9);
console.log('training...');
console.log(JSON.stringify({ metrics: { f: t.params.x * t.params.x, seed: t.seed }, attrs: { note: 'ok' } }));`,
  );
  const f = commandEvaluator({ cmd: [node, s, '{dir}'], objectives: 'f:min,seed:max', env: { EXTRA: 'yes' }, workdir: work });
  const attrs: Record<string, JsonValue> = {};
  const r = await f({ x: 3 }, ctx(4, attrs));
  assert.deepEqual(r.values, [9, 7]);
  assert.equal(r.userAttrs?.note, 'ok');
  const dir = attrs[COMMAND_ATTR.trialDir] as string;
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')), { x: 3 });
  assert.equal(JSON.parse(readFileSync(join(dir, 'trial.json'), 'utf8')).trial, 4);
});

test('metrics.json in the folder is read when stdout has no metrics line; keep=failed removes a successful folder', async () => {
  const f = commandEvaluator({ cmd: `echo '{"metrics": {"accuracy": 0.75}}' > "$HWNAS_TRIAL_DIR/metrics.json"`, workdir: work, keep: 'failed' });
  const attrs: Record<string, JsonValue> = {};
  const r = await f({}, ctx(1, attrs));
  assert.deepEqual(r.values, [0.75]);
  const dir = attrs[COMMAND_ATTR.trialDir] as string;
  assert.match(dir, /\/cmd-test\/trial-1-[A-Za-z0-9]{6}$/);
  assert.equal(existsSync(dir), false);
});

test('two stores with a study of the same name: each trial gets its own fresh folder, a command that wrote nothing fails, kept folders survive', async () => {
  const root = mkdtempSync(join(work, 'same-name-'));
  // a kept trial folder of an earlier study of this name (the layout before fresh folders), with a checkpoint
  const kept = join(root, 'cmd-test', 'trial-0');
  mkdirSync(kept, { recursive: true });
  writeFileSync(join(kept, 'ckpt.pt'), 'weights');
  const started = join(root, 'a-started');
  const go = join(root, 'a-go');
  // trial 0 of study A: says it started, waits until B's trial 0 is over, exits 0 having printed and written nothing
  const a = commandEvaluator({ cmd: `touch '${started}'; while [ ! -e '${go}' ]; do sleep 0.05; done`, workdir: root });
  const b = commandEvaluator({ cmd: `echo '{"metrics": {"accuracy": 0.99}}' > "$HWNAS_TRIAL_DIR/metrics.json"`, workdir: root });
  const attrsA: Record<string, JsonValue> = {};
  const attrsB: Record<string, JsonValue> = {};
  const runA = a({ x: 1 }, ctx(0, attrsA));
  await waitFor(() => existsSync(started), "study A's command to start");
  assert.deepEqual((await b({ x: 2 }, ctx(0, attrsB))).values, [0.99]);
  writeFileSync(go, '');
  await assert.rejects(
    runA,
    (e: Error) => e instanceof EvaluationCommandError && /printed no \{"metrics": \{\.\.\.\}\} line and wrote no metrics.json/.test(e.message),
  );
  const dirA = attrsA[COMMAND_ATTR.trialDir] as string;
  const dirB = attrsB[COMMAND_ATTR.trialDir] as string;
  assert.notEqual(dirA, dirB);
  assert.deepEqual(JSON.parse(readFileSync(join(dirA, 'params.json'), 'utf8')), { x: 1 }, "B's start left A's folder alone");
  assert.equal(existsSync(join(dirA, 'metrics.json')), false);
  assert.deepEqual(JSON.parse(readFileSync(join(dirB, 'params.json'), 'utf8')), { x: 2 });
  assert.equal(readFileSync(join(kept, 'ckpt.pt'), 'utf8'), 'weights', 'the earlier study kept its checkpoint');
});

test('failures: non-zero exit, missing objective, no metrics, bad JSON: EvaluationCommandError with the stderr tail, stored as an attribute', async () => {
  const cases: [string, RegExp][] = [
    ['echo boom-from-trainer >&2; exit 3', /exited with code 3; stderr ends with:\nboom-from-trainer/],
    [`echo '{"metrics": {"loss": 1}}'`, /missing objective\(s\) accuracy/],
    ['echo nothing; echo warn >&2', /printed no \{"metrics": \{\.\.\.\}\} line and wrote no metrics.json/],
    [`echo '{"metrics": {"accuracy": 0.5}'`, /bad metrics output: line .* is not valid JSON/],
  ];
  for (const [cmd, re] of cases) {
    const attrs: Record<string, JsonValue> = {};
    await assert.rejects(commandEvaluator({ cmd, workdir: work })({}, ctx(2, attrs)), (e: Error) => e instanceof EvaluationCommandError && re.test(e.message));
    if (cmd.includes('>&2')) assert.match(String(attrs[COMMAND_ATTR.stderr]), /boom-from-trainer|warn/);
  }
  await assert.rejects(commandEvaluator({ cmd: ['/no/such/trainer'], workdir: work })({}, ctx(3)), /could not start: command not found or not executable/);
  await assert.rejects(
    commandEvaluator({ cmd: 'true', workdir: script('not-a-folder', '') })({}, ctx(3)),
    /cannot create a trial folder in ".*not-a-folder\/cmd-test" \(ENOTDIR.*\); expected options.workdir .* to be a writable folder/,
  );
});

test('a timeout kills the whole process group, background children included', async () => {
  const pidFile = join(work, 'timeout-pids');
  const f = commandEvaluator({ cmd: `sleep 600 & echo $! > ${pidFile}; sleep 600`, timeoutS: 1, graceS: 1, workdir: work });
  await assert.rejects(f({}, ctx(5)), /timed out after 1 s \(process group killed\)/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => !alive(pid), `background sleep ${pid} to die`);
});

for (const how of ['SIGKILL', 'SIGINT'] as const) {
  test(`${how} to the hwnas process leaves no orphan process of the command`, async () => {
    const pidFile = join(work, `orphan-${how}`);
    const parent = spawnNode(work, fileURLToPath(new URL('./testing/command-parent.js', import.meta.url)), [
      JSON.stringify({ cmd: `sleep 600 & echo $! > ${pidFile}; sleep 600`, workdir: work, graceS: 1 }),
    ]);
    await parent.waitFor('the command to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', { timeoutMs: 20_000 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(pid));
    parent.child.kill(how);
    const out = (await parent.done).stdout;
    await waitFor(() => !alive(pid), `the command's child ${pid} to die after ${how} of its hwnas process`);
    if (how === 'SIGINT') assert.match(out, /failed command .* stopped: the study was interrupted/);
  });
}

test('space mode: model.onnx runs in onnxruntime with architecture.json shapes; hwnas fills latency_ms from the target', async () => {
  const s = script(
    'arch.mjs',
    `import { readFileSync } from 'node:fs';
const a = JSON.parse(readFileSync(process.env.HWNAS_TRIAL_DIR + '/architecture.json', 'utf8'));
console.log(JSON.stringify({ metrics: { accuracy: a.blocks.width } }));`,
  );
  const space = getArchSpace('mbv2');
  const params = space.space.sample(new Rng(5));
  const a = space.fromParams(params) as { inputSize: number; width: number };
  const attrs: Record<string, JsonValue> = {};
  const f = commandEvaluator({ cmd: [node, s], space: 'mbv2', target: 'bitfusion-edge', objectives: 'accuracy:max,latency_ms:min', workdir: work });
  const r = await f(params, ctx(6, attrs));
  const target = getTarget('bitfusion-edge');
  const expected = archCost(space, params, target).latencyMs;
  assert.equal(r.values[0], a.width);
  assert.ok(Math.abs((r.values[1] as number) - expected) <= 1e-12 * expected);
  const dir = attrs[COMMAND_ATTR.trialDir] as string;
  const arch = JSON.parse(readFileSync(join(dir, 'architecture.json'), 'utf8'));
  assert.equal(arch.arch, space.format(a));
  const n = a.inputSize;
  assert.deepEqual(arch.inputShape, [1, n, n]);
  const session = await createSession(readFileSync(join(dir, 'model.onnx')));
  const y = await runOnnx(session, new Float32Array(2 * n * n).fill(0.5), 2);
  assert.equal(y.length, 2 * arch.classes);
  assert.ok(y.every(Number.isFinite));
  assert.ok(JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')).default);
});

test('intermediate values reach the median pruner: bad curves are stopped, their commands killed, and the trials stored as pruned', async () => {
  // value at every step = x: trials below the median of the complete ones are pruned at step 0
  const s = script(
    'curve.mjs',
    `import { readFileSync } from 'node:fs';
const t = JSON.parse(readFileSync(process.env.HWNAS_TRIAL_DIR + '/trial.json', 'utf8'));
for (let step = 0; step < 3; step++) console.log(JSON.stringify({ step, metrics: { accuracy: t.params.x } }));
console.log(JSON.stringify({ metrics: { accuracy: t.params.x } }));`,
  );
  const store = new MemoryStore();
  const r = await runStudy({
    store,
    studyName: 'prune',
    space: new SearchSpace({ x: { kind: 'float', low: 0, high: 1 } }),
    objectives: [{ name: 'accuracy', direction: 'maximize' }],
    strategy: new RandomSearch(),
    evaluate: commandEvaluator({ cmd: [node, s], workdir: work, keep: 'none' }),
    nTrials: 12,
    seed: 3,
    pruner: medianPruner({ startupTrials: 3 }),
  });
  const complete = r.trials.filter((t) => t.state === 'complete');
  const pruned = r.trials.filter((t) => t.state === 'pruned');
  assert.equal(complete.length + pruned.length, 12);
  assert.ok(pruned.length > 0, 'some trial is pruned');
  for (const t of pruned) {
    const x = t.params.x as number;
    const before = complete.filter((c) => c.number < t.number).map((c) => c.params.x as number);
    assert.ok(before.length >= 3);
    const sorted = [...before].sort((a, b) => a - b);
    const m =
      sorted.length % 2 ? (sorted[sorted.length >> 1] as number) : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
    assert.ok(x < m, `pruned trial x=${x} is below the median ${m}`);
    assert.deepEqual([...intermediateValues(t).keys()], [0], 'stopped at its first step');
    assert.deepEqual(t.values, [x]);
  }
  for (const t of complete) assert.deepEqual([...intermediateValues(t).keys()], [0, 1, 2]);
});

test('model mode (quantization): model.onnx and the trial policy are written; cost and budget constraint come from the target', async () => {
  const space = getEvaluation('policy-cost').defaultSpace?.({}) as SearchSpace;
  const params = Object.fromEntries(space.names.map((n) => [n, 4]));
  const f = commandEvaluator({
    cmd: `test -s {dir}/model.onnx && test -s {dir}/policy.json && grep -q '"size_kib"' {dir}/trial.json && echo '{"metrics": {"accuracy": 0.9}}'`,
    model: 'zoo:mnist-cnn',
    target: 'bitfusion-edge',
    budget: { kind: 'latency', value: 0.01 },
    // hwnas fills the size in KiB under its true name, and under the old name size_kb (the same value)
    objectives: 'accuracy:max,size_kib:min,size_kb:min',
    workdir: work,
  });
  const r = await f(params, ctx(9));
  const coster = new PolicyCoster(zooGraph('mnist-cnn'), getTarget('bitfusion-edge'));
  const policy = r.userAttrs?.policy as unknown as PrecisionPolicy;
  assert.deepEqual(
    Object.values(policy.layers),
    [...Array(3)].map(() => ({ weightBits: 4, actBits: 4 })),
  );
  const { latency: lat, size } = coster.policyCost(policy);
  assert.deepEqual(r.values, [0.9, size / 1024, size / 1024]);
  assert.ok(Math.abs((r.constraints?.[0] as number) - (lat - 0.01 * (1 + 1e-9))) < 1e-12);
});

test('trial folders are grouped by study uid: two studies of one name in two stores keep theirs apart, trial.json names the uid', async () => {
  const root = mkdtempSync(join(work, 'by-uid-'));
  const f = commandEvaluator({ cmd: `echo '{"metrics": {"accuracy": 0.5}}'`, workdir: root });
  const space = new SearchSpace({ x: { kind: 'float', low: 0, high: 1 } });
  const objectives = [{ name: 'accuracy', direction: 'maximize' }] as const;
  for (const uid of ['uid-a', 'uid-b']) {
    const store = new MemoryStore();
    store.createStudy({ name: 'same', objectives: [...objectives], space: space.toJSON(), userAttrs: { uid } });
    const r = await runStudy({ store, studyName: 'same', space, objectives: [...objectives], strategy: new RandomSearch(), evaluate: f, nTrials: 2, seed: 1 });
    for (const t of r.trials) {
      const dir = t.userAttrs[COMMAND_ATTR.trialDir] as string;
      assert.match(dir, new RegExp(`/same-${uid}/trial-${t.number}-[A-Za-z0-9]{6}$`));
      assert.equal(JSON.parse(readFileSync(join(dir, 'trial.json'), 'utf8')).studyUid, uid);
    }
  }
  assert.deepEqual(readdirSync(root).sort(), ['same-uid-a', 'same-uid-b']);
});
