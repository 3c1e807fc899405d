import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseArgs, reusableQuantRecord, smallestAt, studyName } from './bomp.js';

test('parseArgs --cost: size_kb by default, latency_ms / energy_mj on request', () => {
  assert.equal(parseArgs([]).cost, 'size_kb');
  assert.equal(parseArgs(['--cost', 'latency_ms']).cost, 'latency_ms');
  assert.equal(parseArgs(['--cost', 'energy_mj', '--target', 'bismo-cloud']).target, 'bismo-cloud');
});

test('parseArgs --cost: a bad cost names itself and the accepted ones; shared mode is size_kb only', () => {
  assert.throws(() => parseArgs(['--cost', 'latency']), /--cost latency: expected one of size_kb, latency_ms, energy_mj/);
  assert.throws(() => parseArgs(['--mode', 'shared', '--cost', 'latency_ms']), /--mode shared measures size_kb only/);
});

test('studyName: size_kb keeps the earlier sessions names, another cost gets its own study', () => {
  const o = parseArgs(['--budget', '20', '--limit', '1500', '--precisions', 'w8a8,w4a8,w2a8']);
  assert.equal(studyName(o, 'qaft', 1), 'bomp-qaft-s1-b20-l1500-e3-q1-bo-pw8a8.w4a8.w2a8');
  assert.equal(studyName(o, 'float', 3), 'bomp-float-s3-b20-l1500-e3-q1-bo');
  const lat = { ...o, cost: 'latency_ms' as const, precisions: ['w8a8', 'w4a8', 'w4a4', 'w2a8', 'w2a2'] };
  assert.equal(studyName(lat, 'qaft', 1), 'bomp-qaft-s1-b20-l1500-e3-q1-bo-pw8a8.w4a8.w4a4.w2a8.w2a2-latency_ms');
  assert.equal(studyName(lat, 'float', 1), 'bomp-float-s1-b20-l1500-e3-q1-bo-latency_ms');
});

test('smallestAt: lowest value of the chosen cost among points at least that accurate', () => {
  const pts = [
    { arch: 'a@w4a8', accuracy: 0.6, size_kb: 10, latency_ms: 0.5 },
    { arch: 'a@w4a4', accuracy: 0.55, size_kb: 10, latency_ms: 0.2 },
    { arch: 'b@w8a8', accuracy: 0.7, size_kb: 30, latency_ms: 0.3 },
    { arch: 'c', accuracy: 0.9, size_kb: 5 }, // no latency measured: never picked by latency
  ];
  assert.equal(smallestAt(pts, 0.55)?.arch, 'c');
  assert.equal(smallestAt(pts, 0.55, 'latency_ms')?.arch, 'a@w4a4');
  assert.equal(smallestAt(pts, 0.58, 'latency_ms')?.arch, 'b@w8a8');
  assert.equal(smallestAt(pts, 0.95, 'latency_ms'), null);
});

test('bomp CLI: a bad option exits 2 with the message and no stack trace', () => {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), 'bomp.js');
  const r = spawnSync(process.execPath, [bin, '--cost', 'speed'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--cost speed: expected one of size_kb, latency_ms, energy_mj/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('reusableQuantRecord: copies a step (c) record only for the same seed, data, recipe, target and labels', () => {
  const o = parseArgs(['--limit', '1500', '--precisions', 'w8a8,w4a8']);
  const rec = {
    arch: 'n1',
    floatAccuracy: 0.6,
    wallS: 10,
    cpuS: 9,
    points: [
      { arch: 'n1@w8a8', accuracy: 0.6, size_kb: 20 },
      { arch: 'n1@w4a8', accuracy: 0.58, size_kb: 11 },
    ],
  };
  const earlier = {
    settings: { limit: 1500, epochs: 3, qaftEpochs: 1, target: 'bitfusion-edge', precisions: ['w8a8', 'w4a8'] },
    seeds: { '2': { quantized: [rec] } },
  };
  assert.equal(reusableQuantRecord(earlier, o, 2, 'n1'), rec);
  assert.equal(reusableQuantRecord(earlier, o, 1, 'n1'), null); // other seed
  assert.equal(reusableQuantRecord(earlier, o, 2, 'n2'), null); // other architecture
  assert.equal(reusableQuantRecord({ ...earlier, settings: { ...earlier.settings, epochs: 4 } }, o, 2, 'n1'), null);
  assert.equal(reusableQuantRecord(earlier, { ...o, precisions: ['w4a8', 'w8a8'] }, 2, 'n1'), null); // labels in another order
  assert.equal(reusableQuantRecord(earlier, { ...o, cost: 'latency_ms' }, 2, 'n1'), null); // points lack the cost
  assert.throws(() => parseArgs(['--reuse-quantized', '/nonexistent/x.json']), /--reuse-quantized \/nonexistent\/x.json: no such file/);
});
