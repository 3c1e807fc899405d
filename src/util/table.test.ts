import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber, formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns text left and numbers right under a header and a rule', () => {
    const s = formatTable(
      [
        { name: 'conv1', macs: 1234567, ms: 0.5 },
        { name: 'fc', macs: 10, ms: 12.25 },
      ],
      [
        { key: 'name', header: 'layer' },
        { key: 'macs', header: 'MACs' },
        { header: 'x2', value: (r) => r.ms * 2 },
      ],
    );
    assert.equal(s, ['layer       MACs    x2', '-----  ---------  ----', 'conv1  1,234,567     1', 'fc            10  24.5'].join('\n'));
  });
  it('formats numbers compactly', () => {
    assert.equal(formatNumber(Number.NaN), '-');
    assert.equal(formatNumber(0.000012345), '1.234e-5');
    assert.equal(formatNumber(1.23456), '1.235');
    assert.equal(formatNumber(2.5), '2.5');
    assert.equal(formatNumber(1e9), '1,000,000,000');
  });
  it('handles no rows', () => {
    assert.equal(formatTable([], [{ header: 'a', value: () => 1 }]), 'a\n-');
  });
});
