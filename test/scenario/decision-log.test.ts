/** Cerbos decision logs (file audit backend, JSON lines) → the check requests that were sent. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDecisionLog } from '../../src/scenario-init/index.js';
import { InputError } from '../../src/util/errors.js';
import { PACKAGE_ROOT } from '../../src/util/version.js';

const SAMPLE_LOG = join(PACKAGE_ROOT, 'test', 'scenario', 'fixtures', 'decisions.jsonl');

test('the sample log: decisions become requests in order; access-log and PlanResources lines are skipped', async () => {
  const log = parseDecisionLog(await readFile(SAMPLE_LOG, 'utf8'), SAMPLE_LOG);
  assert.equal(log.calls.length, 5);
  assert.equal(log.skipped, 2);
  assert.deepEqual(log.calls.map((c) => c.line), [1, 3, 4, 6, 7]);
  const second = log.calls[1]!;
  assert.equal(second.callId, '01JCALL0002');
  assert.equal(second.atMs - log.calls[0]!.atMs, 250);
  assert.equal(second.request.requestId, 'req-2');
  assert.deepEqual(second.request.principal.roles, ['user', 'manager']);
  assert.deepEqual(
    second.request.resources.map((r) => [r.resource.kind, r.resource.id, r.actions]),
    [['document', 'doc-2', ['view']], ['expense', 'exp-1', ['approve']]],
  );
  assert.equal(second.request.resources[1]!.resource.attr?.amount, 120.5);
});

test('a bad line is an InputError at file:line', () => {
  const good = '{"log.kind":"decision","callId":"a","timestamp":"2026-01-01T00:00:00Z","checkResources":{"inputs":[{"principal":{"id":"p","roles":["r"]},"resource":{"kind":"k","id":"1"},"actions":["view"]}]}}';
  const cases: Array<[string, number, RegExp]> = [
    [`${good}\nnot json`, 2, /not a JSON decision-log entry/],
    [`${good}\n\n[1,2]`, 3, /must be a JSON object/],
    [good.replace('"2026-01-01T00:00:00Z"', '"yesterday"'), 1, /timestamp must be an RFC 3339 time/],
    [good.replace('"roles":["r"]', '"roles":"r"'), 1, /principal\.roles/],
    [good.replace(/"inputs":\[.*\]\}\}$/, '"inputs":[]}}'), 1, /non-empty list/],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(
      () => parseDecisionLog(text, 'd.log'),
      (err: unknown) => err instanceof InputError && err.location.file === 'd.log' && err.location.line === line && message.test(err.message),
      text,
    );
  }
});

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
const attrValue = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -1000, max: 1000 }), fc.boolean(), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }));
const attrs = fc.dictionary(name, attrValue, { maxKeys: 4 });
const loggedRequest = fc.record({
  principal: fc.record({ id: name, roles: fc.array(name, { minLength: 1, maxLength: 3 }), attr: attrs }),
  resources: fc.array(fc.record({ resource: fc.record({ kind: name, id: name, attr: attrs }), actions: fc.array(name, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 4 }),
  atMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
});

test('property: any logged CheckResources call parses back to the request that was logged', () => {
  fc.assert(
    fc.property(fc.array(loggedRequest, { minLength: 1, maxLength: 5 }), (calls) => {
      const text = calls
        .map((c, i) =>
          JSON.stringify({
            'log.kind': 'decision',
            callId: `c${i}`,
            timestamp: new Date(c.atMs).toISOString(),
            checkResources: { inputs: c.resources.map((r) => ({ requestId: `r${i}`, principal: c.principal, resource: r.resource, actions: r.actions })), outputs: [] },
          }),
        )
        .join('\n');
      const log = parseDecisionLog(text, 'p.log');
      assert.equal(log.calls.length, calls.length);
      log.calls.forEach((call, i) => {
        const c = calls[i]!;
        assert.equal(call.atMs, c.atMs);
        assert.equal(call.request.principal.id, c.principal.id);
        assert.deepEqual(call.request.principal.roles, c.principal.roles);
        assert.deepEqual(call.request.resources.map((r) => [r.resource.kind, r.resource.id, r.actions]), c.resources.map((r) => [r.resource.kind, r.resource.id, r.actions]));
      });
    }),
    { numRuns: 200 },
  );
});

test('property: arbitrary text either parses or fails as an InputError with a line, never otherwise', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 5 }), (lines) => {
      try {
        parseDecisionLog(lines.join('\n'), 'x.log');
      } catch (err) {
        assert.ok(err instanceof InputError, String(err));
        assert.ok((err.location.line ?? 0) >= 1);
      }
    }),
    { numRuns: 300 },
  );
});
