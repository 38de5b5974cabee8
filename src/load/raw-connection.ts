/**
 * The fast HTTP/1.1 sender for plain http:// targets: one keep-alive TCP socket, at most one
 * request in flight, and every request pre-serialised once per body (request line, headers and
 * body in one Buffer, written with one call). Responses go through ResponseParser, which keeps
 * the body only when it is checked or an error. This spends far less CPU per request than a
 * general-purpose client, so the generator leaves the shared cores to the target.
 * A closed or broken socket is reopened on the next send.
 */
import net from 'node:net';
import { classifyError, type RequestSource } from './connection.js';
import { ResponseParser, type ParsedResponse } from './http1-parser.js';
import { parseServerTiming } from './server-timing.js';
import type { RequestSender, SenderEvents, SenderFactory, ServerTiming } from './sender.js';

/** Each body of `source` as a complete request: head + body in one buffer. */
export function serialiseRequests(origin: URL, source: RequestSource): Buffer[] {
  const host = origin.host;
  return source.bodies.map((body) =>
    Buffer.concat([
      Buffer.from(`POST ${source.path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: ${body.length}\r\n\r\n`, 'latin1'),
      body,
    ]),
  );
}

/** Raw senders for http:// origins; they share one set of serialised requests. */
export function rawHttpSenders(origin: string, source: RequestSource, timeoutMs: number): SenderFactory {
  const url = new URL(origin);
  const wire = serialiseRequests(url, source);
  const port = Number(url.port || 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return (events) => new RawConnection(host, port, url, source, wire, events, timeoutMs);
}

export class RawConnection implements RequestSender {
  intendedMs = 0;
  scheduledMs = 0;
  sentMs = 0;
  serverTiming: ServerTiming | null = null;
  private socket: net.Socket | null = null;
  private bodyIndex = 0;
  private busy = false;
  private closed = false;
  private readonly parser: ResponseParser;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly origin: URL,
    private readonly source: RequestSource,
    private readonly wire: readonly Buffer[],
    private readonly events: SenderEvents,
    private readonly timeoutMs: number,
  ) {
    this.parser = new ResponseParser((status) => status < 200 || status >= 300 || this.source.verify !== null);
  }

  send(bodyIndex: number, intendedMs: number, scheduledMs: number, sentMs: number, body?: Buffer): void {
    this.bodyIndex = bodyIndex;
    this.intendedMs = intendedMs;
    this.scheduledMs = scheduledMs;
    this.sentMs = sentMs;
    this.serverTiming = null;
    this.busy = true;
    const bytes = body ? serialiseRequests(this.origin, { ...this.source, bodies: [body] })[0]! : this.wire[bodyIndex]!;
    const socket = this.socket ?? this.connect();
    socket.write(bytes);
  }

  close(): Promise<void> {
    this.closed = true;
    const s = this.socket;
    this.socket = null;
    if (!s || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(this.timeoutMs);
    const onData = (chunk: Buffer): void => {
      try {
        this.parser.feed(chunk, this.onResponse);
      } catch (err) {
        this.fail(socket, err instanceof Error ? err : new Error(String(err)), 'other');
      }
    };
    socket.on('data', onData);
    socket.on('timeout', () => {
      if (this.busy) this.fail(socket, Object.assign(new Error('response timed out'), { code: 'ETIMEDOUT' }), 'timeout');
      else socket.destroy();
    });
    socket.on('error', (err) => this.fail(socket, err, classifyError(err)));
    socket.on('close', () => {
      if (this.busy) this.fail(socket, Object.assign(new Error('connection closed before the response ended'), { code: 'ECONNRESET' }), 'other');
      if (this.socket === socket) this.socket = null;
    });
    return socket;
  }

  private readonly onResponse = (r: ParsedResponse): void => {
    if (!this.busy) return;
    this.busy = false;
    if (r.serverTiming !== null) this.serverTiming = parseServerTiming(r.serverTiming);
    if (r.close) this.drop();
    if (r.status < 200 || r.status >= 300) {
      this.events.onDone(this, false, 'status', r.status, r.body ? r.body.toString('utf8', 0, Math.min(r.body.length, 480)).slice(0, 120) : '');
      return;
    }
    if (this.source.verify) {
      const reason = this.source.verify(this.bodyIndex, r.body ? r.body.toString('utf8') : '');
      if (reason !== null) {
        this.events.onDone(this, false, 'mismatch', r.status, reason);
        return;
      }
    }
    this.events.onDone(this, true, 'other', r.status, '');
  };

  private fail(socket: net.Socket, err: Error, kind: ReturnType<typeof classifyError>): void {
    if (this.socket === socket) this.drop();
    else socket.destroy();
    if (!this.busy || this.closed) return;
    this.busy = false;
    this.events.onDone(this, false, kind, 0, err.message || String(err));
  }

  /** Forgets the socket (a new one is opened on the next send) and a half-read response. */
  private drop(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
    this.parser.reset();
  }
}
