/**
 * Ctrl-C during a long search, as a user does it: the real CLI spawned, SIGINT sent while HAQ is walking
 * its episodes; the command must finish the current episode, keep the best policy found so far, say it
 * was interrupted, write its outputs and exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(root, 'bin', 'hwnas.js');
const dir = mkdtempSync(join(tmpdir(), 'hwnas-int-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('hwnas quantize --strategy haq: SIGINT keeps the best policy so far, writes it and exits 0', async () => {
  const policyOut = join(dir, 'policy.json');
  const args = ['quantize', 'zoo:mnist-cnn', '--dataset', 'mnist;limit=train:1500,val:300,test:300', '--target', 'bitfusion-edge', '--strategy', 'haq', '--budget', 'latency=0.7x', '--episodes', '500', '--train-epochs', '1', '--finetune-epochs', '0', '--search-images', '100', '--policy-out', policyOut];
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string; sent: boolean }>((res, rej) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', HWNAS_PROGRESS: 'lines' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const kill = setTimeout(() => child.kill('SIGKILL'), 180_000);
    // interrupt once the search is under way: the HAQ stage has started and a few seconds have passed
    const poll = setInterval(() => {
      if (!sent && /HAQ \(DDPG\)/.test(stderr)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 3000);
      }
    }, 200);
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(kill);
      clearInterval(poll);
      res({ code, stdout, stderr, sent });
    });
  });
  assert.ok(r.sent, `the search never started:\n${r.stderr}`);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, /interrupted: finishing the current episode/);
  const m = /haq on bitfusion-edge \(latency=0\.7x, interrupted\): latency ([0-9.e-]+) ms vs W8A8 ([0-9.e-]+) ms/.exec(r.stdout);
  assert.ok(m, `the summary says it was interrupted:\n${r.stdout}`);
  assert.ok(Number(m[1]) <= 0.7 * Number(m[2]) * 1.001, `the kept policy meets the budget: ${m[1]} vs ${m[2]}`);
  assert.ok(!/haq 500\/500/.test(r.stderr), 'stopped before the last episode');
  assert.ok(existsSync(policyOut), 'the policy file is written');
  const policy = JSON.parse(readFileSync(policyOut, 'utf8')) as { layers: Record<string, { weightBits: number; actBits: number }> };
  assert.deepEqual(Object.keys(policy.layers).sort(), ['conv1', 'conv2', 'fc']);
  assert.match(r.stdout, /^conv1\s+\d\s+\d/m, 'the per-layer table is printed');
});
