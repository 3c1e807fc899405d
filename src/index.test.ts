/**
 * The package as a user gets it: `npm pack` the checkout, unpack the tarball as node_modules/hwnas of a
 * scratch project (its dependencies symlinked from the checkout's node_modules, nothing downloads), and
 * run the README's library example there, importing `hwnas` by name in a child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as hwnas from './index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The first ```js block of the README's "## Library" section. */
function readmeExample(): { code: string; section: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  assert.ok(start >= 0, 'README.md has no "## Library" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md "## Library" has no ```js example');
  return { code: m[1] as string, section };
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

describe('the packed package (npm pack, installed by name)', () => {
  let dir = '';
  let project = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hwnas-pack-'));
    project = join(dir, 'project');
    const modules = join(project, 'node_modules');
    mkdirSync(modules, { recursive: true });
    // --ignore-scripts: dist/ is already built by `npm test`'s tsc; `prepare` would compile again
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as Array<{ filename: string }>;
    const tarball = join(dir, (packed[0] as { filename: string }).filename);
    run('tar', ['-xzf', tarball, '-C', dir], dir);
    run('mv', [join(dir, 'package'), join(modules, 'hwnas')], dir);
    const own = join(ROOT, 'node_modules');
    for (const name of readdirSync(own)) {
      if (name === 'hwnas' || name.startsWith('.')) continue;
      symlinkSync(join(own, name), join(modules, name));
    }
    writeFileSync(join(project, 'package.json'), '{ "name": "scratch", "private": true, "type": "module" }\n');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the entry point and its types, and resolves `hwnas` to the unpacked copy', () => {
    const pkg = join(project, 'node_modules', 'hwnas');
    assert.ok(existsSync(join(pkg, 'dist', 'src', 'index.js')), 'dist/src/index.js missing from the tarball');
    assert.ok(existsSync(join(pkg, 'dist', 'src', 'index.d.ts')), 'dist/src/index.d.ts missing from the tarball');
    writeFileSync(join(project, 'where.mjs'), "console.log(import.meta.resolve('hwnas'));\n");
    const where = run(process.execPath, ['where.mjs'], project).trim();
    assert.equal(fileURLToPath(where), join(pkg, 'dist', 'src', 'index.js'));
  });

  it("runs the README's library example and prints the costs the library computes in-process", () => {
    const { code, section } = readmeExample();
    assert.match(code, /from 'hwnas'/);
    writeFileSync(join(project, 'example.mjs'), code);
    const out = run(process.execPath, ['example.mjs'], project).trim().split('\n');
    // the same computation against this checkout's modules
    const model = hwnas.loadModelSpec('zoo:mnist-cnn');
    const target = hwnas.getTarget('bitfusion-edge');
    const expected = ['w8a8', 'w4a4'].map((bits) => {
      const c = target.networkCost(model.graph, hwnas.policyPreset(bits));
      return `${bits}: ${c.latencyMs.toFixed(4)} ms, ${c.energyMj.toFixed(4)} mJ, ${c.dramBytes} DRAM bytes`;
    });
    assert.deepEqual(out, expected);
    for (const line of expected) assert.ok(section.includes(`\`${line}\``), `README.md's "prints" line is stale: expected it to quote \`${line}\``);
  });

  it("type-checks the README example against the package's own declarations (exports map `types`)", () => {
    writeFileSync(join(project, 'example.ts'), readmeExample().code);
    // a wrong use of the API beside it, so the check is seen to fail when it should (one tsc run for both)
    writeFileSync(join(project, 'misuse.ts'), "import { policyPreset } from 'hwnas';\nconst n: number = policyPreset('w8a8');\nconsole.log(n);\n");
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      skipLibCheck: true,
      types: ['node'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.ts', 'misuse.ts'] }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.deepEqual(
      errors.map((l) => l.slice(0, l.indexOf('('))),
      ['misuse.ts'],
      `expected exactly one error, in misuse.ts; tsc said:\n${r.stdout}${r.stderr}`,
    );
    assert.match(errors[0] as string, /PrecisionPolicy/);
  });

  it('quantize() starts the engine from the installed package and reports bad input as a ConfigError', () => {
    const script = [
      "import { ConfigError, getTarget, loadModelSpec, quantize } from 'hwnas';",
      "const o = { model: loadModelSpec('zoo:mnist-cnn'), dataset: null, target: getTarget('bitfusion-edge'), strategy: 'ilp', budget: 'latency=0.6x', bits: [32] };",
      "quantize(o).then(() => console.log('no error'), (e) => console.log(e instanceof ConfigError ? 'ConfigError: ' + e.message : 'other: ' + e.stack));",
    ].join('\n');
    writeFileSync(join(project, 'quantize.mjs'), `${script}\n`);
    const out = run(process.execPath, ['quantize.mjs'], project).trim();
    assert.match(out, /^ConfigError: --bits 32: target 'bitfusion-edge' runs weights at 1,2,3,4,5,6,7,8,16 /);
  });

  it('deep imports are closed by the exports map', () => {
    writeFileSync(join(project, 'deep.mjs'), "import('hwnas/dist/src/cli/main.js').then(() => console.log('open'), (e) => console.log(e.code));\n");
    assert.equal(run(process.execPath, ['deep.mjs'], project).trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
