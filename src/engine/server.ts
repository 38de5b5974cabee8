/**
 * The engine over HTTP, Cerbos-shaped: POST /api/check/resources, GET /health, GET /metrics.
 * node:http with keep-alive; a body limit (413); malformed JSON or a bad request shape → 400 with a
 * JSON error naming the field; unknown route → 404; wrong method → 405. A handler error answers
 * 500 and never takes the process down.
 */
import { answerCerbosRoute } from './cerbos-routes.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from './engine.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { AuxDataError, createJwtDecoder, UNVERIFIED_NOTICE, type JwtOptions } from './aux-data.js';
import { RequestShapeError, toCheckRequest } from './request.js';

export interface ServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 3592; 0 picks a free port */
  port?: number;
  /** default 1 MiB */
  bodyLimitBytes?: number;
  /**
   * Errors of the listening server after start (e.g. EMFILE when accepting under load); the
   * server keeps serving. Without a listener Node would throw them and end the process.
   */
  onError?: (err: Error) => void;
  /** how JWTs in `auxData` become claims: a key set to verify against (else decode only) */
  jwt?: JwtOptions;
  /**
   * Called once, on the first request with a JWT, when tokens are decoded without verification
   * (the message to print is UNVERIFIED_NOTICE).
   */
  onNotice?: (message: string) => void;
}

export interface RunningServer {
  /** `http://host:port` */
  url: string;
  port: number;
  metrics: ServerMetrics;
  /** stops accepting, closes idle and active connections */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 3592;
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

const CHECK_PATH = '/api/check/resources';
const JSON_TYPE = 'application/json';

interface ErrorBody {
  code: number;
  message: string;
  field?: string;
}

function send(res: ServerResponse, status: number, body: string, type = JSON_TYPE, extra?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string, field?: string, extra?: Record<string, string>): void {
  const body: ErrorBody = { code: status, message };
  if (field !== undefined) body.field = field;
  send(res, status, JSON.stringify(body), JSON_TYPE, extra);
}

class BodyTooLarge extends Error {}

/** Reads the whole body, rejecting (without buffering the rest) once it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}

export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const metrics = createServerMetrics(engine);
  const jwt = createJwtDecoder(options.jwt);
  let noticeGiven = jwt.verifies;

  const handleCheck = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const t0 = process.hrtime.bigint();
    let raw: Buffer;
    try {
      raw = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // the rest of the body is not read: close the connection after answering
        sendError(res, 413, `request body exceeds the limit of ${limit} bytes`, undefined, { connection: 'close' });
        return 413;
      }
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      sendError(res, 400, `malformed JSON: ${(err as Error).message}`, 'body');
      return 400;
    }
    let check;
    try {
      check = toCheckRequest(body);
    } catch (err) {
      if (err instanceof RequestShapeError) {
        sendError(res, 400, err.message, err.field);
        return 400;
      }
      throw err;
    }
    if (check.auxData?.jwt !== undefined) {
      if (!noticeGiven) {
        noticeGiven = true;
        options.onNotice?.(UNVERIFIED_NOTICE);
      }
      try {
        const claims = await jwt.claims(check.auxData);
        if (claims !== undefined) check.auxData.jwtClaims = claims;
      } catch (err) {
        if (err instanceof AuxDataError) {
          sendError(res, 400, err.message, err.field);
          return 400;
        }
        throw err;
      }
    }
    const response = engine.check(check);
    send(res, 200, JSON.stringify(response));
    metrics.observeCheck(Number(process.hrtime.bigint() - t0) / 1e9, response);
    return 200;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<[string, number]> => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    switch (path) {
      case CHECK_PATH:
        if (req.method !== 'POST') {
          sendError(res, 405, `${req.method ?? ''} not allowed on ${CHECK_PATH}; use POST`, undefined, { allow: 'POST' });
          return [path, 405];
        }
        return [path, await handleCheck(req, res)];
      case '/health':
      case '/_cerbos/health':
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          sendError(res, 405, `use GET on ${path}`, undefined, { allow: 'GET, HEAD' });
          return ['/health', 405];
        }
        send(res, 200, '{"status":"SERVING"}');
        return ['/health', 200];
      case '/metrics':
        if (req.method !== 'GET') {
          sendError(res, 405, 'use GET on /metrics', undefined, { allow: 'GET' });
          return [path, 405];
        }
        send(res, 200, await metrics.text(), metrics.contentType);
        return [path, 200];
      default:
        if (path.startsWith('/api/') || path.startsWith('/admin/')) return answerCerbosRoute(req, res, path)!;
        sendError(res, 404, `no route ${req.method ?? ''} ${path}; routes: POST ${CHECK_PATH}, GET /health, GET /metrics`);
        return ['other', 404];
    }
  };

  const server = createServer({ keepAlive: true }, (req, res) => {
    route(req, res).then(
      ([name, code]) => metrics.observeHttp(name, code),
      (err: unknown) => {
        metrics.observeHttp('error', 500);
        if (!res.headersSent) sendError(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
        else res.destroy();
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      server.on('error', (err) => options.onError?.(err));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    metrics,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
