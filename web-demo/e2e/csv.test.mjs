// Unit tests of the page's CSV reader (node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClinicCsv, CsvError } from '../csv.js';

const row = (label, v = 0.5) => [...Array(784).fill(v), label].join(',');

test('parses rows with a header', () => {
  const text = ['f0,' + Array(783).fill('f').join(',') + ',label', row(1), row(3, -1)].join('\n');
  const d = parseClinicCsv(text);
  assert.equal(d.samples, 2);
  assert.equal(d.features.length, 2 * 784);
  assert.deepEqual([...d.labels], [1, 3]);
  assert.equal(d.features[784], -1);
});

test('rejects a wrong column count with the line number', () => {
  assert.throws(() => parseClinicCsv(row(0) + '\n1,2,3'), (e) => e instanceof CsvError && e.line === 2);
});

test('rejects a label out of range', () => {
  assert.throws(() => parseClinicCsv(row(4)), /label must be an integer from 0 to 3/);
});

test('rejects a non-numeric feature after the first row', () => {
  const bad = row(0).replace(/^0\.5/, 'x');
  assert.throws(() => parseClinicCsv(row(0) + '\n' + bad), (e) => e.line === 2);
});

test('rejects an empty file', () => {
  assert.throws(() => parseClinicCsv('\n\n'), /no data rows/);
});
