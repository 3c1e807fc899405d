import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { zooGraph } from '../ir/zoo/index.js';
import { loadTargetFile, paramValues, parseTargetFile, type TargetFile, targetsDir } from './data.js';
import { uniformPolicy } from './precision.js';
import { getTarget, listTargets } from './registry.js';

/** A packaged target file's JSON (what a user copies): the loaded file without its `path`. */
function fileBody(name: string): Omit<TargetFile, 'path'> {
  const { path: _path, ...body } = loadTargetFile(name);
  return body;
}

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
    const base = fileBody('bitfusion-edge');
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
    assert.equal(getTarget(f).name, 'big-fusion');
    const ref = getTarget('bitfusion-edge').networkCost(g, uniformPolicy(8, 8)).latencyMs;
    assert.ok(big < ref, `${big} vs ${ref}`);
    assert.ok(getTarget('bitfusion-edge?dramGBps=100').networkCost(g, uniformPolicy(8, 8)).latencyMs <= ref);
  });
  it('a target file with a parameter its model does not take is refused naming it and the expected ones, as name?key=value is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-target-'));
    for (const [preset, typo] of [
      ['cortex-a76', 'utilconv'],
      ['systolic', 'rowz'],
    ] as const) {
      const base = fileBody(preset);
      const f = join(dir, `${typo}.json`);
      writeFileSync(f, JSON.stringify({ ...base, name: `${preset}-typo`, params: { ...base.params, [typo]: { value: 1, source: 'typo' } } }));
      assert.throws(
        () => getTarget(f),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message.includes(`target file ${f}: unknown parameter '${typo}' for model '${base.model}' (expected one of `) &&
          e.message.includes(preset === 'systolic' ? 'rows, cols' : 'utilConv'),
      );
      assert.throws(
        () => getTarget(`${preset}?${typo}=1`),
        (e: unknown) => e instanceof ConfigError && e.message.includes(`unknown parameter '${typo}'`),
      );
    }
  });
  it('a target file without an optional parameter takes it as a query option, at its documented default (note51: ?storage= was refused)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-target-'));
    const g = zooGraph('mbnet32?channels=1&size=28');
    const w4 = uniformPolicy(4, 4);
    const without = (preset: string, name: string, drop: readonly string[]): string => {
      const base = fileBody(preset);
      const params = Object.fromEntries(Object.entries(base.params).filter(([k]) => !drop.includes(k)));
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify({ ...base, name, params }));
      return f;
    };
    // roofline: no `storage` is packed (docs/hardware.md); ?storage=execution and ?storage=packed both work on it
    const a76 = without('cortex-a76', 'my-a76', ['storage']);
    const cost = (spec: string): number => getTarget(spec).networkCost(g, w4).dramBytes;
    assert.equal(cost(a76), cost('cortex-a76?storage=packed'));
    assert.equal(cost(`${a76}?storage=packed`), cost('cortex-a76?storage=packed'));
    assert.equal(cost(`${a76}?storage=execution`), cost('cortex-a76?storage=execution'));
    assert.notEqual(cost(`${a76}?storage=execution`), cost(a76));
    assert.throws(
      () => getTarget(`${a76}?storage=fp16`),
      (e: unknown) => e instanceof ConfigError && /storage 'fp16' must be 'packed'/.test(e.message),
    );
    assert.throws(
      () => getTarget(`${a76}?storag=packed`),
      (e: unknown) => e instanceof ConfigError && /unknown parameter 'storag' \(expected one of .*storage/.test(e.message),
    );
    // the bit-accelerator files' optional modelling choices likewise (a file without them is the session-31 model)
    const bf = without('bitfusion-edge', 'my-bf', ['mapping', 'stalls', 'psum']);
    const lat = (spec: string): number => getTarget(spec).networkCost(g, w4).latencyMs;
    assert.equal(lat(`${bf}?mapping=channel&stalls=edges&psum=tiles`), lat('bitfusion-edge?stalls=edges&psum=tiles'));
    assert.equal(lat(bf), lat('bitfusion-edge?mapping=im2col&stalls=overlap&psum=none'));
    const bm = without('bismo-cloud', 'my-bismo', ['portBits', 'convBatch', 'weightPlanes', 'packGroups', 'requantize']);
    assert.equal(lat(`${bm}?requantize=true&portBits=256&convBatch=per-image`), lat('bismo-cloud'));
  });
  it("a target file named after a built-in target is refused unless it is that target (costs reported under the preset's name)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-target-'));
    const sys = fileBody('systolic');
    const a76 = fileBody('cortex-a76');
    const write = (n: string, v: object): string => {
      const f = join(dir, n);
      writeFileSync(f, JSON.stringify(v));
      return f;
    };
    const named = write('named.json', { ...sys, name: 'bitfusion-edge' });
    assert.throws(
      () => getTarget(named),
      (e: unknown) =>
        e instanceof ConfigError && e.message.includes(`is named 'bitfusion-edge', a built-in target, but differs from it (model systolic vs bitfusion)`),
    );
    const edited = write('edited.json', { ...a76, params: { ...a76.params, utilConv: { value: 0.5, source: 'what-if' } } });
    assert.throws(
      () => getTarget(edited),
      (e: unknown) => e instanceof ConfigError && /differs from it \(utilConv\)/.test(e.message),
    );
    assert.throws(
      () => getTarget(write('host.json', { ...sys, name: 'host-cpu' })),
      (e: unknown) => e instanceof ConfigError && /'host-cpu'/.test(e.message),
    );
    // a copy of the preset, and the packaged file itself, are the preset: same name, same costs
    const g = zooGraph('zoo:mbnet32');
    const ref = getTarget('cortex-a76').networkCost(g, uniformPolicy(8, 8)).latencyMs;
    for (const f of [write('copy.json', a76), join(targetsDir(), 'cortex-a76.json')]) {
      assert.equal(getTarget(f).name, 'cortex-a76');
      assert.equal(getTarget(f).networkCost(g, uniformPolicy(8, 8)).latencyMs, ref);
    }
  });
  it('a target file with an unknown top-level key, or a clampTo width its peakTops lacks, is refused naming the key/width (review54 #4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hwnas-target-'));
    const a76 = fileBody('cortex-a76');
    const write = (n: string, v: object): string => {
      const f = join(dir, n);
      writeFileSync(f, JSON.stringify(v));
      return f;
    };
    const top = write('top.json', { ...a76, name: 'myboard', clockMHz: 500 });
    assert.throws(
      () => getTarget(top),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(`target file ${top}: unknown top-level key 'clockMHz' (expected name, model, description, validation, params`),
    );
    const clamp = write('clamp.json', { ...a76, name: 'myboard', params: { ...a76.params, clampTo: { value: 12, source: 'typo' } } });
    const want = "params.clampTo = 12: peakTops has no '12' (it has 8, 16, 32)";
    for (const spec of [clamp, 'cortex-a76?clampTo=12'])
      assert.throws(
        () => getTarget(spec),
        (e: unknown) => e instanceof ConfigError && e.message.includes(want),
        spec,
      );
    // a width it has still clamps
    assert.ok((getTarget('cortex-a76?clampTo=16').supportedBits?.weight.length ?? 0) > 0);
  });
});
