/**
 * compareWithCerbos against a stand-in Cerbos (a loopback server answering from our own engine,
 * with chosen answers altered), so the comparison itself is tested without the binary.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePolicySources, createEngine, type CheckRequest, type CheckResponse } from '../../src/engine/index.js';
import { cerbosBody, compareWithCerbos, describeDifference } from '../../src/targets/differential.js';

const POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: doc
  rules:
    - actions: [view]
      effect: EFFECT_ALLOW
      roles: [user]
    - actions: [edit]
      effect: EFFECT_ALLOW
      roles: [owner]
`;

const engine = createEngine(compilePolicySources([{ file: 'doc.yaml', text: POLICY }]), { cache: false });

function request(i: number): CheckRequest {
  return {
    requestId: `r${i}`,
    principal: { id: `u${i}`, roles: i % 2 === 0 ? ['user'] : ['owner'], scope: i % 3 === 0 ? 'acme' : '' },
    resources: [
      { resource: { kind: 'doc', id: `d${i}`, attr: {} }, actions: ['view', 'edit'] },
      { resource: { kind: 'doc', id: `e${i}`, attr: {}, policyVersion: 'default' }, actions: ['view'] },
    ],
  };
}

interface StandIn {
  url: string;
  seen: string[];
  close(): Promise<void>;
}

/** Answers like our engine, except: `flip` request ids get view flipped on their first resource, `refuse` ids get 400, `drop` ids lose edit. */
async function standIn(o: { flip?: Set<string>; refuse?: Set<string>; drop?: Set<string>; delayMs?: (id: string) => number }): Promise<StandIn> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CheckRequest & { requestId: string };
      seen.push(body.requestId);
      setTimeout(() => {
        if (req.url !== '/api/check/resources' || o.refuse?.has(body.requestId)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 3, message: 'invalid scope' }));
          return;
        }
        const answer = structuredClone(engine.check(body)) as CheckResponse;
        const first = answer.results[0]!.actions;
        if (o.flip?.has(body.requestId)) first['view'] = first['view'] === 'EFFECT_ALLOW' ? 'EFFECT_DENY' : 'EFFECT_ALLOW';
        if (o.drop?.has(body.requestId)) delete first['edit'];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }, o.delayMs?.(body.requestId) ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

test('agreeing answers: every action counted, no differences, counts per kind and action', async () => {
  const s = await standIn({});
  try {
    const requests = Array.from({ length: 40 }, (_, i) => request(i));
    const r = await compareWithCerbos({ requests, engine, cerbosUrl: s.url, concurrency: 5 });
    assert.equal(r.requests, 40);
    assert.equal(r.actions, 40 * 3);
    assert.equal(r.differingActions, 0);
    assert.deepEqual(r.differences, []);
    assert.deepEqual(r.perAction, [
      { kind: 'doc', action: 'edit', actions: 40, differing: 0 },
      { kind: 'doc', action: 'view', actions: 80, differing: 0 },
    ]);
    assert.equal(new Set(s.seen).size, 40, 'each request sent once');
  } finally {
    await s.close();
  }
});

test('flipped, missing and refused answers are differences, kept in request order even when answers arrive out of order', async () => {
  const s = await standIn({
    flip: new Set(['r3', 'r10', 'r30']),
    drop: new Set(['r5']),
    refuse: new Set(['r7']),
    // later requests answer first
    delayMs: (id) => Math.max(0, 40 - Number(id.slice(1))),
  });
  try {
    const requests = Array.from({ length: 40 }, (_, i) => request(i));
    const r = await compareWithCerbos({ requests, engine, cerbosUrl: s.url, concurrency: 8, maxDifferences: 4 });
    // r3, r10, r30: one view each; r5: edit; r7: all 3 actions
    assert.equal(r.differingActions, 3 + 1 + 3);
    assert.equal(r.cerbosErrors, 1);
    assert.deepEqual(
      r.differences.map((d) => [d.requestIndex, d.resource.id, d.action]),
      [
        [3, 'd3', 'view'],
        [5, 'd5', 'edit'],
        [7, 'd7', 'view'],
        [7, 'd7', 'edit'],
      ],
    );
    const [flipped, dropped, refused] = r.differences;
    assert.deepEqual(flipped!.principal, { id: 'u3', roles: ['owner'], scope: 'acme' });
    assert.equal(flipped!.reference, 'EFFECT_DENY');
    assert.equal(flipped!.cerbos, 'EFFECT_ALLOW');
    assert.equal(dropped!.cerbos, null);
    assert.equal(refused!.cerbosError, 'HTTP 400: invalid scope');
    assert.equal(
      describeDifference(flipped!),
      'request 3 principal u3 roles [owner] scope=acme resource doc/d3 action view: reference EFFECT_DENY, cerbos EFFECT_ALLOW',
    );
    assert.match(describeDifference(dropped!), /action edit: reference EFFECT_ALLOW, cerbos no effect$/);
    assert.match(describeDifference(refused!), /cerbos error \(HTTP 400: invalid scope\)$/);
    assert.deepEqual(
      r.perAction.map((a) => [a.action, a.differing]),
      [
        ['edit', 2],
        ['view', 5],
      ],
    );
  } finally {
    await s.close();
  }
});

test('an unreachable Cerbos is an error, not a difference', async () => {
  const s = await standIn({});
  await s.close();
  await assert.rejects(compareWithCerbos({ requests: [request(0)], engine, cerbosUrl: s.url }), /ECONNREFUSED|connect/);
});

test('property: the body sent to Cerbos holds exactly the API fields of the request', () => {
  const attr = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 3 });
  const id = fc.string({ minLength: 1, maxLength: 8 });
  const arbitraryRequest = fc.record({
    principal: fc.record(
      { id, roles: fc.array(id, { minLength: 1, maxLength: 3 }), attr, scope: fc.constantFrom('', 'a', 'a.b'), policyVersion: fc.constantFrom('default', 'v2') },
      { requiredKeys: ['id', 'roles'] },
    ),
    resources: fc.array(
      fc.record({
        resource: fc.record({ kind: id, id, attr, scope: fc.constantFrom('', 'x.y'), policyVersion: fc.constantFrom('default', 'v1') }, { requiredKeys: ['kind', 'id'] }),
        actions: fc.array(id, { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    auxData: fc.option(fc.record({ jwt: fc.record({ token: fc.string() }), jwtClaims: fc.constant({ sub: 'x' }) }), { nil: undefined }),
  });
  fc.assert(
    fc.property(arbitraryRequest, fc.string(), (req, requestId) => {
      const body = JSON.parse(cerbosBody(req as CheckRequest, requestId)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), req.auxData ? ['auxData', 'principal', 'requestId', 'resources'] : ['principal', 'requestId', 'resources']);
      assert.equal(body['requestId'], requestId);
      // JSON round trip on both sides: fast-check's dictionaries have no prototype
      const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
      assert.deepEqual(body['principal'], json({ attr: {}, ...req.principal }));
      assert.deepEqual(body['resources'], json(req.resources.map((e) => ({ actions: e.actions, resource: { attr: {}, ...e.resource } }))));
      if (req.auxData) assert.deepEqual(body['auxData'], json({ jwt: req.auxData.jwt }));
    }),
  );
});
