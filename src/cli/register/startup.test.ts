/**
 * Start-up cost of every spawned `hwnas` process: the registrations (src/cli/register/) give each command its name,
 * flags and help text; a command's action module (src/cli/commands/<name>.js) and its stack (engine, onnx, search,
 * store, zod schemas) load by `import()` when that command runs. When the registrations imported the actions,
 * `hwnas --version` loaded 344 modules (zod, onnx-proto, better-sqlite3 among them); now 27 (BENCHMARKS.md,
 * session 55). The flags of nas, faults and study that need no registry are checked by light modules
 * (src/cli/commands/*-flags.ts) before the action's module loads (session 56).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DIST_SRC, staticClosure } from '../testing/import-graph.js';
import { HWNAS_BIN } from '../testing/run-cli.js';
import { lazy } from './lazy.js';

/** What start-up may load: our registrations and their few light helpers, and commander. */
function heavyAtStartup(entry: string): string[] {
  const { modules, packages } = staticClosure(join(DIST_SRC, entry));
  return [
    ...packages.filter((p) => p !== 'commander').map((p) => `package ${p}`),
    // an action module (or anything beside the registrations' index and the light flag checks in commands/) loads its whole stack
    ...modules.filter((m) => m.startsWith('cli/commands/') && m !== 'cli/commands/index.js' && !m.endsWith('-flags.js')),
    // the registries and stacks the actions load
    ...modules.filter((m) => /^(engine|onnx|search|store\/sqlite|study|quant|nas|workers|data|hardware|server|report)\b/.test(m)),
  ];
}

describe('hwnas start-up loads the registrations, not the actions', () => {
  it('the static import graph of the CLI reaches no action module, no registry and no package but commander', () => {
    assert.deepEqual(heavyAtStartup('cli/main.js'), []);
    assert.ok(staticClosure(join(DIST_SRC, 'cli/main.js')).modules.length < 60);
  });

  it('the check finds what an action module loads (quantize: the store, zod, the onnx stack)', () => {
    const found = heavyAtStartup('cli/commands/quantize.js');
    for (const x of ['package zod', 'package better-sqlite3', 'cli/commands/study.js']) assert.ok(found.includes(x), `${x} not in ${found.join(', ')}`);
  });

  it('the flag checks of nas, faults and study load at start-up, and run before the action module is imported', async () => {
    const { modules } = staticClosure(join(DIST_SRC, 'cli/main.js'));
    for (const m of ['cli/commands/nas-flags.js', 'cli/commands/faults-flags.js', 'cli/commands/study-flags.js']) assert.ok(modules.includes(m), m);
    let loaded = false;
    const action = lazy(
      async () => {
        loaded = true;
        return { run: (_x: string) => undefined };
      },
      (m) => m.run,
      (x) => {
        if (x === 'bad') throw new Error(`bad value '${x}'`);
      },
    );
    await assert.rejects(action('bad'), /bad value 'bad'/);
    assert.equal(loaded, false, 'a failed check imports nothing');
    await action('good');
    assert.equal(loaded, true);
  });

  it("bad flags of nas, faults and study exit 2 with the command's message", () => {
    for (const [args, message] of [
      [['nas', '--space', 'nb201', '--budget', '0'], "--budget must be an integer >= 1, got '0'"],
      [['nas', '--space', 'nb201', '--budget', '4', '--dataset', 'mnist', '--table-delay', '5'], '--table-delay 5 applies to --table lookups only'],
      [['faults', 'zoo:mnist-cnn', '--dataset', 'mnist', '--sites', 'wires'], "--sites must be weights, activations or both, got 'wires'"],
      [['study', 'export', 's', '--format', 'xml'], "--format 'xml': expected csv, json or optuna"],
      [['study', 'run', 's', '--threads', 'many'], '--threads'],
    ] as const) {
      const r = spawnSync(process.execPath, [HWNAS_BIN, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, `hwnas ${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(message), `hwnas ${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('study list, show, delete and export load neither the study config schemas nor the search registries', () => {
    const { modules, packages } = staticClosure(join(DIST_SRC, 'cli/commands/study-store.js'));
    assert.ok(!modules.includes('cli/commands/study-config.js') && !modules.some((m) => m.startsWith('search/registry')), modules.join(', '));
    assert.ok(!packages.includes('onnx-proto'), packages.join(', '));
    assert.ok(modules.length < 40, `${modules.length} modules`);
  });

  it('hwnas nas --help and hwnas help nas name the registered strategies, as docs/cli.md does', () => {
    const page = readFileSync(join(DIST_SRC, '..', '..', 'docs', 'cli.md'), 'utf8');
    const documented = /a registered strategy: ([^(]+)\(alias/.exec(page)?.[1]?.replace(/\\\|/g, '|');
    assert.match(documented ?? '', /nsga2 \| .*tpe/);
    for (const args of [
      ['nas', '--help'],
      ['help', 'nas'],
    ]) {
      const r = spawnSync(process.execPath, [HWNAS_BIN, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const shown = /--strategy <name>\s+a registered strategy: ([^(]+)\(alias/.exec(r.stdout.replace(/\s+/g, ' '))?.[1];
      assert.equal(shown, documented, `hwnas ${args.join(' ')}`);
      assert.match(r.stdout, /--space <name>\s+nb201 \| mbv2/, `hwnas ${args.join(' ')}`);
    }
  });
});
