import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { parseDatasetSpec } from './spec.js';

test('parses the built-in data sets with options', () => {
  assert.deepEqual(parseDatasetSpec('mnist'), { kind: 'mnist', options: {} });
  assert.deepEqual(parseDatasetSpec('FMNIST'), { kind: 'fashion-mnist', options: {} });
  assert.deepEqual(parseDatasetSpec('mnist; size=32 ;channels=3;standardize;resize=bilinear;limit=1000'), {
    kind: 'mnist',
    options: { size: 32, channels: 3, standardize: true, resize: 'bilinear', limit: 1000 },
  });
  assert.deepEqual(parseDatasetSpec('fashion-mnist;standardize=false;limit=train:500,test:100').options, {
    standardize: false,
    limit: { train: 500, test: 100 },
  });
});

test('parses idx and npy file specs with test/val pairs', () => {
  assert.deepEqual(parseDatasetSpec('idx:data/tr-x.idx, data/tr-y.idx;test=te-x.idx,te-y.idx'), {
    kind: 'idx',
    train: { x: 'data/tr-x.idx', y: 'data/tr-y.idx' },
    test: { x: 'te-x.idx', y: 'te-y.idx' },
    options: {},
  });
  assert.deepEqual(parseDatasetSpec('npy:/a/x.npy,/a/y.npy;val=/a/vx.npy,/a/vy.npy;layout=nhwc;classes=12'), {
    kind: 'npy',
    train: { x: '/a/x.npy', y: '/a/y.npy' },
    val: { x: '/a/vx.npy', y: '/a/vy.npy' },
    options: { layout: 'nhwc', numClasses: 12 },
  });
  assert.deepEqual(parseDatasetSpec('npy:C:\\d\\x.npy,C:\\d\\y.npy'), {
    kind: 'npy',
    train: { x: 'C:\\d\\x.npy', y: 'C:\\d\\y.npy' },
    options: {},
  });
});

test('imagefolder: val= and test= name one list each (a CSV or a class folder)', () => {
  assert.deepEqual(parseDatasetSpec('imagefolder:train.csv;test=test.csv;val=v/;size=32'), {
    kind: 'imagefolder',
    path: 'train.csv',
    val: 'v/',
    test: 'test.csv',
    options: { size: 32 },
  });
  // a list path may hold commas (only idx/npy pairs split on them)
  assert.equal((parseDatasetSpec('imagefolder:t.csv;test=a,b.csv') as { test?: string }).test, 'a,b.csv');
});

test('malformed specs are ConfigErrors quoting the spec and the expected forms', () => {
  const cases: [string, RegExp][] = [
    ['svhn', /unknown kind 'svhn'/],
    ['cifar10', /'cifar10' needs a path: 'cifar10:<dir>'/],
    ['cifar10:c;test=a,b', /applies to idx\/npy \(a pair of files\) and imagefolder \(a list\) data sets only/],
    ['imagefolder:photos.csv;test=', /option 'test=' names no list/],
    ['idx', /needs the training files/],
    ['idx:only-one.idx', /'only-one\.idx' is not two comma-separated paths/],
    ['npy:x.npy,y.npy;test=a.npy', /test= 'a\.npy' is not two/],
    ['mnist:foo,bar', /takes no file paths/],
    ['mnist;test=a,b', /applies to idx\/npy \(a pair of files\) and imagefolder \(a list\) data sets only/],
    ['mnist;size=0', /size='0' is not a positive integer/],
    ['mnist;size', /has no value/],
    ['mnist;resize=nearest', /resize='nearest' is not 'pad' or 'bilinear'/],
    ['mnist;layout=chw', /layout='chw'/],
    ['mnist;limit=train=5', /limit 'train=5'/],
    ['mnist;colour=red', /unknown option 'colour'/],
    ['', /unknown kind ''/],
    ['mnist;limit=0', /limit '0' leaves no images/],
    ['mnist;limit=train:100,test:0', /limit 'test:0' leaves no images/],
    ['mnist;limit=train:1,train:2', /names 'train' twice/],
    ['mnist;size=28;size=32', /option 'size' is given twice/],
  ];
  for (const [spec, re] of cases) {
    assert.throws(
      () => parseDatasetSpec(spec),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(`dataset spec '${spec}'`) && re.test(e.message) && e.message.includes("expected 'mnist'"),
      spec,
    );
  }
});
