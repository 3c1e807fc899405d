/**
 * The what-if page's model of the world, without the DOM: models (an ONNX file's bytes or a zoo spec),
 * targets from embedded target data files with what-if parameter overrides, precision policies, and the
 * complexity report. Every check is the CLI's own: `zooGraph` for zoo specs, `importOnnx` for files,
 * `targetFromFile` + the target's zod schema for parameters (as `hwnas cost --target name?key=value`),
 * `parsePolicy` for policies (as `--policy`), `complexityReport` / `compareReports` for the numbers (as
 * `hwnas cost --json` / `--compare`). Nothing here touches the file system, so it runs in the browser
 * bundle (src/web/client) and in Node tests alike.
 */
import { ConfigError } from '../errors.js';
import { embedTargetFile, type ParamValue, parseTargetFile, type TargetFile } from '../hardware/data.js';
import { costDefaultPolicy, type LayerPrecision, type PrecisionPolicy, parsePolicy } from '../hardware/precision.js';
import { targetFromFile } from '../hardware/target-file.js';
import type { HardwareTarget } from '../hardware/types.js';
import type { Graph } from '../ir/types.js';
import { quantizableLayers } from '../ir/workload.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { importOnnxWithPrecision } from '../onnx/import.js';

/**
 * Largest ONNX file the page parses (bytes): 64 MiB, the same limit as `POST /api/cost`. The whole file
 * is decoded on the page's main thread (weights included); above this a tab would stall for seconds and
 * hold several copies of the weights. ResNet-50 (98 MB float32) and VGG-16 (553 MB) are refused with a
 * message that names `hwnas cost` and the zoo (`zoo:resnet50`, `zoo:vgg16`: same layers, no file).
 */
export const MAX_ONNX_BYTES = 64 * 1024 * 1024;

/** The data the page embeds: every analytical preset's target file (and `tech-45nm`, their energy table). */
export interface WhatIfData {
  /** Raw JSON text of each target file, by name. */
  readonly targetFiles: Readonly<Record<string, string>>;
  /** Names of the targets offered in the chooser (analytical presets), in registry order. */
  readonly targets: readonly string[];
  /** Zoo models: name and one-line description. */
  readonly zoo: ReadonlyArray<{ readonly name: string; readonly description: string }>;
}

/** One editable parameter of a target, as the page shows it. */
export interface TargetParam {
  readonly key: string;
  readonly value: ParamValue;
  readonly source: string;
}

/** Parses and embeds the target files of the page's data (their `tech-45nm` too); returns them by name. */
export function loadWhatIfTargets(data: WhatIfData): Map<string, TargetFile> {
  const out = new Map<string, TargetFile>();
  for (const [name, text] of Object.entries(data.targetFiles)) {
    const f = parseTargetFile(text, `targets/${name}.json`);
    embedTargetFile(f);
    out.set(name, f);
  }
  return out;
}

/** The parameters of a target file, in file order. */
export function targetParams(file: TargetFile): TargetParam[] {
  return Object.entries(file.params).map(([key, p]) => ({ key, value: p.value, source: p.source }));
}

/** How a parameter value is written in a form field (and in `name?key=value`): maps as JSON. */
export function paramText(v: ParamValue): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * The target of `file` with the edited parameter texts: fields equal to the file's value are not
 * overrides; the rest go through the CLI's path (`paramValues` converts the text, the target's zod
 * schema checks it), so a bad value gives the message `hwnas cost --target name?key=value` gives.
 */
export function buildTarget(file: TargetFile, edited: Readonly<Record<string, string>> = {}): { target: HardwareTarget; spec: string } {
  const overrides: Record<string, string> = {};
  for (const [k, text] of Object.entries(edited)) {
    const p = file.params[k];
    if (p && paramText(p.value) === text) continue;
    overrides[k] = text;
  }
  const query = Object.entries(overrides)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return { target: targetFromFile(file, overrides), spec: query ? `${file.name}?${query}` : file.name };
}

/** A model spec the page loaded: its graph, and how to name it to the CLI. */
export interface WhatIfModel {
  readonly graph: Graph;
  /** `zoo:<name>[?opts]`, or the file name of an ONNX file. */
  readonly source: string;
  /** A QDQ file's own precision, the page's `default` policy for it (as `hwnas cost` costs the file). */
  readonly precision?: PrecisionPolicy;
}

/** Refuses a file above {@link MAX_ONNX_BYTES} with a message naming its size and the limit. */
export function checkOnnxSize(name: string, bytes: number): void {
  if (bytes > MAX_ONNX_BYTES) {
    throw new ConfigError(
      `${name} is ${(bytes / 2 ** 20).toFixed(1)} MiB: the page parses ONNX files up to ${MAX_ONNX_BYTES / 2 ** 20} MiB ` +
        `(all weights are decoded in the tab). Use 'hwnas cost ${name} --target ...' on the command line, or a zoo model (zoo:resnet50, zoo:vgg16: same layers, no file)`,
    );
  }
}

/** An ONNX file's bytes as a model (size checked first; the project's importer, float or QDQ). */
export function modelFromOnnx(name: string, bytes: Uint8Array): WhatIfModel {
  checkOnnxSize(name, bytes.byteLength);
  const { model, precision } = importOnnxWithPrecision(bytes, name);
  return { graph: model.graph, source: name, ...(precision ? { precision } : {}) };
}

/** A zoo model by spec (`mobilenet-v2?width=0.5`, with or without `zoo:`), checked as the CLI checks it. */
export function modelFromZoo(spec: string): WhatIfModel {
  const s = spec.startsWith('zoo:') ? spec : `zoo:${spec}`;
  return { graph: zooGraph(s), source: s };
}

/** The policy `hwnas cost` uses without `--policy`: a QDQ file's own, else the target's preset ({@link costDefaultPolicy}). */
export function defaultPolicyFor(model: WhatIfModel, target: HardwareTarget): PrecisionPolicy {
  return costDefaultPolicy(model.graph, target, model.precision, model.source);
}

/** A policy from a preset name or policy JSON (text or value), checked against the graph and the target (as `--policy`). */
export function readPolicy(spec: unknown, graph: Graph, target: HardwareTarget, source = '(page)'): PrecisionPolicy {
  let json = spec;
  if (typeof spec === 'string' && spec.trimStart().startsWith('{')) {
    try {
      json = JSON.parse(spec);
    } catch (e) {
      throw new ConfigError(`policy ${source} is not valid JSON (${(e as Error).message})`);
    }
  }
  return parsePolicy(json, { graph, source, supported: target.supportedBits, targetName: target.name });
}

/** The policy with layer `layer` at these bits (its channel groups, if any, replaced by one precision). */
export function withLayerBits(policy: PrecisionPolicy, layer: string, weightBits: number, actBits: number): PrecisionPolicy {
  const layers: Record<string, LayerPrecision> = { ...policy.layers, [layer]: { weightBits, actBits } };
  return { name: 'custom', default: policy.default, layers };
}

/** Per conv/dense layer of the graph: its name and the bits the policy gives it (groups shown by their first group). */
export function layerBits(graph: Graph, policy: PrecisionPolicy): Array<{ layer: string; weightBits: number; actBits: number; groups: boolean }> {
  return quantizableLayers(graph).map((n) => {
    const lp: LayerPrecision = policy.layers[n.name] ?? policy.default;
    const p = lp.groups?.[0] ?? lp;
    return { layer: n.name, weightBits: p.weightBits, actBits: p.actBits, groups: (lp.groups?.length ?? 0) > 1 };
  });
}

/** The policy as the JSON file `hwnas cost --policy` and `hwnas eval --policy` read. */
export function policyJson(policy: PrecisionPolicy): string {
  const out: Record<string, unknown> = {};
  if (policy.name !== undefined) out.name = policy.name;
  out.default = policy.default;
  out.layers = policy.layers;
  return `${JSON.stringify(out, null, 2)}\n`;
}
