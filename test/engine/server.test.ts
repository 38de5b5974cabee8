import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createEngine, compilePolicySources, startServer, type CheckResponse } from '../../src/engine/index.js';

const policy = `
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
    - actions: [edit]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: R.attr.owner == P.id
`;
const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: policy }]), { celTiming: true });
const server = await startServer(engine, { port: 0, bodyLimitBytes: 4096 });
after(() => server.close());

const batch = {
  requestId: 'r1',
  principal: { id: 'alice', roles: ['user'], attr: {} },
  resources: [
    { resource: { kind: 'doc', id: 'd1', attr: { owner: 'alice' } }, actions: ['view', 'edit', 'delete'] },
    { resource: { kind: 'doc', id: 'd2', attr: { owner: 'bob' } }, actions: ['view', 'edit'] },
    { resource: { kind: 'other', id: 'o1' }, actions: ['view'] },
  ],
};

async function post(body: string, path = '/api/check/resources'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  assert.ok(line, `metric ${name} present`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('listens on 127.0.0.1 with an ephemeral port', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);
});

test('a Cerbos-shaped batch request is answered correctly', async () => {
  const { status, json } = await post(JSON.stringify(batch));
  assert.equal(status, 200);
  const res = json as unknown as CheckResponse;
  assert.equal(res.requestId, 'r1');
  assert.deepEqual(
    res.results.map((r) => [r.resource, r.actions]),
    [
      [{ id: 'd1', kind: 'doc' }, { view: 'EFFECT_ALLOW', edit: 'EFFECT_ALLOW', delete: 'EFFECT_DENY' }],
      [{ id: 'd2', kind: 'doc' }, { view: 'EFFECT_ALLOW', edit: 'EFFECT_DENY' }],
      [{ id: 'o1', kind: 'other' }, { view: 'EFFECT_DENY' }],
    ],
  );
});

test('/metrics counters move with requests', async () => {
  const before = await (await fetch(server.url + '/metrics')).text();
  await post(JSON.stringify(batch));
  await post(JSON.stringify(batch));
  const res = await fetch(server.url + '/metrics');
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.equal(metricValue(text, 'authz_perf_decisions_total{effect="EFFECT_ALLOW"}') - metricValue(before, 'authz_perf_decisions_total{effect="EFFECT_ALLOW"}'), 6);
  assert.equal(metricValue(text, 'authz_perf_decisions_total{effect="EFFECT_DENY"}') - metricValue(before, 'authz_perf_decisions_total{effect="EFFECT_DENY"}'), 6);
  assert.equal(metricValue(text, 'authz_perf_check_duration_seconds_count') - metricValue(before, 'authz_perf_check_duration_seconds_count'), 2);
  assert.ok(metricValue(text, 'authz_perf_decision_cache_hits_total') >= metricValue(before, 'authz_perf_decision_cache_hits_total') + 4);
  assert.ok(metricValue(text, 'authz_perf_decision_cache_misses_total') >= 2);
  assert.ok(metricValue(text, 'authz_perf_cel_evaluation_seconds_total') > 0);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'authz_perf_check_duration_seconds_bucket']) {
    assert.match(text, new RegExp(`^${name}`, 'm'));
  }
});

test('check responses carry Server-Timing: engine;dur=<ms>, handler;dur=<ms>', async () => {
  const res = await fetch(server.url + '/api/check/resources', { method: 'POST', body: JSON.stringify(batch) });
  await res.arrayBuffer();
  const header = res.headers.get('server-timing') ?? '';
  const m = /^engine;dur=(\d+(?:\.\d{1,3})?), handler;dur=(\d+(?:\.\d{1,3})?)$/.exec(header);
  assert.ok(m, header);
  assert.ok(Number(m[1]) <= Number(m[2]), 'the decision is part of the handler time');
});

test('malformed JSON → 400 naming the body', async () => {
  const { status, json } = await post('{"principal": ');
  assert.equal(status, 400);
  assert.equal(json['field'], 'body');
  assert.match(String(json['message']), /malformed JSON/);
});

test('missing or wrong fields → 400 naming the field', async () => {
  const cases: Array<[unknown, string]> = [
    [{ resources: batch.resources }, 'principal'],
    [{ principal: { roles: ['user'] }, resources: batch.resources }, 'principal.id'],
    [{ principal: { id: 'a', roles: 'user' }, resources: batch.resources }, 'principal.roles'],
    [{ principal: batch.principal }, 'resources'],
    [{ principal: batch.principal, resources: [] }, 'resources'],
    [{ principal: batch.principal, resources: [{ resource: { kind: 'doc' }, actions: ['view'] }] }, 'resources[0].resource.id'],
    [{ principal: batch.principal, resources: [{ resource: { kind: 'doc', id: 'x' }, actions: ['view', 3] }] }, 'resources[0].actions[1]'],
    [{ principal: batch.principal, resources: [{ resource: { kind: 'doc', id: 'x', attr: [] }, actions: ['view'] }] }, 'resources[0].resource.attr'],
    [[1, 2], 'body'],
  ];
  for (const [body, field] of cases) {
    const { status, json } = await post(JSON.stringify(body));
    assert.equal(status, 400, field);
    assert.equal(json['field'], field);
    assert.ok(String(json['message']).startsWith(field + ':'), String(json['message']));
  }
});

test('unknown route → 404, wrong method → 405, /health → SERVING', async () => {
  const missing = await fetch(server.url + '/nope');
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { message: string }).message, /no route GET \/nope/);
  const get = await fetch(server.url + '/api/check/resources');
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  await get.arrayBuffer();
  const health = await fetch(server.url + '/health');
  assert.deepEqual(await health.json(), { status: 'SERVING' });
});

test('a body over the limit → 413, and the server keeps serving', async () => {
  const big = JSON.stringify({ ...batch, padding: 'x'.repeat(5000) });
  const { status, json } = await post(big);
  assert.equal(status, 413);
  assert.match(String(json['message']), /exceeds the limit of 4096 bytes/);
  // chunked (no content-length): the limit is enforced while streaming
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(server.url + '/api/check/resources', { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
    req.end();
  });
  assert.equal(chunked, 413);
  assert.equal((await post(JSON.stringify(batch))).status, 200);
});

test('connections are kept alive', async () => {
  const agentReq = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(server.url + '/health', { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['connection'] ?? 'keep-alive')));
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await agentReq(), 'keep-alive');
});

test('two servers have separate registries; close is idempotent', async () => {
  const other = await startServer(engine, { port: 0 });
  assert.notEqual(other.metrics.registry, server.metrics.registry);
  await Promise.all([other.close(), other.close()]);
  await assert.rejects(fetch(other.url + '/health'));
});
