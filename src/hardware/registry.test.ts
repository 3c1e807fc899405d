import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { zooGraph } from '../ir/zoo/index.js';
import { loadTargetFile, paramValues, parseTargetFile, targetsDir } from './data.js';
import { uniformPolicy } from './precision.js';
import { getTarget, listTargets } from './registry.js';

describe('target registry and data files', () => {
  it('lists every required target', () => {
    const names = listTargets().map((t) => t.name);
    for (const n of [
      'bitfusion-edge',
      'bismo-cloud',
      'systolic',
      'myriad-x',
      'cortex-a76',
      'jetson-nano',
      'edge-tpu',
      'a100',
      'host-cpu',
      'lut:<file>',
      'predictor:<file>',
    ]) {
      assert.ok(names.includes(n), `missing ${n}`);
    }
    assert.ok(listTargets().every((t) => t.description.length > 10));
  });
  it('every data file cites a source for every parameter', () => {
    const files = readdirSync(targetsDir()).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 9);
    for (const f of files) {
      const t = loadTargetFile(join(targetsDir(), f));
      assert.equal(`${t.name}.json`, f, 'file named after its target');
      for (const [k, p] of Object.entries(t.params)) assert.ok(p.source.length >= 10, `${f}: ${k} has no real source`);
    }
    assert.throws(
      () => parseTargetFile('{"name":"x","model":"roofline","params":{"a":{"value":1}}}', 'x.json'),
      (e: unknown) => e instanceof ConfigError && /'a'/.test(e.message),
    );
  });
  it('unknown targets and parameters are errors naming them', () => {
    assert.throws(
      () => getTarget('tpu-v9'),
      (e: unknown) => e instanceof ConfigError && /'tpu-v9'/.test(e.message) && /bitfusion-edge/.test(e.message),
    );
    assert.throws(
      () => paramValues(loadTargetFile('a100'), { hbm: 3 }),
      (e: unknown) => e instanceof ConfigError && /'hbm'/.test(e.message),
    );
    assert.throws(
      () => getTarget('a100?dramGBps=fast'),
      (e: unknown) => e instanceof ConfigError && /dramGBps/.test(e.message),
    );
  });
  it('a user data file defines a what-if target', () => {
    const base = loadTargetFile('bitfusion-edge');
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-target-'));
    const f = join(dir, 'big-fusion.json');
    writeFileSync(
      f,
      JSON.stringify({
        name: 'big-fusion',
        model: 'bitfusion',
        description: 'what-if: 4x the Fusion Units',
        params: { ...base.params, rows: { value: 64, source: 'what-if' }, cols: { value: 32, source: 'what-if' } },
      }),
    );
    const g = zooGraph('zoo:resnet18?size=64');
    const big = getTarget(f).networkCost(g, uniformPolicy(8, 8)).latencyMs;
    const ref = getTarget('bitfusion-edge').networkCost(g, uniformPolicy(8, 8)).latencyMs;
    assert.ok(big < ref, `${big} vs ${ref}`);
    assert.ok(getTarget('bitfusion-edge?dramGBps=100').networkCost(g, uniformPolicy(8, 8)).latencyMs <= ref);
  });
});
