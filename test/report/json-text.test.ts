import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringifyReport } from '../../src/report/json-text.js';

const scalar = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null));
const flatRecord = fc.oneof(
  fc.dictionary(fc.string(), fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })), { maxKeys: 5 }),
  fc.array(fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxLength: 6 }),
);

test('property: the text parses to the same value as JSON.stringify gives, for any JSON value', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      assert.deepEqual(JSON.parse(stringifyReport(value)), JSON.parse(JSON.stringify(value)));
    }),
  );
});

test('property: long arrays of flat records, nested anywhere, come back intact and one record per line', () => {
  fc.assert(
    fc.property(fc.array(flatRecord, { minLength: 20, maxLength: 60 }), fc.string(), (rows, key) => {
      const value = { section: { [key]: rows, other: [1, 2, 3] } };
      const text = stringifyReport(value);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
      // each record on its own line: at least one line per record
      assert.ok(text.split('\n').length >= rows.length + 2);
      for (const row of rows) assert.ok(text.includes(JSON.stringify(row)), 'record written compactly');
    }),
    { numRuns: 50 },
  );
});

test('short arrays and arrays of nested records are indented as JSON.stringify(value, null, 2) does', () => {
  const value = { a: [{ x: 1 }, { y: [1, 2] }], b: Array.from({ length: 25 }, (_, i) => ({ nested: { i } })) };
  assert.equal(stringifyReport(value), JSON.stringify(value, null, 2));
});
