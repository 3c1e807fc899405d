import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { ConfigError, UserError } from '../../errors.js';
import { registerReport } from '../register/report.js';
import { registerStudy } from '../register/study.js';
import { parseStudyConfig } from './study-config.js';

const dir = mkdtempSync(join(tmpdir(), 'hwnas-study-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const storePath = join(dir, 'store.sqlite');

async function cli(...args: string[]): Promise<string> {
  const program = new Command('hwnas').exitOverride();
  registerStudy(program);
  registerReport(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) => {
    if (typeof s !== 'string') return write(s, ...rest);
    out += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
  return out;
}

test('study create -> run (worker threads) -> show -> export -> report, end to end', async () => {
  const cfg = join(dir, 'study.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      name: 'bits',
      evaluator: { name: 'policy-cost', options: { target: 'bitfusion-edge' } },
      strategy: { name: 'nsga2', options: { populationSize: 8 } },
      nTrials: 24,
      seed: 3,
      concurrency: 2,
    }),
  );
  await cli('study', 'create', '--config', cfg, '--store', storePath);
  await assert.rejects(cli('study', 'create', '--config', cfg, '--store', storePath), UserError, 'name taken');
  const run = JSON.parse(await cli('study', 'run', 'bits', '--store', storePath, '--json')) as {
    trials: number;
    counts: { complete: number };
    best: unknown[];
  };
  assert.equal(run.trials, 24);
  assert.equal(run.counts.complete, 24);
  assert.ok(run.best.length >= 2);
  const again = JSON.parse(await cli('study', 'resume', 'bits', '--store', storePath, '--json', '--threads', '0')) as { created: number };
  assert.equal(again.created, 0, 'a finished study has nothing left to run');
  const list = JSON.parse(await cli('study', 'list', '--store', storePath, '--json')) as { name: string; complete: number }[];
  assert.deepEqual(
    list.map((s) => [s.name, s.complete]),
    [['bits', 24]],
  );
  const csv = await cli('study', 'export', 'bits', '--format', 'csv', '--store', storePath);
  assert.equal(csv.trim().split('\n').length, 25);
  await assert.rejects(cli('study', 'export', 'bits', '--format', 'xml', '--store', storePath), /--format 'xml': expected csv, json or optuna/);
  const html = join(dir, 'r.html');
  await cli('report', 'bits', '--out', html, '--store', storePath);
  assert.ok(existsSync(html) && readFileSync(html, 'utf8').includes('"name":"bits"'));
  await assert.rejects(cli('study', 'run', 'nope', '--store', storePath), /no study named "nope"/);
});

test('study resume --delay takes a new evaluator delay (timing only), stores it and shows it', async () => {
  const cfg = join(dir, 'delayed.json');
  writeFileSync(cfg, JSON.stringify({ name: 'delayed', evaluator: { name: 'zdt1', options: { delayMs: 40 } }, strategy: 'random', nTrials: 2, seed: 1 }));
  await cli('study', 'create', '--config', cfg, '--store', storePath);
  const stored = async (): Promise<unknown> =>
    (
      JSON.parse(await cli('study', 'show', 'delayed', '--store', storePath, '--json')) as {
        study: { userAttrs: { config: { evaluator: { options: unknown } } } };
      }
    ).study.userAttrs.config.evaluator.options;
  await cli('study', 'run', 'delayed', '--store', storePath, '--threads', '0', '--delay', '0', '--json');
  assert.deepEqual(await stored(), {});
  await cli('study', 'resume', 'delayed', '--store', storePath, '--threads', '0', '--delay', '3', '--json');
  assert.deepEqual(await stored(), { delayMs: 3 });
  assert.match(await cli('study', 'show', 'delayed', '--store', storePath), /each evaluation waits 3 ms \(delayMs\)/);
  await assert.rejects(cli('study', 'resume', 'delayed', '--store', storePath, '--delay', 'soon'), /--delay must be an integer >= 0, got 'soon'/);
});

test('config errors name the bad field and value', () => {
  const ok = { name: 's', evaluator: { name: 'zdt1' }, nTrials: 10 };
  assert.deepEqual(parseStudyConfig(ok), ok);
  assert.throws(
    () => parseStudyConfig({ ...ok, nTrials: -1 }),
    (e: Error) => e instanceof ConfigError && /study config\.nTrials = -1/.test(e.message),
  );
  assert.throws(() => parseStudyConfig({ ...ok, evaluator: {} }), /study config\.evaluator\.name = \(missing\)/);
  assert.throws(() => parseStudyConfig({ ...ok, budget: 3 }), /unknown field\(s\) 'budget'/);
  assert.throws(() => parseStudyConfig({ ...ok, objectives: [{ name: 'a', direction: 'up' }] }), /objectives\[0\]\.direction = "up"/);
});
