#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Finds every compiled *.test.js under dist/ and runs them with node's test runner.
// (Node 20 has no glob support in --test; this keeps the command the same on 20, 22 and 24.)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const filter = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})('dist');
const chosen = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
chosen.sort();
if (chosen.length === 0) {
  console.error('no test files found under dist/ (did tsc run?)');
  process.exit(1);
}
// A file that never finishes (a hung child process, a handle left open) fails by name after FILE_TIMEOUT_MS instead of
// holding the whole run until CI's own limit. On Node 20 and 22 the timeout bounds each file as a whole; the whole
// suite takes about 11 min on 2 idle cores, so only a file that hangs reaches it.
const FILE_TIMEOUT_MS = 20 * 60 * 1000;
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${FILE_TIMEOUT_MS}`, ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
