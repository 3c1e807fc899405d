/**
 * Start-up cost of every spawned `hwnas` process: the registrations (src/cli/register/) give each command its name,
 * flags and help text; a command's action module (src/cli/commands/<name>.js) and its stack (engine, onnx, search,
 * store, zod schemas) load by `import()` when that command runs. When the registrations imported the actions,
 * `hwnas --version` loaded 344 modules (zod, onnx-proto, better-sqlite3 among them); now 27 (BENCHMARKS.md,
 * session 55).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DIST_SRC, staticClosure } from '../testing/import-graph.js';
import { HWNAS_BIN } from '../testing/run-cli.js';

/** What start-up may load: our registrations and their few light helpers, and commander. */
function heavyAtStartup(entry: string): string[] {
  const { modules, packages } = staticClosure(join(DIST_SRC, entry));
  return [
    ...packages.filter((p) => p !== 'commander').map((p) => `package ${p}`),
    // an action module (or anything beside the registrations' index in commands/) loads its whole stack
    ...modules.filter((m) => m.startsWith('cli/commands/') && m !== 'cli/commands/index.js'),
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
