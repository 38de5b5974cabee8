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

test('a schemaVersion 1 analyze-cel report is read as the current version: worst listed, every expression in the index', () => {
  const text = readFileSync(new URL('analyze-cel-v1-report.json', FIXTURES), 'utf8');
  const v1 = JSON.parse(text) as { schemaVersion: number; celAnalysis: { expressions: Array<{ id: string; cost: { maxCostUnits: number | null } }> } };
  assert.equal(v1.schemaVersion, 1);
  const report = loadReport(text, 'old.json');
  assert.equal(report.schemaVersion, SCHEMA_VERSION);
  assert.ok(report.command === 'analyze-cel');
  const s = report.celAnalysis;
  assert.equal(s.index.rows.length, v1.celAnalysis.expressions.length);
  const ids = s.index.rows.map((r) => `${s.index.origins[r[0]]!.file}:${r[1]}:${r[2]}`);
  assert.deepEqual(ids, v1.celAnalysis.expressions.map((e) => e.id));
  assert.deepEqual(s.index.rows.map((r) => r[4]), v1.celAnalysis.expressions.map((e) => e.cost.maxCostUnits));
  assert.ok(s.expressions.length <= 100 && s.expressions.length === Math.min(100, v1.celAnalysis.expressions.length));
  assert.equal(s.distributions.maxCost.counts.reduce((a, b) => a + b, 0) + s.distributions.maxCost.unbounded, s.index.rows.length);
  assert.ok(s.policies.length > 0, 'the fixture holds policy expressions');
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
  assert.equal(REPORT_SCHEMA.properties.schemaVersion.maximum, SCHEMA_VERSION);
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
