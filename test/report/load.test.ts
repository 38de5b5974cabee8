import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { loadReport } from '../../src/report/load.js';
import { findJsonSyntaxError, locateJsonPointer } from '../../src/report/json-locate.js';
import { REPORT_SCHEMA, validateReportShape } from '../../src/report/schema.js';
import { InputError } from '../../src/util/errors.js';
import { SCHEMA_VERSION } from '../../src/report/types.js';
import { FIXTURES } from './synthetic-section.js';

const good = readFileSync(new URL('report-shell-envelope.json', FIXTURES), 'utf8');

function loadError(text: string): InputError {
  try {
    loadReport(text, 'saved.json');
  } catch (err) {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    return err;
  }
  assert.fail('loadReport accepted invalid input');
}

test('a valid report loads with its command and section', () => {
  const report = loadReport(good, 'saved.json');
  assert.equal(report.command, 'bench');
  assert.equal(report.schemaVersion, SCHEMA_VERSION);
});

test('a newer schemaVersion is refused with both versions named', () => {
  const err = loadError(good.replace('"schemaVersion": 1', '"schemaVersion": 3'));
  assert.equal(err.message, `report saved.json has schemaVersion 3; this authz-perf reads up to ${SCHEMA_VERSION} (upgrade authz-perf to read it)`);
  assert.deepEqual(err.location, { file: 'saved.json', line: 2, column: 20 });
});

test('a missing or non-numeric schemaVersion is an unknown version', () => {
  assert.match(loadError(good.replace('"schemaVersion": 1,', '')).message, /has no schemaVersion/);
  assert.match(loadError(good.replace('"schemaVersion": 1', '"schemaVersion": "1.0"')).message, /unknown schemaVersion "1\.0"/);
});

test('bad JSON is an InputError at file:line:column', () => {
  const err = loadError('{\n  "tool": "authz-perf",\n}\n');
  assert.equal(err.describe(), 'saved.json:3:1: not valid JSON: expected a double-quoted property name');
  assert.equal(loadError('').describe(), 'saved.json:1:1: not valid JSON: expected a value, found the end of the input');
  assert.equal(loadError('{"a": tru}').location.column, 7);
});

test('schema problems name the field and point at its line', () => {
  const cores = loadError(good.replace('"cores": 2', '"cores": "two"'));
  assert.equal(cores.describe(), 'saved.json:11:14: invalid report: /environment/cores must be integer');
  assert.match(loadError(good.replace('"bench": {', '"other": {')).message, /is missing "bench"/);
  assert.match(loadError(good.replace('"command": "bench"', '"command": "fly"')).message, /\/command must be one of "bench", "loadtest"/);
  assert.match(loadError('{"tool":"k6"}').message, /not an authz-perf report/);
});

test('the schema requires the section of the report\'s own command as an object', () => {
  const report = JSON.parse(good) as Record<string, unknown>;
  assert.deepEqual(validateReportShape(report), []);
  assert.equal(validateReportShape({ ...report, bench: [1] })[0]?.message, '/bench must be object');
  assert.ok(validateReportShape({ ...report, command: 'size' }).some((p) => /missing "size"/.test(p.message)));
  assert.equal(REPORT_SCHEMA.properties.schemaVersion.const, SCHEMA_VERSION);
});

test('property: the JSON locator agrees with JSON.parse on valid and truncated documents', () => {
  fc.assert(
    fc.property(fc.json(), fc.nat(), (text, cut) => {
      assert.equal(findJsonSyntaxError(text), undefined);
      const truncated = text.slice(0, cut % (text.length + 1));
      let parses = true;
      try {
        JSON.parse(truncated);
      } catch {
        parses = false;
      }
      assert.equal(findJsonSyntaxError(truncated) === undefined, parses, JSON.stringify(truncated));
    }),
    { numRuns: 300 },
  );
});

test('locateJsonPointer finds values by pointer, including escaped keys', () => {
  const text = '{\n "a/b": [1, {"c~d": true}]\n}';
  assert.deepEqual(locateJsonPointer(text, '/a~1b/1/c~0d'), { offset: 22, line: 2, column: 21 });
  assert.equal(locateJsonPointer(text, '/missing'), undefined);
});
