/**
 * Commands that compute no tensors do not load the tensor library: every spawned `hwnas` process paid
 * ~0.4 s of CPU for tfjs-core and its backends while three modules imported the engine statically
 * (BENCHMARKS.md, session 52). The static import graph of the compiled CLI and library entry points must
 * not reach the engine's tfjs module; the engine is loaded by `import()` where a command needs it.
 * Likewise onnxruntime-node (~0.05 s per process, session 53): only src/onnx/ort-runtime.ts loads it, by
 * `import()`, where a session is created.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const DIST_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TF = join(DIST_SRC, 'engine', 'tf.js');

/**
 * The relative specifiers a compiled module imports or re-exports statically (not `import()`): tsc writes
 * them as statements at the start of a line, `import ... from '...'`, `export ... from '...'`, `import '...'`.
 */
function staticImports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"](\.[^'"]+)['"]/gm))
    out.push(resolve(dirname(file), m[1] as string));
  return out;
}

/** Whether a compiled module imports the package `pkg` statically (a bare specifier, `pkg` or `pkg/...`). */
function importsPackage(file: string, pkg: string): boolean {
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^.'"][^'"]*)['"]/gm))
    if (m[1] === pkg || (m[1] as string).startsWith(`${pkg}/`)) return true;
  return false;
}

/**
 * The chain of static imports from `entry` to `target` (paths under dist/src; `target` a file, or a package name for
 * the first module that imports that package statically), or undefined when it is not reached.
 */
function chainTo(entry: string, target: string | { readonly pkg: string }): string[] | undefined {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const f = queue.shift() as string;
    if (typeof target === 'string' ? f === target : importsPackage(f, target.pkg)) {
      const chain: string[] = [];
      for (let c: string | undefined = f; c !== undefined; c = parent.get(c)) chain.unshift(relative(DIST_SRC, c));
      return chain;
    }
    for (const t of staticImports(f)) {
      if (parent.has(t)) continue;
      parent.set(t, f);
      queue.push(t);
    }
  }
  return undefined;
}

describe('the tensor library loads only where tensors are computed', () => {
  it('the CLI and the library entry points do not import the engine statically', () => {
    for (const entry of ['cli/main.js', 'index.js']) {
      const chain = chainTo(join(DIST_SRC, entry), TF);
      assert.equal(chain?.join(' -> '), undefined, `${entry} loads tfjs at start through this chain of static imports`);
    }
  });

  it('the check finds a chain where there is one (the engine-side quantization code)', () => {
    assert.deepEqual(chainTo(join(DIST_SRC, 'quant', 'apply.js'), TF)?.slice(0, 2), ['quant/apply.js', 'engine/fake-quant.js']);
  });

  it('the CLI and the library entry points do not import onnxruntime-node statically', () => {
    for (const entry of ['cli/main.js', 'index.js']) {
      const chain = chainTo(join(DIST_SRC, entry), { pkg: 'onnxruntime-node' });
      assert.equal(chain?.join(' -> '), undefined, `${entry} loads onnxruntime-node at start through this chain of static imports`);
    }
  });

  it('the check finds a module that imports onnxruntime-node statically (a test that runs it directly)', () => {
    assert.deepEqual(chainTo(join(DIST_SRC, 'engine', 'ops', 'l2norm.test.js'), { pkg: 'onnxruntime-node' }), ['engine/ops/l2norm.test.js']);
  });

  it('hwnas --help and hwnas cost run without loading tfjs or onnxruntime-node; onnxruntime-node loads where asked', () => {
    // one child process: the two commands through main(), then the modules it loaded
    const main = join(DIST_SRC, 'cli', 'main.js');
    const runtime = join(DIST_SRC, 'onnx', 'ort-runtime.js');
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const { main } = await import(${JSON.stringify(main)});
      const codes = [await main(['--help']), await main(['cost', 'zoo:mnist-cnn', '--target', 'bitfusion-edge', '--json'])];
      const loaded = Object.keys(cache).filter((k) => k.includes('@tensorflow'));
      const ortAtStart = Object.keys(cache).filter((k) => k.includes('onnxruntime'));
      const { loadOrt, ortCommonVersion } = await import(${JSON.stringify(runtime)});
      const versionUnloaded = ortCommonVersion();
      const ort = await loadOrt();
      const ortLoaded = Object.keys(cache).some((k) => k.includes('onnxruntime-node'));
      const version = ort.env.versions.common;
      process.stderr.write('\\n' + JSON.stringify({ codes, loaded, ortAtStart, ortLoaded, versionUnloaded, version, tensor: typeof ort.Tensor }) + '\\n');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(last) as {
      codes: number[];
      loaded: string[];
      ortAtStart: string[];
      ortLoaded: boolean;
      versionUnloaded: string;
      version: string;
      tensor: string;
    };
    const { codes, loaded } = out;
    assert.deepEqual(codes, [0, 0]);
    assert.deepEqual(loaded, []);
    assert.deepEqual(out.ortAtStart, [], 'no onnxruntime file loaded by --help and cost');
    // the probe sees onnxruntime once it is loaded, and the version read without loading it is the runtime's own
    assert.equal(out.ortLoaded, true);
    assert.equal(out.tensor, 'function');
    assert.match(out.version, /^\d+\.\d+\.\d+/);
    assert.equal(out.versionUnloaded, out.version);
    assert.match(r.stdout, /"macs"/i);
  });
});
