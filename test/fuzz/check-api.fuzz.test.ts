import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicySources, createEngine, startServer } from '../../src/engine/index.js';
import { FUZZ_PARAMETERS, FUZZ_RUNS, assertCleanMessage, assertNoStackTrace, mutatedJson, withinCaseLimit } from './support.js';

const policy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
    - actions: [edit, "share:*"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          all:
            of:
              - expr: R.attr.owner == P.id
              - expr: R.attr.tags.exists(t, t.startsWith("pub"))
              - expr: size(P.attr.groups) < 10 || P.attr.level > 3
`;
const serverErrors: Error[] = [];
const server = await startServer(createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }])), {
  port: 0,
  bodyLimitBytes: 64 * 1024,
  onError: (err) => serverErrors.push(err),
});
after(() => server.close());

const valid = {
  requestId: 'r',
  includeMeta: true,
  principal: { id: 'alice', roles: ['user'], attr: { groups: ['a'], level: 4 }, scope: 'acme' },
  resources: [
    { resource: { kind: 'doc', id: 'd1', attr: { owner: 'alice', tags: ['public'] } }, actions: ['view', 'edit', 'share:link'] },
    { resource: { kind: 'doc', id: 'd2', attr: { owner: 'bob', tags: 7 }, policyVersion: 'default' }, actions: ['edit'] },
  ],
};

/** Bodies a hostile or careless client sends: mutated valid requests, any JSON, broken text, extremes. */
const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: mutatedJson(valid).map((v) => JSON.stringify(v) ?? '') },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => `{"principal":{"id":"a","roles":["user"],"attr":{"x":${'['.repeat(n)}${']'.repeat(n)}}},"resources":[]}`) },
  { weight: 1, arbitrary: fc.integer({ min: 40, max: 80 }).map((n) => JSON.stringify({ ...valid, resources: Array.from({ length: n }, () => valid.resources[0]) })) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }).map((n) => JSON.stringify({ ...valid, requestId: 'x'.repeat(n) })) },
);

const ANSWERS = new Set([200, 400, 413, 422]);

test(`check API over HTTP: ${FUZZ_RUNS} hostile bodies get 200 or a 4xx with one clean line, never a 5xx or a stack trace`, async () => {
  await fc.assert(
    fc.asyncProperty(body, async (text) => {
      const res = await withinCaseLimit('POST /api/check/resources', () => fetch(`${server.url}/api/check/resources`, { method: 'POST', body: text }));
      const answer = await res.text();
      assert.ok(ANSWERS.has(res.status), `status ${res.status} for ${text.slice(0, 200)}: ${answer.slice(0, 200)}`);
      assertNoStackTrace(answer);
      const json = JSON.parse(answer) as { code?: number; message?: string; results?: unknown[] };
      if (res.status === 200) assert.ok(Array.isArray(json.results));
      else {
        assert.equal(json.code, res.status);
        assertCleanMessage(json.message ?? '');
      }
    }),
    FUZZ_PARAMETERS,
  );
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  assert.deepEqual(serverErrors, []);
});
