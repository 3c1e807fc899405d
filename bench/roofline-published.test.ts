import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { graphTotals } from '../src/ir/workload.js';
import { loadRooflinePublished, type RooflineRow, rooflineGraph, validateRoofline } from './roofline-published.js';

const committed = (): string => readFileSync(new URL('../../bench/data/roofline-published.csv', import.meta.url), 'utf8');

test('data file: every row names a source line, the three sources are there, bad rows are rejected', () => {
  const d = loadRooflinePublished();
  assert.equal(d.rows.length, 48);
  for (const s of ['tflite-pixel4 = ', 'tflite-pixel3 = ', 'torch2trt-nano = ', 'mlperf-v1.0-a100 = '])
    assert.ok(
      d.sources.some((l) => l.startsWith(s) && /commit [0-9a-f]{8}/.test(l)),
      s,
    );
  assert.deepEqual([...new Set(d.rows.map((r) => r.target))].sort(), ['a100', 'cortex-a76', 'jetson-nano']);
  const dir = mkdtempSync(join(tmpdir(), 'roofline-'));
  const bad = (from: string, to: string, re: RegExp): void => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, committed().replace(from, to));
    assert.throws(() => loadRooflinePublished(f), re);
  };
  bad('resnet18,zoo:resnet18,fp16,11.4', 'resnet18,zoo:resnet18,fp16,-1', /publishedMs '-1' of resnet18/);
  bad('resnet18,zoo:resnet18,fp16,11.4', 'resnet18,zoo:resnet18,int4,11.4', /precision 'int4' of resnet18/);
  bad('jetson-nano,jetson-nano,torch2trt-nano,resnet18', 'jetson-nano,jetson-nano,nowhere,resnet18', /source 'nowhere' of resnet18/);
  assert.throws(() => rooflineGraph('resnet77'), /unknown graph spec 'resnet77'/);
});

test('graphs the zoo lacks: torchvision parameter counts, MobileNetV1 mult-adds as its paper tabulates', () => {
  // torchvision's documented parameter counts
  const params: Record<string, number> = {
    squeezenet1_0: 1_248_424,
    squeezenet1_1: 1_235_496,
    resnet34: 21_797_672,
    resnet101: 44_549_160,
    resnet152: 60_192_808,
    vgg11: 132_863_336,
    vgg13: 133_047_848,
    'alexnet-tv': 61_100_840,
  };
  for (const [spec, n] of Object.entries(params)) assert.equal(graphTotals(rooflineGraph(spec)).params, n, spec);
  // Howard et al. 2017, tables 6 and 7 (million mult-adds)
  const macs: Array<[number, number, number]> = [
    [1, 224, 569],
    [1, 128, 186],
    [0.5, 224, 149],
    [0.25, 224, 41],
  ];
  for (const [w, s, m] of macs) {
    const got = graphTotals(rooflineGraph(`mobilenet-v1?width=${w}&size=${s}`)).macs / 1e6;
    assert.ok(Math.abs(got / m - 1) < 0.015, `MobileNetV1 ${w} ${s}: ${got} M vs ${m} M`);
  }
});

test('committed figures: ranks hold within a device and precision, the int8 speed-up is overstated', () => {
  const v = validateRoofline(loadRooflinePublished().rows);
  const dev = (name: string) => {
    const d = v.devices.find((x) => x.device === name);
    assert.ok(d, name);
    return d;
  };
  const nano = dev('jetson-nano');
  assert.equal(nano.raw.n, 11);
  assert.ok(nano.raw.spearman > 0.95, `${nano.raw.spearman}`);
  assert.ok(nano.raw.within50 === 1 && nano.raw.medianAbsErr < 0.3, JSON.stringify(nano.raw));
  for (const pr of ['fp32', 'w8a8']) {
    const d = dev(`pixel3-cpu4 ${pr}`);
    assert.ok(d.raw.n === 17 && d.raw.spearman > 0.98, JSON.stringify(d.raw));
    assert.ok(d.looScaled.medianAbsErr < 0.2, `${pr}: ${d.looScaled.medianAbsErr}`);
  }
  // mixing precisions costs rank agreement: the model's fp32 -> int8 speed-up (SDOT peak 4x) is larger than measured
  assert.ok(dev('pixel3-cpu4').raw.spearman < dev('pixel3-cpu4 fp32').raw.spearman);
  assert.equal(v.speedups.length, 18);
  for (const s of v.speedups) assert.ok(s.model > 1.3 * s.published, JSON.stringify(s));
});

test('the comparison can fail, and leave-one-out scaling removes exactly a constant factor', () => {
  const rows = loadRooflinePublished().rows.filter((r) => r.device === 'jetson-nano');
  const v = validateRoofline(rows);
  // published = 3 x model: raw error 2/3, no error once the constant is taken out
  const scaled: RooflineRow[] = rows.map((r, i) => ({ ...r, publishedMs: 3 * (v.points[i]?.modelMs as number) }));
  const s = validateRoofline(scaled).devices[0];
  assert.ok(s && Math.abs(s.raw.medianAbsErr - 2 / 3) < 1e-9 && s.looScaled.medianAbsErr < 1e-9 && s.raw.spearman === 1);
  // the published latencies handed out in reverse order of size: the rank correlation turns negative
  const sorted = [...rows].sort((a, b) => a.publishedMs - b.publishedMs);
  const anti = rows.map((r) => ({ ...r, publishedMs: (sorted[sorted.length - 1 - sorted.indexOf(r)] as RooflineRow).publishedMs }));
  assert.ok((validateRoofline(anti).devices[0]?.raw.spearman as number) < -0.9);
});
