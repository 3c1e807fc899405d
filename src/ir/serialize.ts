import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ModelFormatError } from '../errors.js';
import { checkWeights } from './init.js';
import { inferShapes } from './shapes.js';
import type { Graph, Model, Node, Weights } from './types.js';

/** Format tag and version of hwnas IR JSON files. */
export const IR_FORMAT = 'hwnas-ir';
export const IR_VERSION = 1;

/** One entry of the weights manifest: where a tensor lives in the binary file. */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 elements. */
  readonly offset: number;
}

/** The JSON document of a model: graph config plus the weights manifest. */
export interface ModelJson {
  readonly format: typeof IR_FORMAT;
  readonly version: number;
  readonly graph: Graph;
  readonly weights: readonly WeightEntry[];
}

/** Graph to a plain JSON-safe object (stable key order: as constructed). */
export function graphToJson(graph: Graph): Graph {
  return JSON.parse(JSON.stringify(graph)) as Graph;
}

/** Validate and load a graph from parsed JSON. */
export function graphFromJson(obj: unknown): Graph {
  const g = obj as Partial<Graph> | null;
  if (!g || typeof g !== 'object' || !Array.isArray(g.nodes) || !Array.isArray(g.outputs) || typeof g.name !== 'string') {
    throw new ModelFormatError('IR graph JSON must be an object with string "name", array "nodes" and array "outputs"');
  }
  const names = g.outputNames;
  if (names !== undefined && (names === null || typeof names !== 'object' || Object.values(names).some((v) => typeof v !== 'string'))) {
    throw new ModelFormatError('IR graph JSON: "outputNames" must be an object of strings (output node name to tensor name)');
  }
  const batch = g.batch;
  if (batch !== undefined && !((typeof batch === 'number' && Number.isInteger(batch) && batch >= 1) || (typeof batch === 'string' && batch !== ''))) {
    throw new ModelFormatError(`IR graph JSON: "batch" is ${JSON.stringify(batch)}, expected a positive integer or a non-empty symbolic name`);
  }
  const graph: Graph = {
    name: g.name,
    nodes: g.nodes as Node[],
    outputs: g.outputs as string[],
    ...(names ? { outputNames: names } : {}),
    ...(batch !== undefined ? { batch } : {}),
  };
  inferShapes(graph);
  return graph;
}

/** Serialise a model into its JSON document and a float32 blob (sorted by weight name). */
export function modelToBuffers(model: Model): { json: ModelJson; bin: Buffer } {
  const names = [...model.weights.keys()].sort();
  let total = 0;
  const entries: WeightEntry[] = [];
  for (const name of names) {
    const t = model.weights.get(name)!;
    entries.push({ name, shape: [...t.shape], offset: total });
    total += t.data.length;
  }
  const all = new Float32Array(total);
  for (const e of entries) all.set(model.weights.get(e.name)!.data, e.offset);
  return {
    json: { format: IR_FORMAT, version: IR_VERSION, graph: graphToJson(model.graph), weights: entries },
    bin: Buffer.from(all.buffer, all.byteOffset, all.byteLength),
  };
}

/** Rebuild a model from its JSON document and blob; validates shapes and sizes. */
export function modelFromBuffers(jsonObj: unknown, bin: Uint8Array, source = 'model'): Model {
  const j = jsonObj as Partial<ModelJson> | null;
  if (!j || j.format !== IR_FORMAT) throw new ModelFormatError(`${source}: not an hwnas IR file (expected "format": "${IR_FORMAT}")`);
  if (j.version !== IR_VERSION) throw new ModelFormatError(`${source}: IR version ${String(j.version)} unsupported (expected ${IR_VERSION})`);
  const graph = graphFromJson(j.graph);
  if (bin.byteLength % 4 !== 0) throw new ModelFormatError(`${source}: weights blob has ${bin.byteLength} bytes, not a multiple of 4`);
  const copy = new Uint8Array(bin.byteLength);
  copy.set(bin);
  const all = new Float32Array(copy.buffer);
  const weights: Weights = new Map();
  for (const e of j.weights ?? []) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset < 0 || e.offset + n > all.length) {
      throw new ModelFormatError(`${source}: weight '${e.name}' runs past the end of the weights blob (truncated file?)`);
    }
    weights.set(e.name, { shape: [...e.shape], data: all.slice(e.offset, e.offset + n) });
  }
  const problems = checkWeights(graph, weights);
  if (problems.length) throw new ModelFormatError(`${source}: ${problems.slice(0, 5).join('; ')}`);
  return { graph, weights };
}

/** Write `<path>` (JSON) and `<path minus .json>.bin`, atomically (temp file + rename). */
export function saveModel(model: Model, path: string): void {
  const { json, bin } = modelToBuffers(model);
  const binPath = path.replace(/\.json$/, '') + '.bin';
  writeFileSync(binPath + '.tmp', bin);
  writeFileSync(path + '.tmp', JSON.stringify(json));
  renameSync(binPath + '.tmp', binPath);
  renameSync(path + '.tmp', path);
}

/** Read a model written by {@link saveModel}. */
export function loadModel(path: string): Model {
  let text: string;
  let bin: Buffer;
  const binPath = path.replace(/\.json$/, '') + '.bin';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelFormatError(`cannot read IR model file '${path}'`);
  }
  try {
    bin = readFileSync(binPath);
  } catch {
    throw new ModelFormatError(`cannot read weights file '${binPath}' of '${path}'`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`'${path}' is not valid JSON: ${(e as Error).message}`);
  }
  return modelFromBuffers(obj, bin, path);
}
