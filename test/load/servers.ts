/**
 * Tiny loopback check-API servers for load tests (127.0.0.1, ephemeral port). Each answers
 * POST /api/check/resources with one EFFECT_ALLOW result per resource and records arrival times.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface TestServerOptions {
  /** delay before answering, per request (ms) */
  delayMs?: (arrivalMs: number) => number;
  /** status code to answer with, per request */
  status?: (n: number) => number;
  /** /metrics text, per scrape */
  metrics?: (scrape: number) => string;
  /** extra response headers of a 200 check answer, per request (e.g. Server-Timing) */
  headers?: (n: number) => Record<string, string>;
}

export interface TestServer {
  url: string;
  /** performance.now() of each check request's arrival */
  arrivals: number[];
  close(): Promise<void>;
}

export async function startTestServer(o: TestServerOptions = {}): Promise<TestServer> {
  const arrivals: number[] = [];
  let scrapes = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(o.metrics ? o.metrics(scrapes++) : '');
        return;
      }
      const t = performance.now();
      arrivals.push(t);
      const n = arrivals.length;
      const answer = (): void => {
        const status = o.status ? o.status(n) : 200;
        if (status !== 200) {
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end('nope');
          return;
        }
        let resources: Array<{ resource: { id: string; kind: string }; actions: string[] }> = [];
        try {
          resources = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resources: typeof resources }).resources;
        } catch {
          // answer with no results: the generator counts a mismatch
        }
        const body = JSON.stringify({
          requestId: 'x',
          results: resources.map((r) => ({ resource: { id: r.resource.id, kind: r.resource.kind }, actions: Object.fromEntries(r.actions.map((a) => [a, 'EFFECT_ALLOW'])) })),
        });
        res.writeHead(200, { 'content-type': 'application/json', ...(o.headers ? o.headers(n) : {}) });
        res.end(body);
      };
      const delay = o.delayMs ? o.delayMs(t) : 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A simple check request with `n` resources. */
export function checkRequest(i: number, n = 1): { requestId: string; principal: { id: string; roles: string[] }; resources: Array<{ resource: { kind: string; id: string }; actions: string[] }> } {
  return {
    requestId: `r${i}`,
    principal: { id: `u${i % 7}`, roles: ['user'] },
    resources: Array.from({ length: n }, (_, k) => ({ resource: { kind: 'document', id: `d${i}-${k}` }, actions: ['view'] })),
  };
}
