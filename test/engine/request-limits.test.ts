import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_REQUEST_LIMITS,
  RequestLimitError,
  checkCountLimits,
  checkJsonLimits,
  compilePolicySources,
  createEngine,
  startServer,
} from '../../src/engine/index.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** Nesting depth and longest string (UTF-8 bytes of its JSON spelling) computed from the value. */
function reference(value: unknown): { depth: number; longest: number } {
  const stringBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s)) - 2;
  if (typeof value === 'string') return { depth: 0, longest: stringBytes(value) };
  if (typeof value !== 'object' || value === null) return { depth: 0, longest: 0 };
  let depth = 0;
  let longest = 0;
  const entries: Array<[string | null, unknown]> = Array.isArray(value) ? value.map((v) => [null, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    const inner = reference(v);
    depth = Math.max(depth, inner.depth);
    longest = Math.max(longest, inner.longest, key === null ? 0 : stringBytes(key));
  }
  return { depth: depth + 1, longest };
}

const refusal = (fn: () => void): RequestLimitError | null => {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof RequestLimitError, String(err));
    return err;
  }
};

test('property: the byte scan refuses exactly the JSON texts deeper or with longer strings than the limits', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(100_000)), (value, maxJsonDepth, maxStringBytes) => {
      const { depth, longest } = reference(value);
      const err = refusal(() => checkJsonLimits(bytes(JSON.stringify(value)), { maxJsonDepth, maxStringBytes }));
      assert.equal(err !== null, depth > maxJsonDepth || longest > maxStringBytes, JSON.stringify(value));
      if (err !== null && longest <= maxStringBytes) assert.match(err.message, /\(--max-json-depth\)$/);
      if (err !== null && depth <= maxJsonDepth) assert.match(err.message, /\(--max-string-bytes\)$/);
    }),
    { numRuns: 2000 },
  );
});

test('brackets and quotes inside strings do not count; escaped quotes do not end a string', () => {
  const limits = { maxJsonDepth: 1, maxStringBytes: 8 };
  assert.equal(refusal(() => checkJsonLimits(bytes('{"a":"[[[{{"}'), limits)), null);
  assert.equal(refusal(() => checkJsonLimits(bytes('{"a":"\\"[[\\\\"}'), limits)), null);
  assert.match(refusal(() => checkJsonLimits(bytes('{"a":"\\"123456789"}'), limits))!.message, /string of 11 bytes at byte 5 exceeds the limit of 8 bytes \(--max-string-bytes\)/);
  assert.match(refusal(() => checkJsonLimits(bytes('{"a":[1]}'), limits))!.message, /JSON nested deeper than the limit of 1 levels at byte 5 \(--max-json-depth\)/);
  // a deep document is refused at the first bracket past the limit, without parsing
  assert.match(refusal(() => checkJsonLimits(bytes('['.repeat(100_000)), DEFAULT_REQUEST_LIMITS))!.message, /at byte 32 /);
});

test('resources and actions are counted before the body is validated', () => {
  const limits = { maxResources: 2, maxActions: 3 };
  const entry = (actions: unknown): unknown => ({ resource: { kind: 'k', id: 'i' }, actions });
  assert.equal(refusal(() => checkCountLimits({ resources: [entry(['a', 'b', 'c']), entry('x')] }, limits)), null);
  assert.equal(refusal(() => checkCountLimits({ resources: 'nope' }, limits)), null);
  const many = refusal(() => checkCountLimits({ resources: [1, 2, 3] }, limits))!;
  assert.equal(many.field, 'resources');
  assert.equal(many.message, 'resources: 3 resources exceed the limit of 2 per request (--max-resources)');
  const actions = refusal(() => checkCountLimits({ resources: [entry(['a']), entry(['a', 'b', 'c', 'd'])] }, limits))!;
  assert.equal(actions.field, 'resources[1].actions');
  assert.equal(actions.message, 'resources[1].actions: 4 actions exceed the limit of 3 per resource (--max-actions)');
});

const policy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["*"]
      effect: EFFECT_ALLOW
      roles: [user]
`;
const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }]));
const server = await startServer(engine, { port: 0 });
after(() => server.close());

async function post(body: unknown): Promise<{ status: number; json: { code?: number; message?: string; field?: string; results?: unknown[] } }> {
  const res = await fetch(`${server.url}/api/check/resources`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { code?: number; message?: string; field?: string } };
}

const request = (resources: number, actions: number, attr: unknown = {}): unknown => ({
  principal: { id: 'p', roles: ['user'] },
  resources: Array.from({ length: resources }, (_, i) => ({
    resource: { kind: 'doc', id: `d${i}`, attr },
    actions: Array.from({ length: actions }, (_, j) => `a${j}`),
  })),
});

test('serve: at the default limits a request is answered; one over each limit is a 400 naming the limit', async () => {
  const ok = await post(request(50, 50));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.results?.length, 50);

  const cases: Array<[unknown, string, RegExp]> = [
    [request(51, 1), 'resources', /51 resources exceed the limit of 50 per request \(--max-resources\)/],
    [request(1, 51), 'resources[0].actions', /51 actions exceed the limit of 50 per resource \(--max-actions\)/],
    [request(1, 1, { deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown }), 'body', /nested deeper than the limit of 32 levels .*--max-json-depth/],
    [request(1, 1, { long: 'x'.repeat(65_537) }), 'body', /string of 65537 bytes .*exceeds the limit of 65536 bytes \(--max-string-bytes\)/],
  ];
  for (const [body, field, message] of cases) {
    const res = await post(body);
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 400);
    assert.equal(res.json.field, field);
    assert.match(res.json.message!, message);
  }
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^authz_perf_request_limit_refusals_total 4$/m);
});

test('serve: the limits are options', async () => {
  const strict = await startServer(engine, { port: 0, limits: { maxResources: 1, maxJsonDepth: 5 } });
  try {
    const send = async (body: unknown): Promise<number> => (await fetch(`${strict.url}/api/check/resources`, { method: 'POST', body: JSON.stringify(body) })).status;
    assert.equal(await send(request(1, 1)), 200);
    assert.equal(await send(request(2, 1)), 400);
    // body → resources → entry → resource → attr is depth 5
    assert.equal(await send(request(1, 1, { a: [] })), 400);
  } finally {
    await strict.close();
  }
});
