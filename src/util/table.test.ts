import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNumber, formatQuantity, formatTable } from './table.js';

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
  it('formats report quantities in one style at every magnitude: integers with commas from 1,000, plain decimals below', () => {
    // the values of review 51's cost totals, which formatNumber wrote as 1.208e+4, 5,563, 1.500e+4 and 5,866,000
    assert.equal(formatQuantity(12080.4), '12,080');
    assert.equal(formatQuantity(5563), '5,563');
    assert.equal(formatQuantity(15000.2), '15,000');
    assert.equal(formatQuantity(5866000), '5,866,000');
    assert.equal(formatQuantity(851.23), '851.2');
    assert.equal(formatQuantity(4.026), '4.026');
    assert.equal(formatQuantity(0.0651), '0.0651');
    assert.equal(formatQuantity(0.000380612), '0.0003806');
    assert.equal(formatQuantity(999.96), '1,000');
    assert.equal(formatQuantity(0), '0');
    assert.equal(formatQuantity(Number.NaN), '-');
    assert.equal(formatQuantity(2.5e-8), '2.500e-8');
  });
  it('handles no rows', () => {
    assert.equal(formatTable([], [{ header: 'a', value: () => 1 }]), 'a\n-');
  });
});
