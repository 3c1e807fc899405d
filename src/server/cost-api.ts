/**
 * `POST /api/cost` of `hwnas serve`: the cost models without Node code. The request is either
 * - JSON (`Content-Type: application/json`): `{"target": "<name>", "policy": "<preset>" | {policy JSON},
 *   and one of "graph": <hwnas IR graph JSON>, "model": "zoo:<name>", "onnx": "<base64 of an .onnx file>"}`;
 * - or an ONNX file as the body (`Content-Type: application/octet-stream`) with `?target=...&policy=...`.
 * The answer is `hwnas cost --json` of the model: per-layer and total MACs, bit operations, bytes, latency,
 * energy, bound, area, and the packed model size. Without a policy it is costed as `hwnas cost` costs it: a QDQ
 * file at its own bits, anything else at the target's default preset ({@link costDefaultPolicy}). Bad input is a 400 with the reason; bodies over 64 MB a 413.
 * Files on the server are never read (no paths): only the request's bytes, or zoo models.
 */
import type { IncomingMessage } from 'node:http';
import { ConfigError } from '../errors.js';
import { costDefaultPolicy, type PrecisionPolicy, parsePolicy } from '../hardware/precision.js';
import { getTarget } from '../hardware/registry.js';
import { initWeights } from '../ir/init.js';
import { graphFromJson } from '../ir/serialize.js';
import type { Model } from '../ir/types.js';
import { zooGraph } from '../ir/zoo/registry.js';
import { importOnnxWithPrecision } from '../onnx/import.js';
import { type ModelCostReport, modelCostReport } from '../quant/cost.js';
import { Rng } from '../util/rng.js';

/** Largest request body accepted (bytes). */
export const MAX_COST_BODY = 64 * 1024 * 1024;

/** A request body too large for {@link MAX_COST_BODY}. */
export class BodyTooLargeError extends ConfigError {
  override name = 'BodyTooLargeError';
}

/** Reads a request body up to `max` bytes. */
export function readBody(req: IncomingMessage, max = MAX_COST_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > max) {
        reject(new BodyTooLargeError(`request body over ${max} bytes`));
        req.destroy();
      } else chunks.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The complexity report for one cost request (ConfigError naming the bad field). */
export async function costRequest(contentType: string, query: URLSearchParams, body: Buffer): Promise<ModelCostReport> {
  let targetName: unknown;
  let policyJson: unknown;
  let model: Model;
  // a QDQ file's own precision, costed when no policy is given (as `hwnas cost` does)
  let precision: PrecisionPolicy | undefined;
  let file = '';
  if (contentType.startsWith('application/octet-stream')) {
    targetName = query.get('target') ?? undefined;
    policyJson = query.get('policy') ?? undefined;
    file = 'request body (ONNX)';
    ({ model, precision } = importOnnxWithPrecision(new Uint8Array(body), file));
  } else {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new ConfigError(
        `request body is not JSON (${(e as Error).message}); expected {"target", "policy", "graph" | "model" | "onnx"} or an ONNX file as application/octet-stream`,
      );
    }
    if (req === null || typeof req !== 'object' || Array.isArray(req)) throw new ConfigError('request body: expected a JSON object');
    targetName = req.target;
    policyJson = req.policy;
    const given = ['graph', 'model', 'onnx'].filter((k) => req[k] !== undefined);
    if (given.length !== 1)
      throw new ConfigError(
        `request body: give exactly one of "graph" (IR JSON), "model" ("zoo:<name>"), "onnx" (base64); got ${given.length ? given.join(', ') : 'none'}`,
      );
    if (req.graph !== undefined) {
      const graph = graphFromJson(req.graph);
      model = { graph, weights: initWeights(graph, new Rng(0)) };
    } else if (req.model !== undefined) {
      if (typeof req.model !== 'string' || !req.model.startsWith('zoo:'))
        throw new ConfigError(`"model" = ${JSON.stringify(req.model)}: expected "zoo:<name>" (files on the server are not read; send "graph" or "onnx")`);
      const graph = zooGraph(req.model);
      model = { graph, weights: initWeights(graph, new Rng(0)) };
    } else {
      if (typeof req.onnx !== 'string') throw new ConfigError('"onnx": expected the base64 text of an .onnx file');
      file = 'request "onnx"';
      ({ model, precision } = importOnnxWithPrecision(new Uint8Array(Buffer.from(req.onnx, 'base64')), file));
    }
  }
  if (typeof targetName !== 'string' || targetName === '')
    throw new ConfigError(`"target" = ${JSON.stringify(targetName)}: expected a target name (see hwnas targets)`);
  if (targetName.startsWith('lut:') || targetName.startsWith('predictor:') || targetName.endsWith('.json'))
    throw new ConfigError(`"target" = ${JSON.stringify(targetName)}: the server does not read files; expected a registered target name`);
  const target = getTarget(targetName);
  const policy =
    policyJson === undefined
      ? costDefaultPolicy(model.graph, target, precision, file)
      : parsePolicy(policyJson, { graph: model.graph, source: '(request)', supported: target.supportedBits, targetName: target.name });
  // a measured target measures the model and the policy's channel groups (host-cpu)
  if (target.prepare) await target.prepare(model, [policy]);
  return modelCostReport(model.graph, target, policy);
}
