/**
 * The open model over gRPC (load/grpc-sender.ts) has the same coordinated-omission correction as
 * over HTTP: a server that stalls 1 s in every 10 s shows the stall in corrected p99, not in
 * service time. Bounded: 10 s at 100 req/s against a gRPC server on 127.0.0.1 that this test
 * starts and stops. Decisions are checked by the source's verify on the decoded response.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import grpc from '@grpc/grpc-js';
import { CHECK_RESOURCES_METHOD, decodeCheckRequest, encodeCheckResponse } from '../../src/util/cerbos-grpc-codec.js';
import { grpcConnector } from '../../src/load/grpc-sender.js';
import { runOpenModel } from '../../src/load/open-model.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { LoadShape } from '../../src/load/schedule.js';
import { buildSection } from '../../src/load/section.js';
import type { LoadtestConfig } from '../../src/load/types.js';
import type { CheckRequest, CheckResponse } from '../../src/engine/types.js';

const requests: CheckRequest[] = Array.from({ length: 50 }, (_, i) => ({
  requestId: `r${i}`,
  principal: { id: `u${i % 7}`, roles: ['user'] },
  resources: [{ resource: { kind: 'document', id: `d${i}` }, actions: ['view', 'edit'] }],
}));
/** what the stub server answers: view allowed for even principals, edit always denied */
function answer(r: CheckRequest): CheckResponse {
  return {
    requestId: r.requestId!,
    results: r.resources.map((e) => ({ resource: { id: e.resource.id, kind: e.resource.kind }, actions: { view: Number(r.principal.id.slice(1)) % 2 === 0 ? 'EFFECT_ALLOW' : 'EFFECT_DENY', edit: 'EFFECT_DENY' } })),
  } as CheckResponse;
}
const source = buildRequestSource(requests, requests.map(answer));

async function startStallingServer(stallMs: (t: number) => number): Promise<{ address: string; calls: () => number; close: () => Promise<void> }> {
  const server = new grpc.Server();
  const id = (b: Buffer): Buffer => b;
  let calls = 0;
  server.addService(
    { CheckResources: { path: CHECK_RESOURCES_METHOD, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
    {
      CheckResources: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        calls++;
        const json = decodeCheckRequest(call.request) as unknown as CheckRequest;
        const reply = (): void => callback(null, encodeCheckResponse(JSON.parse(JSON.stringify(answer(json)))));
        const wait = stallMs(performance.now());
        if (wait > 0) setTimeout(reply, wait);
        else reply();
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, calls: () => calls, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

function config(rps: number, durationS: number, maxConnections: number): LoadtestConfig {
  return { model: 'open', targetUrl: 'grpc://127.0.0.1', bundledTarget: false, scenario: null, profile: null, seed: 1, stages: [{ durationS, target: rps }], plannedDurationS: durationS, maxConnections, timeoutMs: 5000, thinkTimeMs: null, requestPoolSize: 50, lateThresholdMs: 10 };
}

test('gRPC: a server stalling 1 s in every 10 s shows in corrected p99 but not in service time', async () => {
  let firstMs: number | null = null;
  // from the first call on: 1 s of every 10 s (seconds 4..5 of each period) answers only when it ends
  const server = await startStallingServer((t) => {
    firstMs ??= t;
    const inPeriod = (t - firstMs) % 10_000;
    return inPeriod >= 4000 && inPeriod < 5000 ? 5000 - inPeriod : 0;
  });
  const connector = grpcConnector(server.address, 2);
  try {
    const run = await runOpenModel({ origin: 'grpc://unused', timeoutMs: 5000, source, shape: new LoadShape([{ durationS: 10, target: 100 }], 100), maxConnections: 4, lateThresholdMs: 10, senders: connector.senders(source, 5000) });
    const s = buildSection(run, config(100, 10, 4), []);
    assert.equal(s.counts.scheduled, 1000);
    assert.equal(s.counts.succeeded, 1000, `every request is answered and its decisions match (${JSON.stringify(s.errors)})`);
    assert.equal(s.errors.mismatch, 0);
    assert.ok(s.latency.corrected!.p99Ms! >= 500, `corrected p99 ${s.latency.corrected!.p99Ms} ms should show the 1 s stall`);
    assert.ok(s.latency.corrected!.maxMs >= 900, `corrected max ${s.latency.corrected!.maxMs} ms`);
    assert.ok(s.latency.service.p99Ms! < 500, `service p99 ${s.latency.service.p99Ms} ms should not`);
    assert.ok(s.counts.late >= 50, `requests that waited for a sender are late (${s.counts.late})`);
    assert.ok(server.calls() >= 1000);
  } finally {
    connector.close();
    await server.close();
  }
});

test('gRPC: a decision that differs from the expected one is a mismatch, an unreachable server a connect error', async () => {
  const server = await startStallingServer(() => 0);
  const wrong = buildRequestSource(requests, requests.map((r) => ({ ...answer(r), results: answer(r).results.map((x) => ({ ...x, actions: { view: 'EFFECT_DENY', edit: 'EFFECT_DENY' } })) }) as CheckResponse));
  const connector = grpcConnector(server.address, 1);
  try {
    const run = await runOpenModel({ origin: 'grpc://unused', timeoutMs: 2000, source: wrong, shape: new LoadShape([{ durationS: 1, target: 50 }], 50), maxConnections: 4, lateThresholdMs: 10, senders: connector.senders(wrong, 2000) });
    const s = buildSection(run, config(50, 1, 4), []);
    assert.ok(s.errors.mismatch > 0 && s.errors.mismatch < 50, `${s.errors.mismatch} mismatches (even principals' views differ)`);
  } finally {
    connector.close();
    await server.close();
  }
  const gone = grpcConnector(server.address, 1);
  try {
    const run = await runOpenModel({ origin: 'grpc://unused', timeoutMs: 1000, source, shape: new LoadShape([{ durationS: 0.5, target: 20 }], 20), maxConnections: 2, lateThresholdMs: 10, senders: gone.senders(source, 1000) });
    const s = buildSection(run, config(20, 0.5, 2), []);
    assert.equal(s.counts.succeeded, 0);
    assert.ok(s.errors.connect > 0, JSON.stringify(s.errors));
  } finally {
    gone.close();
  }
});
