/**
 * The `command` evaluation: a user's own program (any language, any machine with a worker) evaluates
 * each trial. Per trial hwnas writes a fresh trial folder, `<workdir>/<study>-<study uid>/trial-<n>-<random>` (see
 * docs/evaluators.md, protocol version 1):
 * - `trial.json`: study, its uid, trial number, seed, parameters, objectives, the files below;
 * - `params.json`: the point of the search space;
 * - `architecture.json` (with option `space`): the architecture (string, parameters, and for
 *   MobileNetV2-style spaces the decoded blocks and the skeleton), input shape and classes;
 * - `model.onnx` (with `space` or `model`): the candidate as a float ONNX model (seeded initial weights
 *   for an architecture; the model's own weights for a quantization study);
 * - `policy.json` (with `space` or `model`): the precision policy of the candidate;
 * then runs the command (argv, or a shell line when `cmd` is a string; `{dir}` in it becomes the
 * folder, also given as HWNAS_TRIAL_DIR) and reads the metrics from the last stdout line
 * `{"metrics": {...}}` or from `metrics.json` in the folder. Lines `{"step": n, "metrics": {...}}` are
 * intermediate values: stored on the trial (`hwnas:intermediate`) and handed to the study's pruner,
 * which may stop the command (the trial is then 'pruned').
 * Objectives the command does not report but hwnas can cost (`latency_ms`, `energy_mj`, `size_kib`, `bops`, with
 * option `target`; `size_kb`, the name before session 56, is the same KiB value, kept for stored studies and scripts) are filled in by hwnas; a quantization study (`model`, `budget`) also
 * gets its constraint (cost - budget).
 * Failures (non-zero exit, timeout, no metrics, bad JSON, a missing objective) fail the trial with
 * the stderr tail in `command:stderr` and in the error message.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, EvaluationCommandError } from '../errors.js';
import { defaultPolicy, type PrecisionPolicy, policyPreset } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Model } from '../ir/types.js';
import { parseObjectives } from '../nas/objectives.js';
import { loadModelSpec } from '../onnx/model-source.js';
import { quantLayerInfos } from '../quant/cost.js';
import { quantSpace } from '../quant/strategies/problem.js';
import type { SearchSpace } from '../search/space.js';
import { getArchSpace } from '../search/spaces/registry.js';
import type { ArchSpace } from '../search/spaces/types.js';
import type { JsonValue, Objective, Params } from '../search/types.js';
import type { EvaluationContext, EvaluationResult, Evaluator } from '../study/run-study.js';
import { studyFolderName } from '../study/study-folder.js';
import { seedSchema } from '../util/seed.js';
import { type CommandOutcome, runCommand } from './command-process.js';
import { registerEvaluation } from './registry.js';
import { parseWith } from './zod-error.js';

/** Version of the trial-folder protocol written in trial.json. */
export const COMMAND_PROTOCOL_VERSION = 1;

/** Trial attribute names the command evaluation writes. */
export const COMMAND_ATTR = {
  stderr: 'command:stderr',
  trialDir: 'command:trial_dir',
  intermediate: 'hwnas:intermediate',
} as const;

/** Metrics hwnas computes itself when the options name a target. */
const COST_METRICS = ['latency_ms', 'energy_mj', 'size_kib', 'size_kb', 'bops'] as const;

const optionsSchema = z
  .object({
    cmd: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    timeoutS: z
      .number()
      .positive()
      .max(30 * 86_400)
      .optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    objectives: z.string().min(1).optional(),
    space: z.string().min(1).optional(),
    inChannels: z.number().int().min(1).max(64).optional(),
    classes: z.number().int().min(1).max(100_000).optional(),
    inputSize: z.number().int().min(1).max(4096).optional(),
    dataset: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    target: z.string().min(1).optional(),
    policy: z.string().min(1).optional(),
    maxLatencyMs: z.number().positive().optional(),
    budget: z
      .object({ kind: z.enum(['latency', 'energy', 'size', 'bops']), value: z.number().positive() })
      .strict()
      .optional(),
    channel: z.record(z.string(), z.any()).optional(),
    seed: seedSchema.optional(),
    workdir: z.string().min(1).optional(),
    keep: z.enum(['all', 'failed', 'none']).optional(),
    graceS: z.number().min(0).max(600).optional(),
  })
  .strict();

/** Options of the `command` evaluation. */
export type CommandEvaluationOptions = z.infer<typeof optionsSchema>;

function parse(options: Readonly<Record<string, unknown>>): CommandEvaluationOptions {
  const o = parseWith(optionsSchema, options, "evaluator 'command' options");
  if (o.space !== undefined && o.model !== undefined)
    throw new ConfigError(
      `evaluator 'command' options: space ${JSON.stringify(o.space)} and model ${JSON.stringify(o.model)}: give space (architecture search) or model (quantization), not both`,
    );
  if (o.budget !== undefined && o.model === undefined)
    throw new ConfigError("evaluator 'command' options.budget: a budget needs options.model (a quantization study) and options.target");
  if ((o.budget !== undefined || o.policy !== undefined || o.maxLatencyMs !== undefined) && o.target === undefined)
    throw new ConfigError("evaluator 'command' options: budget, policy and maxLatencyMs are costed on a target; give options.target too");
  if (o.maxLatencyMs !== undefined && o.space === undefined)
    throw new ConfigError("evaluator 'command' options.maxLatencyMs constrains architectures: give options.space (a quantization study takes options.budget)");
  return o;
}

const objectivesOf = (o: CommandEvaluationOptions): Objective[] => parseObjectives(o.objectives ?? 'accuracy:max');

/** The argv of the command for one trial folder: a string runs in /bin/sh; `{dir}` becomes the folder. */
export function commandArgv(cmd: string | readonly string[], dir: string): string[] {
  if (typeof cmd === 'string') return ['/bin/sh', '-c', cmd.replaceAll('{dir}', `'${dir.replaceAll("'", "'\\''")}'`)];
  return cmd.map((a) => a.replaceAll('{dir}', dir));
}

/** One line of the command's stdout, as the protocol reads it. */
export type ProtocolLine =
  | { readonly kind: 'final'; readonly metrics: Readonly<Record<string, number>>; readonly attrs?: Readonly<Record<string, JsonValue>> }
  | { readonly kind: 'intermediate'; readonly step: number; readonly metrics: Readonly<Record<string, number>> }
  | { readonly kind: 'bad'; readonly why: string }
  | { readonly kind: 'other' };

/** Reads a protocol line: `{"metrics": {...}}` (final, optional `attrs`), `{"step": n, "metrics": {...}}` (intermediate); anything else is a log line. */
export function parseProtocolLine(line: string): ProtocolLine {
  const t = line.trim();
  if (!t.startsWith('{') || !t.includes('"metrics"')) return { kind: 'other' };
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return { kind: 'bad', why: `line ${JSON.stringify(t.slice(0, 200))} is not valid JSON (${(e as Error).message})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('metrics' in v)) return { kind: 'other' };
  const o = v as { metrics: unknown; step?: unknown; attrs?: unknown };
  const m = o.metrics;
  if (m === null || typeof m !== 'object' || Array.isArray(m))
    return { kind: 'bad', why: `"metrics" in ${JSON.stringify(t.slice(0, 200))}: expected an object of numbers` };
  const metrics: Record<string, number> = {};
  for (const [k, x] of Object.entries(m)) {
    if (typeof x !== 'number' || !Number.isFinite(x))
      return { kind: 'bad', why: `metric ${JSON.stringify(k)} = ${JSON.stringify(x)}: expected a finite number` };
    metrics[k] = x;
  }
  if (o.step !== undefined) {
    if (typeof o.step !== 'number' || !Number.isInteger(o.step) || o.step < 0)
      return { kind: 'bad', why: `"step" = ${JSON.stringify(o.step)}: expected an integer >= 0` };
    return { kind: 'intermediate', step: o.step, metrics };
  }
  if (o.attrs !== undefined && (o.attrs === null || typeof o.attrs !== 'object' || Array.isArray(o.attrs)))
    return { kind: 'bad', why: `"attrs" = ${JSON.stringify(o.attrs)}: expected an object` };
  return { kind: 'final', metrics, ...(o.attrs ? { attrs: o.attrs as Record<string, JsonValue> } : {}) };
}

/** The candidate hwnas hands to the command, with its costs on the target. */
interface Candidate {
  readonly files: Record<string, string>;
  readonly costs: Record<string, number>;
  readonly constraints?: number[];
  readonly attrs: Record<string, JsonValue>;
}

/** Builds the candidate files of a trial (model, policy, architecture) and its hwnas-side costs. */
type CandidateWriter = (params: Params, dir: string, seed: number, trialNumber: number) => Promise<Candidate>;

async function writeOnnx(model: Model, path: string): Promise<void> {
  const { exportOnnx } = await import('../onnx/export.js');
  // dynamic batch as before: the user's command picks its own batch, whatever an imported file fixed
  writeFileSync(path, exportOnnx(model, { batch: 'dynamic' }));
}

function archWriter(o: CommandEvaluationOptions, space: ArchSpace, target: HardwareTarget | undefined): CandidateWriter {
  const fallback = o.policy !== undefined ? policyPreset(o.policy) : undefined;
  return async (params, dir, seed) => {
    const [{ initWeights }, { Rng }, { archPolicy, archCost }] = await Promise.all([
      import('../ir/init.js'),
      import('../util/rng.js'),
      import('../nas/cost.js'),
    ]);
    const a = space.fromParams(params);
    const graphOpts = {
      ...(o.inChannels !== undefined ? { inChannels: o.inChannels } : {}),
      ...(o.classes !== undefined ? { classes: o.classes } : {}),
      ...(o.inputSize !== undefined ? { inputSize: o.inputSize } : {}),
    };
    const graph = space.graph(a, graphOpts);
    const input = graph.nodes[0]?.op === 'input' ? [...graph.nodes[0].shape] : null;
    const fc = graph.nodes.at(-1);
    const policy: PrecisionPolicy = archPolicy(space, a, graph, fallback ?? (target ? defaultPolicy(target) : policyPreset('fp32')));
    await writeOnnx({ graph, weights: initWeights(graph, new Rng(seed)) }, join(dir, 'model.onnx'));
    const arch = space.format(a);
    const architecture: Record<string, JsonValue> = {
      space: space.name,
      arch,
      params: params as Record<string, JsonValue>,
      ...(space.options || space.base?.options
        ? { blocks: a as unknown as JsonValue, skeleton: (space.options ?? space.base?.options) as unknown as JsonValue }
        : {}),
      inputShape: input,
      classes: o.classes ?? (space.options ?? space.base?.options)?.classes ?? 10,
      ...(fc ? { outputNode: fc.name } : {}),
      // the data set `hwnas nas --dataset` named, for the command to load (hwnas only read its shape and classes)
      ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
    };
    writeFileSync(join(dir, 'architecture.json'), `${JSON.stringify(architecture, null, 1)}\n`);
    writeFileSync(join(dir, 'policy.json'), `${JSON.stringify(policy, null, 1)}\n`);
    const costs: Record<string, number> = {};
    if (target) {
      // the network written above (its channels, size and classes), not the space's default input
      const c = archCost(space, params, target, { policy, graph: graphOpts });
      costs.latency_ms = c.latencyMs;
      if (Number.isFinite(c.energyMj)) costs.energy_mj = c.energyMj;
    }
    return {
      files: { model: 'model.onnx', policy: 'policy.json', architecture: 'architecture.json' },
      costs,
      ...(o.maxLatencyMs !== undefined && costs.latency_ms !== undefined ? { constraints: [costs.latency_ms - o.maxLatencyMs] } : {}),
      attrs: { arch, ...(target ? { target: target.name } : {}) },
    };
  };
}

/**
 * The default space of a quantization study (`model`): per conv/dense layer a weight width (`<layer>.w`) and an
 * input-activation width (`<layer>.a`), each of 2..8 bits the target runs, as `hwnas quantize --evaluator command`
 * searches. Needs `target` (the policy, policy.json, is written and costed on it).
 */
function modelBitsSpace(o: CommandEvaluationOptions): SearchSpace {
  if (o.target === undefined)
    throw new ConfigError(
      `evaluator 'command' options: model ${JSON.stringify(o.model)} without target: a quantization study's candidates are precision policies costed on a target; add "target" (e.g. "bitfusion-edge") or give a top-level "space"`,
    );
  const target = getTarget(o.target);
  const bits = [2, 3, 4, 5, 6, 7, 8];
  const wb = bits.filter((b) => target.supportedBits.weight.includes(b));
  const ab = bits.filter((b) => target.supportedBits.act.includes(b));
  if (wb.length === 0 || ab.length === 0)
    throw new ConfigError(
      `evaluator 'command' options: target '${target.name}' runs no width of 2..8 bits for weights or activations; give a top-level "space"`,
    );
  // the layers and parameter names quantize's own bits space has
  return quantSpace({ layers: quantLayerInfos(loadModelSpec(o.model as string, o.seed ?? 0).graph), weightBits: wb, actBits: ab });
}

function modelWriter(o: CommandEvaluationOptions, target: HardwareTarget | undefined): CandidateWriter {
  let ready: Promise<{ model: Model; coster?: import('../quant/cost.js').PolicyCoster }> | undefined;
  return async (params, dir, _seed, trialNumber) => {
    ready ??= (async () => {
      const { loadModelSpec } = await import('../onnx/model-source.js');
      const model = loadModelSpec(o.model as string, o.seed ?? 0);
      if (!target) return { model };
      if (target.prepare) await target.prepare(model);
      const { PolicyCoster } = await import('../quant/cost.js');
      return { model, coster: new PolicyCoster(model.graph, target) };
    })();
    const { model, coster } = await ready;
    const onnx = join(dir, 'model.onnx');
    await writeOnnx(model, onnx);
    const files: Record<string, string> = { model: 'model.onnx' };
    const costs: Record<string, number> = {};
    const attrs: Record<string, JsonValue> = {};
    let constraints: number[] | undefined;
    if (coster) {
      const { candidatePolicy, costAttrs } = await import('../quant/evaluate.js');
      const { costOf } = await import('../quant/cost.js');
      const { policy, channelBits } = candidatePolicy(coster, params, o.channel as never, `trial-${trialNumber}`);
      writeFileSync(join(dir, 'policy.json'), `${JSON.stringify(policy, null, 1)}\n`);
      files.policy = 'policy.json';
      if (Object.keys(channelBits).length) {
        writeFileSync(join(dir, 'channel-bits.json'), `${JSON.stringify(channelBits)}\n`);
        files.channelBits = 'channel-bits.json';
      }
      const c = coster.policyCost(policy);
      costs.latency_ms = c.latency;
      if (Number.isFinite(c.energy)) costs.energy_mj = c.energy;
      // packed size in KiB (1024 bytes): `size_kib` says so; `size_kb` (its name until session 56) is the same value,
      // kept for the studies stored with it as an objective and the scripts that read it
      costs.size_kib = c.size / 1024;
      costs.size_kb = costs.size_kib;
      costs.bops = c.bops;
      Object.assign(attrs, { policy: policy as unknown as JsonValue, ...costAttrs(c), target: coster.target.name });
      if (o.budget) {
        constraints = [costOf(c, o.budget.kind) - o.budget.value * (1 + 1e-9)];
        attrs.budget = { kind: o.budget.kind, value: o.budget.value };
      }
    }
    return { files, costs, attrs, ...(constraints ? { constraints } : {}) };
  };
}

const plainWriter: CandidateWriter = async () => ({ files: {}, costs: {}, attrs: {} });

/** A readable reason for a failed run, with the stderr tail. */
function failure(what: string, out: CommandOutcome): EvaluationCommandError {
  const tail = out.stderrTail.trim().split('\n').slice(-20).join('\n');
  return new EvaluationCommandError(`${what}${tail ? `; stderr ends with:\n${tail}` : ' (stderr is empty)'}`);
}

/**
 * Creates the folder of one trial attempt: `<root>/<study>-<study uid>/trial-<n>-<6 random characters>` (without a
 * uid, `<root>/<study>/...`), made by `mkdtemp` (the name is new and created atomically). Study names are unique only
 * within a store, and trial numbers only within a study, so a folder named by them alone would be shared with a study
 * of the same name in another store (or an earlier one of this store): its start would delete the other's running
 * trial, and a command that wrote nothing would be given the other's `metrics.json`. A fresh folder holds only what
 * this attempt wrote, and no run ever deletes a folder it did not create; the uid groups a study's folders apart from
 * those of another study of the same name (`hwnas study show` prints it).
 */
function trialFolder(root: string, studyName: string, studyUid: string | undefined, trialNumber: number): string {
  const studyDir = join(root, studyFolderName(studyName, studyUid));
  try {
    mkdirSync(studyDir, { recursive: true });
    return mkdtempSync(join(studyDir, `trial-${trialNumber}-`));
  } catch (e) {
    throw new ConfigError(
      `evaluator 'command': cannot create a trial folder in ${JSON.stringify(studyDir)} (${(e as Error).message}); expected options.workdir (default $TMPDIR/hwnas-trials) to be a writable folder`,
    );
  }
}

/** Builds the `command` evaluator (exported for tests and benches). */
export function commandEvaluator(options: Readonly<Record<string, JsonValue>>): Evaluator {
  const o = parse(options);
  const objectives = objectivesOf(o);
  const target = o.target !== undefined ? getTarget(o.target) : undefined;
  const space = o.space !== undefined ? getArchSpace(o.space) : undefined;
  const writer = space ? archWriter(o, space, target) : o.model !== undefined ? modelWriter(o, target) : plainWriter;
  const root = resolve(o.workdir ?? join(tmpdir(), 'hwnas-trials'));
  const keep = o.keep ?? 'all';
  const timeoutMs = (o.timeoutS ?? 3600) * 1000;
  const cwd = resolve(o.cwd ?? process.cwd());
  return async (params: Params, ctx: EvaluationContext): Promise<EvaluationResult> => {
    const dir = trialFolder(root, ctx.studyName, ctx.studyUid, ctx.trialNumber);
    let ok = false;
    try {
      const cand = await writer(params, dir, ctx.seed, ctx.trialNumber);
      const manifest = {
        protocol: COMMAND_PROTOCOL_VERSION,
        study: ctx.studyName,
        ...(ctx.studyUid !== undefined ? { studyUid: ctx.studyUid } : {}),
        trial: ctx.trialNumber,
        seed: ctx.seed,
        params,
        objectives,
        costs: cand.costs,
        files: { params: 'params.json', ...cand.files },
      };
      writeFileSync(join(dir, 'params.json'), `${JSON.stringify(params, null, 1)}\n`);
      writeFileSync(join(dir, 'trial.json'), `${JSON.stringify(manifest, null, 1)}\n`);
      if (keep !== 'none') ctx.setUserAttr(COMMAND_ATTR.trialDir, dir);

      let final: ProtocolLine & { kind: 'final' } = { kind: 'final', metrics: {} };
      let sawFinal = false;
      let bad: string | undefined;
      const intermediate: Record<string, number> = {};
      let lastStep: { step: number; metrics: Readonly<Record<string, number>> } | undefined;
      let prunedAt: { step: number; metrics: Readonly<Record<string, number>> } | undefined;
      let reportError: unknown;
      const decisions: Promise<boolean>[] = [];
      const monitor = objectives[0] as Objective;
      const out = await runCommand({
        argv: commandArgv(o.cmd, dir),
        cwd,
        env: {
          ...process.env,
          ...(o.env ?? {}),
          HWNAS_TRIAL_DIR: dir,
          HWNAS_TRIAL: String(ctx.trialNumber),
          HWNAS_SEED: String(ctx.seed),
          HWNAS_STUDY: ctx.studyName,
        },
        timeoutMs,
        graceMs: (o.graceS ?? 5) * 1000,
        signal: ctx.signal,
        onLine: (line) => {
          const p = parseProtocolLine(line);
          if (p.kind === 'bad') bad ??= p.why;
          else if (p.kind === 'final') {
            final = p;
            sawFinal = true;
          } else if (p.kind === 'intermediate') {
            lastStep = p;
            const v = p.metrics[monitor.name];
            if (v === undefined) return undefined;
            intermediate[String(p.step)] = v;
            // with a pruner the study loop stores the values itself; without, they travel with the result
            if (!ctx.report) ctx.setUserAttr(COMMAND_ATTR.intermediate, { ...intermediate });
            else {
              const step = p;
              const stop = ctx.report(p.step, v);
              if (stop === true) prunedAt = step;
              else if (stop instanceof Promise) {
                // a worker thread or Redis worker: the decision comes back later, the command runs on meanwhile;
                // an invalid report (the study's ConfigError) fails the trial as in the study's process
                const decided = stop.then(
                  (yes) => {
                    if (yes) prunedAt ??= step;
                    return yes;
                  },
                  (e: unknown) => {
                    reportError ??= e;
                    return true;
                  },
                );
                decisions.push(decided);
                return decided;
              }
              return stop;
            }
          }
          return undefined;
        },
      });
      await Promise.all(decisions); // answers still travelling when the command ended (they cannot reject)
      if (reportError !== undefined) throw reportError;
      const pruned = out.stoppedBy === 'caller' && prunedAt !== undefined;
      if (pruned) lastStep = prunedAt;
      const stderrTail = out.stderrTail.trim() ? out.stderrTail.slice(-2000) : undefined;
      const stderrAttr: Record<string, JsonValue> = stderrTail !== undefined ? { [COMMAND_ATTR.stderr]: stderrTail } : {};
      const fail = (e: EvaluationCommandError): never => {
        if (stderrTail !== undefined) ctx.setUserAttr(COMMAND_ATTR.stderr, stderrTail);
        throw e;
      };
      if (pruned) {
        ok = true;
        const m: Record<string, number> = { ...cand.costs, ...(lastStep?.metrics ?? {}) };
        const values = objectives.map((x) => m[x.name]);
        return {
          values: values.every((v) => v !== undefined) ? (values as number[]) : [],
          state: 'pruned',
          userAttrs: { ...cand.attrs, 'hwnas:pruned_at_step': lastStep?.step ?? 0, ...stderrAttr },
        };
      }
      const argText = typeof o.cmd === 'string' ? o.cmd : JSON.stringify(o.cmd);
      if (out.spawnError !== null) fail(failure(`command ${argText} could not start: ${out.spawnError}`, out));
      if (out.stoppedBy === 'timeout') fail(failure(`command ${argText} timed out after ${timeoutMs / 1000} s (process group killed)`, out));
      if (out.stoppedBy === 'abort') fail(failure(`command ${argText} stopped: the study was interrupted`, out));
      if (out.code !== 0) fail(failure(`command ${argText} exited with ${out.signal !== null ? `signal ${out.signal}` : `code ${out.code}`}`, out));
      if (bad !== undefined) fail(failure(`command ${argText}: bad metrics output: ${bad}`, out));
      if (!sawFinal) {
        let text: string | undefined;
        try {
          text = readFileSync(join(dir, 'metrics.json'), 'utf8');
        } catch {
          fail(failure(`command ${argText} printed no {"metrics": {...}} line and wrote no metrics.json in ${dir}`, out));
        }
        const p = parseProtocolLine((text as string).replace(/\s*\n\s*/g, ' '));
        if (p.kind !== 'final') fail(failure(`${join(dir, 'metrics.json')}: ${p.kind === 'bad' ? p.why : 'expected {"metrics": {...}}'}`, out));
        final = p as ProtocolLine & { kind: 'final' };
      }
      const metrics: Record<string, number> = { ...cand.costs, ...final.metrics };
      const missing = objectives.filter((x) => metrics[x.name] === undefined).map((x) => x.name);
      if (missing.length > 0)
        fail(
          failure(
            `command ${argText} reported metrics ${JSON.stringify(Object.keys(final.metrics))}; missing objective(s) ${missing.join(', ')}${
              target ? '' : ` (${COST_METRICS.join(', ')} are computed by hwnas only with options.target)`
            }`,
            out,
          ),
        );
      ok = true;
      return {
        values: objectives.map((x) => metrics[x.name] as number),
        ...(cand.constraints ? { constraints: cand.constraints } : {}),
        userAttrs: { ...cand.attrs, ...metrics, ...(final.attrs ?? {}), ...stderrAttr },
      };
    } finally {
      if (keep === 'none' || (keep === 'failed' && ok)) rmSync(dir, { recursive: true, force: true });
    }
  };
}

registerEvaluation({
  name: 'command',
  description:
    'an external command evaluates each trial from a folder with the candidate (model.onnx, policy.json, architecture.json, trial.json) and prints {"metrics": {...}} (options: cmd (required), timeoutS = 3600, env, objectives = \'accuracy:max\', space | model, target, budget, workdir, keep; see docs/evaluators.md)',
  objectives: (options) => objectivesOf(parse(options)),
  defaultSpace(options) {
    const o = parse(options);
    if (o.space !== undefined) return getArchSpace(o.space).space;
    if (o.model !== undefined) return modelBitsSpace(o);
    throw new ConfigError(
      'evaluator \'command\' needs options.space (an architecture space, e.g. "mbv2") or options.model with options.target (a quantization study: per-layer bits), or a top-level "space" in the config',
    );
  },
  // with options.space the points are architectures: `hwnas study create` wraps a generic strategy in the
  // repeat filter, as `hwnas nas --evaluator command` does, so the user's trainer never runs one twice
  archSpace(options) {
    const o = parse(options);
    if (o.space === undefined) {
      if (o.model !== undefined) return undefined; // a quantization study: its points are policies
      throw new ConfigError("evaluator 'command' searches architectures only with options.space");
    }
    return getArchSpace(o.space).name;
  },
  create: commandEvaluator,
});
