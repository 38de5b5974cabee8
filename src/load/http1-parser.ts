/**
 * An incremental HTTP/1.1 response parser for the load generator's raw connections: status,
 * the headers the generator reads (Content-Length, Transfer-Encoding: chunked, Connection,
 * Server-Timing), and the body, fed in chunks split anywhere. One parser per connection, reset
 * after each response; the body is only kept when the caller asks for it.
 */

export interface ParsedResponse {
  status: number;
  /** raw Server-Timing value(s), comma-joined; null when absent */
  serverTiming: string | null;
  /** the server will close the connection after this response */
  close: boolean;
  /** the body when kept, else null */
  body: Buffer | null;
}

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers';

const CRLF2 = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

export class ResponseParser {
  private state: State = 'head';
  private buf: Buffer | null = null;
  private remaining = 0;
  private status = 0;
  private serverTiming: string | null = null;
  private close = false;
  private bodyParts: Buffer[] = [];
  /** a 1xx response precedes the real one */
  private informational = false;

  constructor(private readonly keepBody: (status: number) => boolean) {}

  /** Feeds bytes; calls `onResponse` for each complete response. Throws on a malformed stream. */
  feed(chunk: Buffer, onResponse: (r: ParsedResponse) => void): void {
    const data = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = null;
    let pos = 0;
    while (pos < data.length) {
      if (this.state === 'head') {
        const end = data.indexOf(CRLF2, pos);
        if (end < 0) {
          if (data.length - pos > MAX_HEAD_BYTES) throw new Error('response head larger than 64 KiB');
          this.buf = data.subarray(pos);
          return;
        }
        this.parseHead(data.toString('latin1', pos, end));
        pos = end + 4;
        if (this.informational) {
          this.informational = false;
          continue;
        }
        if ((this.state as State) === 'body' && this.remaining === 0) this.emit(onResponse);
        continue;
      }
      if (this.state === 'body' || this.state === 'chunk-data') {
        const n = Math.min(this.remaining, data.length - pos);
        if (this.keeping()) this.bodyParts.push(data.subarray(pos, pos + n));
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          if (this.state === 'body') this.emit(onResponse);
          else this.state = 'chunk-crlf';
        }
        continue;
      }
      // chunk-size, chunk-crlf and trailers are line-based
      const eol = data.indexOf('\r\n', pos, 'latin1');
      if (eol < 0) {
        if (data.length - pos > MAX_HEAD_BYTES) throw new Error('chunk line larger than 64 KiB');
        this.buf = data.subarray(pos);
        return;
      }
      const line = data.toString('latin1', pos, eol);
      pos = eol + 2;
      if (this.state === 'chunk-crlf') {
        if (line !== '') throw new Error('chunk data not followed by CRLF');
        this.state = 'chunk-size';
      } else if (this.state === 'chunk-size') {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]+$/.test(line.split(';')[0]!.trim())) throw new Error(`bad chunk size '${line.slice(0, 20)}'`);
        if (size === 0) this.state = 'trailers';
        else {
          this.remaining = size;
          this.state = 'chunk-data';
        }
      } else if (line === '') this.emit(onResponse);
    }
  }

  /** Forgets a partly read response (its connection is gone). */
  reset(): void {
    this.state = 'head';
    this.buf = null;
    this.remaining = 0;
    this.bodyParts = [];
    this.informational = false;
  }

  /** True between the first byte of a response and its end. */
  get midResponse(): boolean {
    return this.state !== 'head' || this.buf !== null;
  }

  private keeping(): boolean {
    return this.keepBody(this.status);
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP/1.x response: '${lines[0]!.slice(0, 40)}'`);
    this.status = Number(m[1]);
    if (this.status >= 100 && this.status < 200) {
      this.informational = true;
      return;
    }
    let length: number | null = null;
    let chunked = false;
    this.close = lines[0]!.startsWith('HTTP/1.0');
    this.serverTiming = null;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw new Error(`bad Content-Length '${value.slice(0, 20)}'`);
        length = Number(value);
      } else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'connection') this.close = value.toLowerCase().includes('close') ? true : value.toLowerCase().includes('keep-alive') ? false : this.close;
      else if (name === 'server-timing') this.serverTiming = this.serverTiming === null ? value : `${this.serverTiming}, ${value}`;
    }
    this.bodyParts = [];
    if (chunked) this.state = 'chunk-size';
    else if (length !== null) {
      this.state = 'body';
      this.remaining = length;
    } else if (this.status === 204 || this.status === 304) {
      this.state = 'body';
      this.remaining = 0;
    } else throw new Error('response without Content-Length or chunked encoding');
  }

  private emit(onResponse: (r: ParsedResponse) => void): void {
    const parts = this.bodyParts;
    const body = this.keeping() ? (parts.length === 1 ? parts[0]! : Buffer.concat(parts)) : null;
    const r: ParsedResponse = { status: this.status, serverTiming: this.serverTiming, close: this.close, body };
    this.state = 'head';
    this.bodyParts = [];
    this.remaining = 0;
    onResponse(r);
  }
}
