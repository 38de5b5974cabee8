/**
 * The engine over HTTP, Cerbos-shaped: POST /api/check/resources, GET /health, GET /metrics.
 * node:http with keep-alive; a body limit (413); malformed JSON or a bad request shape → 400 with a
 * JSON error naming the field; unknown route → 404; wrong method → 405. A handler error answers
 * 500 and never takes the process down. Check responses carry
 * `Server-Timing: engine;dur=<ms>, handler;dur=<ms>` (decision time, whole handler time).
 * The check path runs on callbacks (no promise unless a JWT is verified or the request names several
 * resources); metrics per request are integer counts (metrics.ts).
 *
 * The check requests of one resource read in a turn of the event loop are decided together in its
 * check phase (one setImmediate per turn), so a burst is counted in flight before it is evaluated
 * and requests over --max-inflight are refused with 503 at once (shedding.ts); a request of several
 * resources is evaluated in slices within the evaluation budget (budget.ts).
 */
import { answerCerbosRoute } from './cerbos-routes.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from './engine.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { checkResponseJson } from './response-json.js';
import { AuxDataError, createJwtDecoder, UNVERIFIED_NOTICE, type JwtOptions } from './aux-data.js';
import { CHECK_PATH, RequestShapeError, toCheckRequest } from './request.js';
import { DEFAULT_REQUEST_LIMITS, RequestLimitError, checkCountLimits, checkJsonLimits, type RequestLimits } from './request-limits.js';
import { BudgetExceededError, DEFAULT_EVAL_BUDGET_MS, checkWithinBudget } from './budget.js';
import { DEFAULT_MAX_INFLIGHT, RETRY_AFTER_S, createLoadShedder, overloadMessage } from './shedding.js';
import type { CheckRequest, CheckResponse } from './types.js';

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
  /** resources, actions, JSON depth and string length per request (default DEFAULT_REQUEST_LIMITS) */
  limits?: Partial<RequestLimits>;
  /** ms of evaluation per request before it is ended with 422 (default 500; Infinity for none) */
  evalBudgetMs?: number;
  /** check requests admitted at once; more get 503 + Retry-After (default 128) */
  maxInflight?: number;
  /** the metrics to count into (default: a new set for this server; a cluster worker passes its own) */
  metrics?: ServerMetrics;
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

const JSON_TYPE = 'application/json';

interface ErrorBody {
  code: number;
  message: string;
  field?: string;
}

function send(res: ServerResponse, status: number, body: string, type = JSON_TYPE, extra?: Record<string, string>): void {
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body) };
  if (extra !== undefined) for (const k in extra) headers[k] = extra[k]!;
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string, field?: string, extra?: Record<string, string>): void {
  const body: ErrorBody = { code: status, message };
  if (field !== undefined) body.field = field;
  send(res, status, JSON.stringify(body), JSON_TYPE, extra);
}

/** `Server-Timing` of a check response: engine = decision time, handler = whole handler time (ms). */
export function serverTiming(engineMs: number, handlerMs: number): string {
  return `engine;dur=${millis3(engineMs)}, handler;dur=${millis3(handlerMs)}`;
}

/** `ms` with three decimals, as toFixed(3) writes it, from integer microseconds (toFixed is slower). */
export function millis3(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= Number.MAX_SAFE_INTEGER)) return ms.toFixed(3);
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

class BodyTooLarge extends Error {}

type BodyCallback = (err: Error | null, body: Buffer | null) => void;

/**
 * Content-Length from the raw header list (NaN when absent): reading `req.headers` would build
 * the whole lowercased header object, which the check path needs for nothing else.
 */
function declaredLength(raw: readonly string[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return Number(raw[i + 1]);
  }
  return NaN;
}

/**
 * Reads the whole body with plain callbacks (no promise per request), failing with BodyTooLarge
 * (without buffering the rest) once it exceeds `limit` bytes.
 */
function readBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const declared = declaredLength(req.rawHeaders);
  if (declared > limit) {
    done(new BodyTooLarge(), null);
    return;
  }
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > limit) {
      finished = true;
      done(new BodyTooLarge(), null);
    } else if (first === null) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(null, chunks !== null ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0)));
  });
  req.on('error', (err) => {
    if (finished) return;
    finished = true;
    done(err, null);
  });
}

/** The path part of a request URL, without allocating when there is no query. */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export async function startServer(engine: Engine, options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const metrics = options.metrics ?? createServerMetrics(engine);
  const jwt = createJwtDecoder(options.jwt);
  let noticeGiven = jwt.verifies;
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const budget = { budgetMs: options.evalBudgetMs ?? DEFAULT_EVAL_BUDGET_MS };
  const shedder = createLoadShedder(options.maxInflight ?? DEFAULT_MAX_INFLIGHT);
  const guardCounts = { overLimit: 0, overBudget: 0 };
  metrics.attachGuards(() => ({ shed: shedder.shed, inflight: shedder.inflight, ...guardCounts }));

  const refuseOverLimit = (res: ServerResponse, err: RequestLimitError): null => {
    guardCounts.overLimit++;
    sendError(res, 400, err.message, err.field);
    return null;
  };

  /** The body as a CheckRequest, or null after answering 400. */
  const parseCheck = (res: ServerResponse, raw: Buffer): CheckRequest | null => {
    let body: unknown;
    try {
      checkJsonLimits(raw, limits);
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      if (err instanceof RequestLimitError) return refuseOverLimit(res, err);
      sendError(res, 400, `malformed JSON: ${(err as Error).message}`, 'body');
      return null;
    }
    try {
      checkCountLimits(body, limits);
      return toCheckRequest(body);
    } catch (err) {
      if (err instanceof RequestLimitError) return refuseOverLimit(res, err);
      if (!(err instanceof RequestShapeError)) throw err;
      sendError(res, 400, err.message, err.field);
      return null;
    }
  };

  /** Adds the JWT claims to `check.auxData`; false after answering 400. */
  const addClaims = async (res: ServerResponse, check: CheckRequest): Promise<boolean> => {
    if (!noticeGiven) {
      noticeGiven = true;
      options.onNotice?.(UNVERIFIED_NOTICE);
    }
    try {
      const claims = await jwt.claims(check.auxData!);
      if (claims !== undefined) check.auxData!.jwtClaims = claims;
      return true;
    } catch (err) {
      if (!(err instanceof AuxDataError)) throw err;
      sendError(res, 400, err.message, err.field);
      return false;
    }
  };

  /** Answers 500 for an error of the check path (or ends the connection if the answer had begun). */
  const internalError = (res: ServerResponse, err: unknown): void => {
    metrics.observeHttp('error', 500);
    if (!res.headersSent) sendError(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
    else res.destroy();
  };

  /** engine.check(check) and the answer; `t1` is when deciding started. Releases the admission. */
  const decideNow = (res: ServerResponse, check: CheckRequest, t0: number, t1: number): void => {
    try {
      const response = engine.check(check);
      answer(res, response, t0, performance.now() - t1);
    } catch (err) {
      internalError(res, err);
    }
    shedder.release();
  };

  // single-resource checks waiting for the check phase of this turn (parallel arrays: nothing is
  // allocated per request once they have grown)
  const waitingRes: ServerResponse[] = [];
  const waitingChecks: CheckRequest[] = [];
  const waitingT0: number[] = [];
  let drainScheduled = false;
  const drainWaiting = (): void => {
    drainScheduled = false;
    const n = waitingRes.length;
    for (let i = 0; i < n; i++) {
      const res = waitingRes[i]!;
      const check = waitingChecks[i]!;
      waitingRes[i] = undefined!;
      waitingChecks[i] = undefined!;
      decideNow(res, check, waitingT0[i]!, performance.now());
    }
    waitingRes.length = 0;
    waitingChecks.length = 0;
    waitingT0.length = 0;
  };

  /**
   * Decides a parsed check and answers it in the check phase of this turn of the event loop, so the
   * requests read in one turn are all admitted (counted in flight) before any is evaluated; a
   * request of several resources is evaluated in slices within the evaluation budget. Releases
   * the admission once answered.
   */
  const decide = (res: ServerResponse, check: CheckRequest, t0: number): void => {
    if (check.resources.length === 1) {
      waitingRes.push(res);
      waitingChecks.push(check);
      waitingT0.push(t0);
      if (!drainScheduled) {
        drainScheduled = true;
        setImmediate(drainWaiting);
      }
      return;
    }
    const t1 = performance.now();
    checkWithinBudget(engine, check, budget)
      .then(
        (response) => answer(res, response, t0, performance.now() - t1),
        (err: unknown) => {
          if (!(err instanceof BudgetExceededError)) return internalError(res, err);
          guardCounts.overBudget++;
          sendError(res, 422, err.message);
          metrics.observeHttp(CHECK_PATH, 422);
        },
      )
      .catch((err: unknown) => internalError(res, err))
      .finally(() => shedder.release());
  };

  /** Answers 200 with Server-Timing; `t0` is when the handler started (performance.now). */
  const answer = (res: ServerResponse, response: CheckResponse, t0: number, engineMs: number): void => {
    const body = checkResponseJson(response);
    const handlerMs = performance.now() - t0;
    res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', Buffer.byteLength(body), 'server-timing', serverTiming(engineMs, handlerMs)]);
    res.end(body);
    metrics.observeCheck(handlerMs / 1000, response);
    metrics.observeHttp(CHECK_PATH, 200);
  };

  /** The whole body of an admitted check request is in: parse, then decide (or answer 400). */
  const onCheckBody = (res: ServerResponse, raw: Buffer, t0: number): void => {
    let check: CheckRequest | null;
    try {
      check = parseCheck(res, raw);
    } catch (err) {
      internalError(res, err);
      shedder.release();
      return;
    }
    if (check === null) {
      metrics.observeHttp(CHECK_PATH, 400);
      shedder.release();
      return;
    }
    if (check.auxData?.jwt === undefined) return decide(res, check, t0);
    const claimed = check;
    addClaims(res, claimed).then(
      (ok) => {
        if (ok) return decide(res, claimed, t0);
        metrics.observeHttp(CHECK_PATH, 400);
        shedder.release();
      },
      (err: unknown) => {
        internalError(res, err);
        shedder.release();
      },
    );
  };

  /** Answers one POST to the check route. */
  const handleCheck = (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = performance.now();
    if (!shedder.tryAdmit()) {
      sendError(res, 503, overloadMessage(shedder.maxInflight), undefined, { 'retry-after': String(RETRY_AFTER_S) });
      metrics.observeHttp(CHECK_PATH, 503);
      req.resume();
      return;
    }
    readBody(req, limit, (err, raw) => {
      if (err === null) return onCheckBody(res, raw!, t0);
      if (err instanceof BodyTooLarge) {
        // the rest of the body is not read: close the connection after answering
        sendError(res, 413, `request body exceeds the limit of ${limit} bytes`, undefined, { connection: 'close' });
        metrics.observeHttp(CHECK_PATH, 413);
      } else internalError(res, err);
      shedder.release();
    });
  };

  /** The routes other than the check API: answered, then counted. */
  const handleOther = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<[string, number]> => {
    switch (path) {
      case CHECK_PATH:
        sendError(res, 405, `${req.method ?? ''} not allowed on ${CHECK_PATH}; use POST`, undefined, { allow: 'POST' });
        return [path, 405];
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

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req.url);
    if (path === CHECK_PATH && req.method === 'POST') return handleCheck(req, res);
    handleOther(req, res, path).then(
      ([name, code]) => metrics.observeHttp(name, code),
      (err: unknown) => internalError(res, err),
    );
  };

  const server = createServer({ keepAlive: true }, onRequest);
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
