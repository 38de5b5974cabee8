/**
 * Hostile cache traffic: 2,000 requests whose read attributes are 400 KB (and unique) against a real
 * `serve` process with a 256 MiB old-space limit. The byte bound keeps such entries out of the
 * decision cache, so the server stays up and its RSS stays below 300 MB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { serveChildArgs, startServeChild } from '../helpers/serve-child.js';

const REQUESTS = 2000;
const ATTR_BYTES = 400 * 1024;
const RSS_LIMIT = 300 * 1024 * 1024;

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

test('2,000 requests with 400 KB attributes: RSS stays below 300 MB under --max-old-space-size=256', { timeout: 480_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('reads RSS from /proc (Linux only)');
  // the string limit is raised so the 400 KB values reach the cache (by default they are refused with 400)
  const flags = { port: '0', host: '127.0.0.1', cache: true, scenario: 'abac-cel', maxStringBytes: String(ATTR_BYTES + 16) };
  const serve = await startServeChild(['--max-old-space-size=256', ...serveChildArgs(flags, false)]);
  const child = serve.child;
  try {
    const url = serve.url;
    // two requests in flight, so the client's work overlaps the server's
    const client = new Pool(url, { pipelining: 1, connections: 2 });
    const pad = 'x'.repeat(ATTR_BYTES);
    // the body around the request number is built once (stringifying 400 KB per request took 2.8 ms)
    const [a, b, c, d] = JSON.stringify({
      principal: { id: 'p\u0001', roles: ['user'], attr: { department: 'sales' } },
      resources: [{ resource: { kind: 'document', id: 'd\u0001', attr: { owner: `${pad}\u0001`, status: 'published' } }, actions: ['view'] }],
    }).split('\\u0001');
    let maxRss = 0;
    let next = 0;
    const send = async (): Promise<void> => {
      for (let i = next++; i < REQUESTS; i = next++) {
        // owner is read by the policies; every value is unique, so every check misses
        const body = `${a}${i}${b}${i}${c}${i}${d}`;
        const res = await client.request({ method: 'POST', path: '/api/check/resources', body, headers: { 'content-type': 'application/json' } });
        await res.body.text();
        assert.equal(res.statusCode, 200, `request ${i}`);
        if (i % 100 === 99) maxRss = Math.max(maxRss, rssBytes(child.pid!));
      }
    };
    try {
      await Promise.all([send(), send()]);
      maxRss = Math.max(maxRss, rssBytes(child.pid!));
      const health = await client.request({ method: 'GET', path: '/health' });
      assert.equal(health.statusCode, 200);
      await health.body.text();
      const metrics = await client.request({ method: 'GET', path: '/metrics' });
      const text = await metrics.body.text();
      const bytes = Number(/^authz_perf_decision_cache_bytes (\S+)$/m.exec(text)?.[1]);
      const maxBytes = Number(/^authz_perf_decision_cache_max_bytes (\S+)$/m.exec(text)?.[1]);
      assert.ok(bytes <= maxBytes, `cache bytes ${bytes} within ${maxBytes}`);
    } finally {
      await client.close();
    }
    assert.ok(maxRss < RSS_LIMIT, `max RSS ${Math.round(maxRss / 2 ** 20)} MiB < 300 MB`);
    t.diagnostic(`max RSS ${Math.round(maxRss / 2 ** 20)} MiB over ${REQUESTS} requests of ${ATTR_BYTES / 1024} KB attributes`);
  } finally {
    await serve.stop();
  }
});
