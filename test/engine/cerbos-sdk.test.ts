/**
 * `serve` as a drop-in PDP for Cerbos's own SDK: the official @cerbos/http client checks
 * resources, asks isAllowed and reads serverInfo; a Cerbos route the reference engine does not
 * implement fails in the SDK as Cerbos's UNIMPLEMENTED error naming the route.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { HTTP } from '@cerbos/http';
import { NotOK, Status } from '@cerbos/core';
import { createEngine, loadPolicySet, startServer, type RunningServer } from '../../src/engine/index.js';
import { loadScenario } from '../../src/scenario/index.js';
import { CERBOS_COMPATIBLE_VERSION } from '../../src/engine/cerbos-routes.js';

let server: RunningServer;
let cerbos: HTTP;
before(async () => {
  const scenario = await loadScenario('rbac-simple');
  server = await startServer(createEngine(await loadPolicySet(scenario.policyDir)), { host: '127.0.0.1', port: 0 });
  cerbos = new HTTP(server.url);
});
after(async () => {
  await server.close();
});

test('checkResources and isAllowed through @cerbos/http', async () => {
  const principal = { id: 'ed', roles: ['editor'] };
  const response = await cerbos.checkResources({
    principal,
    resources: [{ resource: { kind: 'document', id: 'd1' }, actions: ['view', 'delete'] }],
    includeMetadata: true,
  });
  assert.equal(response.isAllowed({ resource: { kind: 'document', id: 'd1' }, action: 'view' }), true);
  assert.equal(response.isAllowed({ resource: { kind: 'document', id: 'd1' }, action: 'delete' }), false);
  assert.equal(response.results[0]!.metadata?.actions['view']?.matchedPolicy, 'resource.document.vdefault');
  assert.equal(await cerbos.isAllowed({ principal, resource: { kind: 'document', id: 'd2' }, action: 'edit' }), true);
  assert.equal(await cerbos.isAllowed({ principal: { id: 'g', roles: ['guest'] }, resource: { kind: 'document', id: 'd2' }, action: 'edit' }), false);
});

test('serverInfo: the Cerbos version the engine follows, with authz-perf as build metadata', async () => {
  const info = await cerbos.serverInfo();
  assert.match(info.version, new RegExp(`^${CERBOS_COMPATIBLE_VERSION.replaceAll('.', '\\.')}\\+authz-perf\\.`));
  assert.match(info.commit, /^authz-perf-/);
  assert.ok(!Number.isNaN(Date.parse(info.buildDate)), info.buildDate);
});

test('a Cerbos route the reference engine does not implement: UNIMPLEMENTED, naming the route', async () => {
  await assert.rejects(
    cerbos.planResources({ principal: { id: 'ed', roles: ['editor'] }, resource: { kind: 'document' }, action: 'view' }),
    (err: unknown) => err instanceof NotOK && err.code === Status.UNIMPLEMENTED && /POST \/api\/plan\/resources is not supported by the reference engine/.test(err.details),
  );
  const res = await fetch(`${server.url}/api/x/nope`);
  assert.equal(res.status, 501);
  assert.deepEqual(Object.keys((await res.json()) as object), ['code', 'message']);
  const other = await fetch(`${server.url}/nope`);
  assert.equal(other.status, 404, 'paths outside the Cerbos API are still 404');
  await other.body?.cancel();
});

test('any other path under /api/ or /admin/: 501 with Cerbos error shape, any method', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('/api/', '/admin/'),
      fc.stringMatching(/^[a-z_/]{1,20}$/),
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      async (prefix, rest, method) => {
        const path = `${prefix}${rest}`;
        fc.pre(path !== '/api/check/resources' && path !== '/api/server_info');
        const res = await fetch(`${server.url}${path}`, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
        const body = (await res.json()) as { code: number; message: string };
        assert.equal(res.status, 501);
        assert.equal(body.code, 12);
        assert.ok(body.message.startsWith(`${method} ${path} is not supported`), body.message);
      },
    ),
    { numRuns: 40 },
  );
});
