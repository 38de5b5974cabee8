/** The default transport for a target URL: raw sockets for http://, undici for https://. */
import { undiciSenders, type RequestSource } from './connection.js';
import { rawHttpSenders } from './raw-connection.js';
import type { SenderFactory } from './sender.js';

export function httpSenders(origin: string, source: RequestSource, timeoutMs: number): SenderFactory {
  return new URL(origin).protocol === 'http:' ? rawHttpSenders(origin, source, timeoutMs) : undiciSenders(origin, source, timeoutMs);
}
