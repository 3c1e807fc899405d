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
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chainTo, DIST_SRC } from './testing/import-graph.js';

const TF = join(DIST_SRC, 'engine', 'tf.js');

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
