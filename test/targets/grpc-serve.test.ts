/**
 * Cerbos's gRPC API on both sides: the codec round-trips any check request (property), `serve
 * --grpc-port` answers CheckResources with the decisions the engine gives over HTTP, bad bytes are
 * INVALID_ARGUMENT, and `loadtest --protocol grpc` against the reference engine and (where the
 * binary runs) the real Cerbos writes a report with a server view and no mismatches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { CHECK_RESOURCES_METHOD, decodeCheckRequest, decodeCheckResponse, encodeCheckRequest } from '../../src/util/cerbos-grpc-codec.js';
import { startGrpcServer } from '../../src/engine/grpc-server.js';
import { createEngine, loadPolicySet, toCheckRequest, type CheckRequest } from '../../src/engine/index.js';
import { createRequestStream, loadScenario, takeRequests } from '../../src/scenario/index.js';
import type { LoadtestReport } from '../../src/report/types.js';
import { findCerbos } from '../../src/targets/cerbos.js';
import { runCli } from '../helpers/cli.js';

const lookup = await findCerbos();
const skip = lookup.found ? false : `Cerbos binary not available (${lookup.reason})`;

const name = fc.stringMatching(/^[a-z][a-z0-9_:-]{0,8}$/);
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -1e6, max: 1e6 }), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }));
const attrs = fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/), fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), leaf, { maxKeys: 2 })), { maxKeys: 4 });
const request = fc.record({
  requestId: name,
  principal: fc.record({ id: name, roles: fc.array(name, { minLength: 1, maxLength: 3 }), attr: attrs, scope: fc.constantFrom(undefined, 'acme', 'acme.hr'), policyVersion: fc.constantFrom(undefined, 'default', '20240101') }, { requiredKeys: ['id', 'roles', 'attr'] }),
  resources: fc.array(fc.record({ resource: fc.record({ kind: name, id: name, attr: attrs }), actions: fc.uniqueArray(name, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
});

test('property: a check request survives REST JSON → protobuf → REST JSON unchanged', () => {
  fc.assert(
    fc.property(request, (r) => {
      const json = JSON.parse(JSON.stringify(r)) as CheckRequest;
      assert.deepEqual(withoutEmptyAttr(toCheckRequest(decodeCheckRequest(encodeCheckRequest(JSON.stringify(json))))), withoutEmptyAttr(toCheckRequest(json)));
    }),
    { numRuns: 300 },
  );
});

test('property: bytes that are not a CheckResourcesRequest throw instead of decoding to garbage silently, or decode to a request', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeCheckRequest(bytes);
      } catch (err) {
        assert.ok(err instanceof Error);
      }
    }),
    { numRuns: 300 },
  );
});

/** protobuf has no empty-versus-absent map: `attr: {}` comes back absent, which checks the same */
function withoutEmptyAttr(r: CheckRequest): CheckRequest {
  const drop = <T extends { attr?: object }>(x: T): T => (x.attr && Object.keys(x.attr).length === 0 ? (({ attr: _a, ...rest }) => rest as T)(x) : x);
  return { ...r, principal: drop(r.principal), resources: r.resources.map((e) => ({ ...e, resource: drop(e.resource) })) };
}

function call(client: grpc.Client, body: Buffer): Promise<Buffer> {
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve, reject) => client.makeUnaryRequest(CHECK_RESOURCES_METHOD, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r!))));
}

test('our gRPC server answers CheckResources with the engine decisions; bad bytes are INVALID_ARGUMENT', async () => {
  const scenario = await loadScenario('multi-tenant');
  const engine = createEngine(await loadPolicySet(scenario.policyDir), { cache: false, globals: scenario.globals });
  const server = await startGrpcServer(engine, { port: 0 });
  const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
  try {
    for (const r of takeRequests(createRequestStream(scenario, { seed: 3 }), 200)) {
      const response = decodeCheckResponse(await call(client, encodeCheckRequest(JSON.stringify(r)))) as { results: Array<{ actions: Record<string, string> }> };
      const expected = engine.check(r);
      assert.deepEqual(response.results.map((x) => x.actions), expected.results.map((x) => x.actions));
    }
    await assert.rejects(call(client, Buffer.from([0xff, 0xff, 0xff])), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT);
    await assert.rejects(call(client, encodeCheckRequest({ principal: { id: 'p', roles: ['r'] }, resources: [] })), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /resources/.test(err.details));
  } finally {
    client.close();
    await server.close();
  }
});

for (const engine of ['reference', 'cerbos'] as const) {
  test(`loadtest --protocol grpc --engine ${engine}: no mismatches, a server view that counted the calls`, { skip: engine === 'cerbos' ? skip : false }, async () => {
    const run = await runCli(['loadtest', '--protocol', 'grpc', '--engine', engine, '--scenario', 'abac-cel', '--rps', '100', '--duration', '2s', '--warmup', '0', '--no-slo', '--json', '--no-report']);
    assert.equal(run.code, 0, run.stderr);
    const s = (JSON.parse(run.stdout) as LoadtestReport).loadtest;
    assert.match(s.config.targetUrl, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.counts.succeeded, s.counts.scheduled);
    assert.equal(s.errors.mismatch, 0);
    assert.ok(s.server && (s.server.cpuSeconds ?? 0) > 0, JSON.stringify(s.server));
    assert.ok((s.server.requests ?? 0) >= s.counts.scheduled, `server counted ${s.server.requests} of ${s.counts.scheduled}`);
    if (engine === 'cerbos') assert.ok((s.server.cerbos?.grpcCalls ?? 0) >= s.counts.scheduled);
  });
}

test('loadtest --protocol grpc: flags it does not combine with are usage errors', async () => {
  for (const [args, message] of [
    [['--rps', '10', '--in-process'], /^authz-perf: --protocol grpc: the in-process engine has no gRPC listener/],
    [['--vus', '2'], /^authz-perf: --protocol grpc runs the open model/],
    [['--rps', '10', '--target', 'http://127.0.0.1/x/y'], /^authz-perf: --target: with --protocol grpc, give HOST:PORT/],
  ] as const) {
    const run = await runCli(['loadtest', '--protocol', 'grpc', '--duration', '1s', '--no-report', ...args]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
  }
});
