/**
 * `serve --workers 2`: two cluster workers share the port, each with its own decision cache, and
 * /metrics (answered by either worker) is the sum of both, aggregated by the primary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBundledTarget } from '../../src/load/target.js';
import { serveChildArgs, startServeChild } from '../helpers/serve-child.js';

/** One request on a new connection (the primary hands connections to workers in turn). */
function send(url: string, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, agent: false, headers: { connection: 'close', 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function metric(text: string, line: RegExp): number {
  const m = line.exec(text);
  assert.ok(m, `${line} in /metrics`);
  return Number(m[1]);
}

test('serve --workers 2: both workers answer and /metrics sums them', { timeout: 60_000 }, async () => {
  const serve = await startServeChild(
    serveChildArgs({ port: '0', host: '127.0.0.1', cache: true, scenario: 'rbac-simple', workers: '2' }, false),
    /listening on (http:\/\/\S+) .*2 workers\)/,
  );
  try {
    const url = serve.url;
    const body = JSON.stringify({ principal: { id: 'a', roles: ['viewer'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view'] }] });
    const N = 20;
    for (let i = 0; i < N; i++) assert.equal((await send(url, 'POST', '/api/check/resources', body)).status, 200);
    const { status, text } = await send(url, 'GET', '/metrics');
    assert.equal(status, 200);
    assert.equal(metric(text, /^authz_perf_workers (\S+)$/m), 2);
    assert.equal(metric(text, /^authz_perf_http_requests_total\{route="\/api\/check\/resources",code="200"\} (\S+)$/m), N);
    assert.equal(metric(text, /^authz_perf_check_duration_seconds_count (\S+)$/m), N);
    // rbac-simple's decision is condition-free: each worker's own cache misses once, then hits
    const misses = metric(text, /^authz_perf_decision_cache_misses_total (\S+)$/m);
    const hits = metric(text, /^authz_perf_decision_cache_hits_total (\S+)$/m);
    assert.equal(misses, 2, 'one miss per worker: both served, and both are counted');
    assert.equal(hits + misses, N);
  } finally {
    assert.equal(await serve.stop(), 0);
  }
});

test('serve --workers 2 as a watched child (the load generator\'s bundled target): the workers stay up and stop with it', { timeout: 60_000 }, async () => {
  // the child's parent watch must not make its cluster workers, whose parent is the primary, leave
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const target = await startBundledTarget({
    command: process.execPath,
    args: [path.join(root, 'bin/authz-perf.js'), 'serve', '--scenario', 'rbac-simple', '--host', '127.0.0.1', '--port', '0', '--workers', '2'],
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  try {
    const body = JSON.stringify({ principal: { id: 'a', roles: ['viewer'] }, resources: [{ resource: { kind: 'document', id: 'd' }, actions: ['view'] }] });
    // past the watch's first poll (250 ms): a worker that took its parent for a dead generator has left by then
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (let i = 0; i < 6; i++) assert.equal((await send(target.url, 'POST', '/api/check/resources', body)).status, 200);
    const { text } = await send(target.url, 'GET', '/metrics');
    assert.equal(metric(text, /^authz_perf_workers (\S+)$/m), 2);
  } finally {
    await target.stop();
  }
});

test('serve --workers rejects values that are not a count or auto (exit 2)', async () => {
  const { parseWorkers } = await import('../../src/cli/serve.js');
  assert.equal(parseWorkers(undefined), 1);
  assert.ok(parseWorkers('auto') >= 1);
  assert.equal(parseWorkers('3'), 3);
  for (const bad of ['0', '-1', 'two', '1.5', '1000']) assert.throws(() => parseWorkers(bad), /--workers: expected an integer between 1 and 256/);
});

test('workers do not inherit what the primary was told to run (-e, --input-type)', async () => {
  const { workerExecArgv } = await import('../../src/util/exec-argv.js');
  assert.deepEqual(workerExecArgv(['--max-old-space-size=256', '--input-type=module', '-e', 'code', '--expose-gc']), ['--max-old-space-size=256', '--expose-gc']);
  assert.deepEqual(workerExecArgv(['--input-type', 'module', '--eval', 'x']), []);
});
