import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { installProblem } from './main.js';
import { HWNAS_BIN } from './testing/run-cli.js';

test('a reader that closes the pipe early (| head -1): hwnas exits 0 quietly, no EPIPE stack trace', async () => {
  // `inspect` of a large zoo model prints a long table; the reader is gone before it is written
  const child = spawn(process.execPath, [HWNAS_BIN, 'inspect', 'zoo:resnet50'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout.destroy();
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error|at /);
});

test('a native module built for another Node is an installation problem with the fix, not bad input', () => {
  const e = Object.assign(
    new Error(
      "The module '/x/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 127.",
    ),
    { code: 'ERR_DLOPEN_FAILED' },
  );
  const msg = installProblem(e);
  assert.match(msg ?? '', /installation problem/);
  assert.match(msg ?? '', /npm rebuild better-sqlite3/);
  // wrapped in another error's message (the store wraps open failures) it is still recognised
  assert.match(installProblem(new Error(`cannot open store "s.sqlite": ${e.message}`)) ?? '', /npm rebuild better-sqlite3/);
  assert.equal(installProblem(new Error('no such study')), undefined);
});
