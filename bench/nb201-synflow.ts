/**
 * The SynFlow zero-cost proxy (src/nas/proxies/synflow.ts) of NAS-Bench-201's networks (issue 18, session 53, proxy53):
 * one score per computation class (src/nas/tabular.ts nb201Classes: cells of a class compute the same network, so
 * they get their representative's score), on NB201's CIFAR-10 network (3x32x32, 10 classes) or its ImageNet16-120
 * network (3x16x16, 120 classes), seed 0.
 *
 * The classes run in a seeded random order (seed 53) and each score is appended to a part file as it is computed, so
 * a run stopped early leaves a uniform random sample of classes and a second run resumes it:
 *   nice node dist/bench/nb201-synflow.js run bench/data/nb201-synflow-c10.part c10
 *   node dist/bench/nb201-synflow.js csv bench/data/nb201-synflow-c10.part [more parts...] > bench/data/nb201-synflow.csv
 * The CSV has a row for every cell whose class has a score in the first part (empty fields where a later part has none): `cell` (op indices of edges 0->1, 0->2, 1->2,
 * 0->3, 1->3, 2->3, as in bench/data/nb201-hwnas-cost.csv), `class_rep` (its class representative's `cell`), and
 * `<net>_synflow_log10` per part (-inf: score 0, the network's output does not depend on its input).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { initEngine } from '../src/engine/backend.js';
import { ConfigError } from '../src/errors.js';
import { synflow } from '../src/nas/proxies/synflow.js';
import { nb201Classes } from '../src/nas/tabular.js';
import { NB201_OPS, type Nb201Cell, nb201Graph } from '../src/search/spaces/nb201.js';
import { Rng } from '../src/util/rng.js';

/** The networks a score is computed on (NB201's skeleton at each task's input size and classifier width). */
export const SYNFLOW_NETS = {
  c10: { inputSize: 32, classes: 10 },
  in16: { inputSize: 16, classes: 120 },
} as const;
export type SynflowNet = keyof typeof SYNFLOW_NETS;

/** The `cell` field of a cell: its six op indices. */
export function cellField(c: Nb201Cell): string {
  return c.map((o) => NB201_OPS.indexOf(o)).join('');
}

/** The class representatives' cell indices in the seeded random order the run follows. */
export function runOrder(seed = 53): number[] {
  const reps = [...nb201Classes().reps];
  const rng = new Rng(seed);
  for (let i = reps.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [reps[i], reps[j]] = [reps[j] as number, reps[i] as number];
  }
  return reps;
}

/** Reads a part file: representative `cell` -> log10 score, and the net it was computed on (its first line). */
export function readPart(path: string): { net: SynflowNet; scores: Map<string, number> } {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const head = /^# net (c10|in16)$/.exec(lines[0] ?? '');
  if (!head) throw new ConfigError(`${path}: first line '${lines[0]}': expected '# net c10' or '# net in16'`);
  const scores = new Map<string, number>();
  for (const l of lines.slice(1)) {
    const [cell, v] = l.split(',');
    if (!/^[0-4]{6}$/.test(cell ?? '') || v === undefined) throw new ConfigError(`${path}: line '${l}': expected '<cell>,<log10 score>'`);
    scores.set(cell as string, v === '-inf' ? Number.NEGATIVE_INFINITY : Number(v));
  }
  return { net: head[1] as SynflowNet, scores };
}

async function run(part: string, net: SynflowNet): Promise<void> {
  await initEngine();
  if (!existsSync(part)) appendFileSync(part, `# net ${net}\n`);
  const have = readPart(part);
  if (have.net !== net) throw new ConfigError(`${part}: holds net ${have.net}; expected ${net}`);
  const cells = nb201Classes().cells;
  const o = SYNFLOW_NETS[net];
  const t0 = performance.now();
  let n = 0;
  for (const i of runOrder()) {
    const c = cells[i] as Nb201Cell;
    const f = cellField(c);
    if (have.scores.has(f)) continue;
    const s = await synflow(nb201Graph(c, { inputSize: o.inputSize, classes: o.classes }), { seed: 0 });
    appendFileSync(part, `${f},${Number.isFinite(s) ? s.toFixed(6) : '-inf'}\n`);
    n++;
    if (n % 100 === 0) process.stderr.write(`${n} classes, ${((performance.now() - t0) / n).toFixed(0)} ms each\n`);
  }
}

function csv(parts: string[]): string {
  const read = parts.map(readPart);
  const cc = nb201Classes();
  const rows = ['cell,class_rep,' + read.map((p) => `${p.net}_synflow_log10`).join(',')];
  cc.cells.forEach((c, i) => {
    const rep = cellField(cc.cells[cc.reps[cc.classOf[i] as number] as number] as Nb201Cell);
    const vals = read.map((p) => p.scores.get(rep));
    if (vals[0] === undefined) return;
    const field = (v: number | undefined): string => (v === undefined ? '' : Number.isFinite(v) ? v.toFixed(6) : '-inf');
    rows.push(`${cellField(c)},${rep},${vals.map(field).join(',')}`);
  });
  const head = [
    '# SynFlow zero-cost proxy (Tanaka et al. 2020; Abdelfattah et al. 2021) of NAS-Bench-201 networks: log10 of sum |theta dR/dtheta| over conv/dense weights, |weights| (PyTorch default init, seed 0), batch norm bypassed, all-ones input, R = sum of outputs (src/nas/proxies/synflow.ts); a free proxy, no accuracy query (issue 18, session 53, proxy53)',
    `# note: built by \`node dist/bench/nb201-synflow.js csv ${parts.join(' ')}\` from part files made by \`nice node dist/bench/nb201-synflow.js run <part> <net>\` (bench/nb201-synflow.ts); one score per computation class (src/nas/tabular.ts nb201Classes), classes in a seeded random order; ${rows.length - 1} of 15,625 cells have a score in the first part; a later part's column is empty where its run stopped before the cell's class`,
    '# note: c10 = NB201 CIFAR-10 network (3x32x32 input, 10 classes); in16 = ImageNet16-120 network (3x16x16, 120 classes); -inf = score 0 (output independent of the input)',
  ];
  return `${[...head, ...rows].join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'run' && rest.length === 2 && (rest[1] === 'c10' || rest[1] === 'in16')) await run(rest[0] as string, rest[1]);
  else if (cmd === 'csv' && rest.length >= 1) process.stdout.write(csv(rest));
  else {
    console.error('usage: node dist/bench/nb201-synflow.js run <part file> c10|in16 | csv <part file>...');
    process.exit(2);
  }
}
