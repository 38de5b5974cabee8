/** The raw sender's HTTP/1.1 response parser (fast-check: any split of any valid stream parses alike) and the raw sender end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResponseParser, type ParsedResponse } from '../../src/load/http1-parser.js';
import { rawHttpSenders } from '../../src/load/raw-connection.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import type { RequestSender } from '../../src/load/sender.js';
import { checkRequest, startTestServer } from './servers.js';

interface Spec {
  status: number;
  body: string;
  chunked: boolean;
  timing: string | null;
  close: boolean;
}

function encode(r: Spec): Buffer {
  const head = [`HTTP/1.1 ${r.status} X`, 'content-type: application/json'];
  if (r.timing !== null) head.push(`Server-Timing: ${r.timing}`);
  if (r.close) head.push('Connection: close');
  const body = Buffer.from(r.body);
  if (!r.chunked) return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const parts: Buffer[] = [Buffer.from(`${head.join('\r\n')}\r\nTransfer-Encoding: chunked\r\n\r\n`)];
  for (let i = 0; i < body.length; i += 7) {
    const c = body.subarray(i, i + 7);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const spec = fc.record({
  status: fc.constantFrom(200, 201, 204, 400, 404, 500, 503),
  body: fc.string({ maxLength: 60 }),
  chunked: fc.boolean(),
  timing: fc.option(fc.constantFrom('engine;dur=0.4, handler;dur=0.9', 'handler;dur=2', 'x;desc="a,b"')),
  close: fc.boolean(),
}).map((r) => (r.status === 204 ? { ...r, body: '', chunked: false } : r));

test('any stream of responses, split at any points, parses to the same responses', () => {
  fc.assert(
    fc.property(fc.array(spec, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 12 }), (specs, cuts) => {
      const stream = Buffer.concat(specs.map(encode));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const got: ParsedResponse[] = [];
      const p = new ResponseParser(() => true);
      let at = 0;
      for (const cut of [...points, stream.length]) {
        p.feed(stream.subarray(at, cut), (r) => got.push(r));
        at = cut;
      }
      assert.equal(got.length, specs.length);
      specs.forEach((s, i) => {
        assert.equal(got[i]!.status, s.status);
        assert.equal(got[i]!.body!.toString(), s.body);
        assert.equal(got[i]!.serverTiming, s.timing);
        assert.equal(got[i]!.close, s.close);
      });
      assert.equal(p.midResponse, false);
    }),
    { numRuns: 2000 },
  );
});

test('bodies are kept only when asked; garbage is an error, never a hang', () => {
  const p = new ResponseParser((status) => status !== 200);
  const got: ParsedResponse[] = [];
  p.feed(encode({ status: 200, body: 'ok', chunked: false, timing: null, close: false }), (r) => got.push(r));
  p.feed(encode({ status: 500, body: 'bad', chunked: true, timing: null, close: false }), (r) => got.push(r));
  assert.deepEqual(got.map((r) => [r.status, r.body?.toString() ?? null]), [[200, null], [500, 'bad']]);
  for (const bad of ['NOPE\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])
    assert.throws(() => new ResponseParser(() => true).feed(Buffer.from(bad), () => undefined), Error, bad);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        new ResponseParser(() => true).feed(Buffer.from(bytes), () => undefined);
      } catch (err) {
        assert.ok(err instanceof Error);
      }
    }),
    { numRuns: 2000 },
  );
});

test('the raw sender against a real server: statuses, Server-Timing, verification, connection refused', async () => {
  const server = await startTestServer({ status: (n) => (n === 3 ? 503 : 200), headers: () => ({ 'server-timing': 'engine;dur=0.1, handler;dur=0.2' }) });
  try {
    const source = buildRequestSource([checkRequest(0, 2)], null);
    const done: Array<[boolean, string, number, number | null]> = [];
    let resolveNext: () => void = () => undefined;
    const make = rawHttpSenders(server.url, source, 2000);
    const sender = make({
      onDone(s: RequestSender, ok, kind, status) {
        done.push([ok, kind, status, s.serverTiming?.handlerMs ?? null]);
        resolveNext();
      },
    });
    for (let i = 0; i < 4; i++) {
      const next = new Promise<void>((r) => (resolveNext = r));
      sender.send(0, i, i, i);
      await next;
    }
    await sender.close();
    assert.deepEqual(done, [
      [true, 'other', 200, 0.2],
      [true, 'other', 200, 0.2],
      [false, 'status', 503, null],
      [true, 'other', 200, 0.2],
    ]);
  } finally {
    await server.close();
  }
  const gone = await startTestServer();
  const url = gone.url;
  await gone.close();
  const result = await new Promise<string>((resolve) => {
    const s = rawHttpSenders(url, buildRequestSource([checkRequest(0)], null), 2000)({ onDone: (_s, ok, kind) => resolve(`${ok} ${kind}`) });
    s.send(0, 0, 0, 0);
  });
  assert.equal(result, 'false connect');
});
