/** Cerbos's start-up log → one line. The log lines are shaped like those Cerbos 0.55 writes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { startupFailure } from '../../src/targets/cerbos-startup-error.js';

const OTEL = '{"log.level":"warn","@timestamp":"2026-01-01T00:00:00.000Z","log.logger":"cerbos.otel","message":"Disabling OTLP traces"}';

function record(fields: Record<string, unknown>): string {
  return JSON.stringify({ 'log.level': 'error', '@timestamp': '2026-01-01T00:00:00.000Z', 'log.logger': 'cerbos.index', ...fields });
}

test('a compilation error inside "Failed to start server": file, line, column and message', () => {
  const f = startupFailure([
    OTEL,
    record({ message: 'Failed to start server', error: 'failed to load policies: policy compilation error: 2 compilation errors:\na/b.yaml:11:11: Invalid expression `x ==`: [Syntax error] (invalid expression)\nc.yaml:3:1: other problem' }),
    'cerbos: error: failed to create rule table',
    '               a/b.yaml:11:11: Invalid expression `x ==`',
  ]);
  assert.deepEqual(f, { file: 'a/b.yaml', line: 11, column: 11, message: 'Invalid expression `x ==`: [Syntax error] (invalid expression)', more: 1 });
});

test('"Index build failed" load failures, missing imports and duplicates name their file', () => {
  const loadFailure = startupFailure([
    record({ message: 'Index build failed', load_failures: [{ file: 'odd.yaml', error: 'unknown field "rulez"', error_details: { kind: 1, position: { line: 5, column: 3, path: '$.x' }, message: 'unknown field "rulez"' } }] }),
    record({ message: 'Failed to start server', error: 'failed to build index: load failures=1' }),
  ]);
  assert.deepEqual(loadFailure, { file: 'odd.yaml', line: 5, column: 3, message: 'unknown field "rulez"', more: 0 });

  const missing = startupFailure([
    record({
      message: 'Index build failed',
      missing: [{ importing_file: 'p.yaml', desc: "cannot find derived roles 'nope'", position: { line: 5, column: 24 } }],
      duplicates: [{ file: 'dup.yaml', other_file: 'p.yaml', policy: 'resource.x.vdefault', position: { line: 1, column: 11 } }],
    }),
  ]);
  assert.deepEqual(missing, { file: 'p.yaml', line: 5, column: 24, message: "cannot find derived roles 'nope'", more: 1 });

  const duplicate = startupFailure([record({ message: 'Index build failed', duplicates: [{ file: 'dup.yaml', other_file: 'p.yaml', policy: 'resource.x.vdefault' }] })]);
  assert.deepEqual(duplicate, { file: 'dup.yaml', message: 'duplicate definition of resource.x.vdefault (also in p.yaml)', more: 0 });
});

test('no file named: the error record, else the "cerbos: error:" line, else the last line', () => {
  assert.deepEqual(startupFailure([OTEL, record({ message: 'Failed to start server', error: 'failed to create store: failed to stat .:\nno such file' })]), {
    message: 'failed to create store: failed to stat .: no such file',
    more: 0,
  });
  assert.deepEqual(startupFailure(['cerbos: error: listen tcp 127.0.0.1:1: bind: address already in use']), { message: 'listen tcp 127.0.0.1:1: bind: address already in use', more: 0 });
  assert.deepEqual(startupFailure(['something odd', '']), { message: 'something odd', more: 0 });
  assert.deepEqual(startupFailure([]), { message: 'no output', more: 0 });
});

test('property: any log gives one line and never throws', () => {
  const line = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => record({ message: 'Index build failed', load_failures: [v] })),
    fc.record({ file: fc.string(), error: fc.string(), position: fc.record({ line: fc.integer(), column: fc.double() }) }).map((v) => record({ message: 'x', failures: [v] })),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
      const f = startupFailure(lines);
      assert.equal(typeof f.message, 'string');
      assert.doesNotMatch(f.message, /\n/);
      assert.ok(f.more >= 0);
    }),
  );
});
