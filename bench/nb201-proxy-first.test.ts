import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { nb201CellField, nb201SynflowFunctions } from './nb201-proxy-first.js';

const point = (cell: string): Record<string, string> => {
  const ops = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
  const edges = ['e10', 'e20', 'e21', 'e30', 'e31', 'e32'];
  return Object.fromEntries(edges.map((e, i) => [e, ops[Number(cell[i])] as string]));
};

test("nb201-proxy-first: a point's cell field, its SynFlow score and its MACs group, from the committed file", () => {
  assert.equal(nb201CellField(point('421211')), '421211');
  assert.throws(
    () => nb201CellField({ ...point('000000'), e10: 'conv5x5' }),
    (e: Error) => e instanceof ConfigError && /edge e10 'conv5x5'; expected one of none/.test(e.message),
  );
  const c10 = nb201SynflowFunctions('c10');
  const in16 = nb201SynflowFunctions('in16');
  assert.equal(nb201SynflowFunctions('c10'), c10, 'one object per network (the enumeration by group is memoised per function)');
  assert.equal(c10.score(point('333333')), 49.883168);
  assert.equal(in16.score(point('333333')), 49.220665);
  assert.equal(c10.score(point('000000')), Number.NEGATIVE_INFINITY);
  // the same network (edges that feed nothing; the file's class representatives): one group; a 1x1 conv for a 3x3: another
  assert.equal(c10.group(point('333300')), c10.group(point('000300')));
  assert.equal(c10.group(point('300003')), c10.group(point('000003')));
  assert.notEqual(c10.group(point('000300')), c10.group(point('000200')));
});
