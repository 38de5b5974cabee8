import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runTasks, spinNs } from '../../src/bench/runner.js';
import { httpRoundTripTask } from '../../src/bench/http.js';
import { CHECK_PATH } from '../../src/engine/index.js';

const tiny = { timeMs: 10, iterations: 20, warmupMs: 0, warmupIterations: 0 };

test('runTasks reports every statistic in nanoseconds with ops/s = 1e9 / mean', async () => {
  let calls = 0;
  const { results, errors } = await runTasks([{ id: 'spin', name: 'spin 20 µs', fn: () => { calls++; spinNs(20_000); } }], tiny);
  assert.deepEqual(errors, []);
  const r = results[0]!;
  assert.equal(r.id, 'spin');
  assert.ok(r.samples >= 20 && calls >= r.samples);
  assert.ok(r.meanNs >= 20_000, `mean ${r.meanNs} ns should include the 20 µs spin`);
  assert.ok(r.minNs <= r.p50Ns && r.p50Ns <= r.p75Ns && r.p75Ns <= r.p99Ns && r.p99Ns <= r.p999Ns && r.p999Ns <= r.maxNs);
  assert.ok(Math.abs(r.opsPerSec - 1e9 / r.meanNs) < 1e-6);
  assert.ok(r.rmePercent >= 0 && Number.isFinite(r.rmePercent));
});

test('a task that throws is reported as an error and does not stop the others', async () => {
  const { results, errors } = await runTasks(
    [
      { id: 'boom', name: 'boom', fn: () => { throw new Error('no policy for kind x\nstack'); } },
      { id: 'ok', name: 'ok', fn: () => 1 },
    ],
    tiny,
  );
  assert.deepEqual(errors, ['boom: no policy for kind x']);
  assert.deepEqual(results.map((r) => r.id), ['ok']);
});

test('the HTTP round-trip task posts each body in turn over one keep-alive connection', async () => {
  const seen: string[] = [];
  const sockets = new Set<unknown>();
  const server = http.createServer((req, res) => {
    sockets.add(req.socket);
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"results":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const rt = httpRoundTripTask(`http://127.0.0.1:${port}`, ['{"a":1}', '{"a":2}']);
  try {
    const { results, errors } = await runTasks([rt.task], { ...tiny, iterations: 10 });
    assert.deepEqual(errors, []);
    assert.ok(results[0]!.samples >= 10);
    assert.equal(seen[0], `POST ${CHECK_PATH} {"a":1}`);
    assert.equal(seen[1], `POST ${CHECK_PATH} {"a":2}`);
    assert.equal(seen[2], `POST ${CHECK_PATH} {"a":1}`);
    assert.equal(sockets.size, 1);
  } finally {
    await rt.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the HTTP task fails on a non-2xx status with the server message', async () => {
  const server = http.createServer((_req, res) => { res.statusCode = 400; res.end('bad request: principal missing'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const rt = httpRoundTripTask(`http://127.0.0.1:${port}`, ['{}']);
  try {
    const { errors } = await runTasks([rt.task], { ...tiny, iterations: 2 });
    assert.match(errors[0]!, /HTTP 400 .*principal missing/);
  } finally {
    await rt.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
