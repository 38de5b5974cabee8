/**
 * Child-process entry point (not part of the CLI): the bare baseline of `bench --http`. A plain
 * node:http server that reads and JSON-parses each request body like `serve`, and answers with the
 * response bytes `serve` gives for that body (precomputed), with the same headers. What `serve`
 * does beyond this is its own overhead. `node bare-server.js FILE`: FILE holds [body, response]
 * pairs as JSON; writes `listening on http://127.0.0.1:PORT` on stderr (as `serve` does, so load/target.ts
 * can start it); stops on SIGTERM/SIGINT or when its stdin (a pipe from the parent) ends.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const pairs = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Array<[string, string]>;
const responses = new Map<string, string>(pairs);
const SERVER_TIMING = 'engine;dur=0.000, handler;dur=0.000';

const server = createServer({ keepAlive: true }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    JSON.parse(text);
    const body = responses.get(text) ?? '{}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'server-timing': SERVER_TIMING });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`bare server listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// stdin is a pipe from the parent: its end means the parent is gone
process.stdin.on('end', stop);
process.stdin.resume();
