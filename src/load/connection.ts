/**
 * One keep-alive HTTP/1.1 connection with at most one request in flight (undici Client,
 * pipelining 1): the HTTP implementation of RequestSender. The connection object is its own
 * dispatch handler and reuses its request options, so sending a request allocates almost nothing
 * beyond what undici itself needs. A `Server-Timing` header on the response is read.
 */
import { Client } from 'undici';
import type { Dispatcher } from 'undici';
import type { ErrorClass } from './recorder.js';
import type { RequestSender, SenderEvents, SenderFactory, ServerTiming } from './sender.js';
import { parseServerTiming } from './server-timing.js';
import type { CheckResponse } from '../engine/index.js';

/** What to send: pre-serialised bodies cycled by index, and an optional response check. */
export interface RequestSource {
  /** e.g. /api/check/resources */
  path: string;
  bodies: readonly Buffer[];
  /** null when the response body is acceptable, else a short reason (a decision mismatch) */
  verify: ((bodyIndex: number, body: string) => string | null) | null;
  /** what `verify` checks, as data (request-source.ts verifierOf rebuilds it in a generator thread) */
  check?: ResponseCheck;
}

/** Per body: the number of resources, and the expected response when decisions are compared. */
export interface ResponseCheck {
  resourceCounts: readonly number[];
  expected: readonly CheckResponse[] | null;
}

/** HTTP/1.1 senders to `origin` through undici (https:// targets; the raw sender covers http://). */
export function undiciSenders(origin: string, source: RequestSource, timeoutMs: number): SenderFactory {
  return (events) => new Connection(origin, source, events, timeoutMs);
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export class Connection implements Dispatcher.DispatchHandler, RequestSender {
  readonly client: Client;
  busy = false;
  intendedMs = 0;
  scheduledMs = 0;
  sentMs = 0;
  bodyIndex = 0;
  serverTiming: ServerTiming | null = null;
  private status = 0;
  private chunks: Buffer[] = [];
  private readonly options: Dispatcher.DispatchOptions;

  constructor(
    origin: string,
    private readonly source: RequestSource,
    private readonly events: SenderEvents,
    timeoutMs: number,
  ) {
    this.client = new Client(origin, {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: timeoutMs },
    });
    // errors reach the handler; this listener only keeps an unhandled 'error' event from throwing
    this.client.on('connectionError', () => {});
    this.options = { path: source.path, method: 'POST', headers: HEADERS, body: source.bodies[0] ?? '' };
  }

  /** `body` overrides the source's body (warm-up requests from another set). */
  send(bodyIndex: number, intendedMs: number, scheduledMs: number, sentMs: number, body?: Buffer): void {
    this.busy = true;
    this.bodyIndex = bodyIndex;
    this.intendedMs = intendedMs;
    this.scheduledMs = scheduledMs;
    this.sentMs = sentMs;
    this.status = 0;
    this.serverTiming = null;
    this.chunks.length = 0;
    this.options.body = body ?? this.source.bodies[bodyIndex]!;
    this.client.dispatch(this.options, this);
  }

  // undici's own handler interface (onConnect … onComplete): undici calls it directly, where a
  // handler of the newer onRequestStart … interface is wrapped per request and the response
  // headers become an object; here they stay the parser's raw name/value buffers
  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode;
    let timing: string | null = null;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (isServerTimingName(rawHeaders[i]!)) {
        const value = rawHeaders[i + 1]!.toString('latin1');
        timing = timing === null ? value : `${timing},${value}`;
      }
    }
    if (timing !== null) this.serverTiming = parseServerTiming(timing);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.source.verify || this.status < 200 || this.status >= 300) this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const status = this.status;
    this.busy = false;
    if (status < 200 || status >= 300) {
      this.events.onDone(this, false, 'status', status, this.bodyText().slice(0, 120));
      return;
    }
    if (this.source.verify) {
      const reason = this.source.verify(this.bodyIndex, this.bodyText());
      if (reason !== null) {
        this.events.onDone(this, false, 'mismatch', status, reason);
        return;
      }
    }
    this.events.onDone(this, true, 'other', status, '');
  }

  onError(err: Error): void {
    this.busy = false;
    this.events.onDone(this, false, classifyError(err), 0, err.message || String(err));
  }

  close(): Promise<void> {
    return this.client.destroy().catch(() => undefined);
  }

  private bodyText(): string {
    const c = this.chunks;
    const text = c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    c.length = 0;
    return text;
  }
}

const SERVER_TIMING = Buffer.from('server-timing', 'latin1');

/** `name` is `Server-Timing` in any letter case (compared without making a string). */
function isServerTimingName(name: Buffer): boolean {
  if (name.length !== SERVER_TIMING.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    // ASCII letters to lower case; '-' (0x2d) is unchanged by | 0x20
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== SERVER_TIMING[i]) return false;
  }
  return true;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function classifyError(err: unknown): ErrorClass {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (CONNECT_CODES.has(code)) return 'connect';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
  }
  return 'other';
}
