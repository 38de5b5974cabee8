/**
 * The default transport for a target URL: undici keep-alive connections. The raw-socket sender
 * (raw-connection.ts) spends about a third of the CPU per request and is what bench:generator
 * measures; it is not the default yet because against a target far past its capacity it kept the
 * target backlogged for minutes after the run (timed-out sockets reconnect and resend while the
 * target still works on the abandoned requests).
 */
import { undiciSenders, type RequestSource } from './connection.js';
import type { SenderFactory } from './sender.js';

export function httpSenders(origin: string, source: RequestSource, timeoutMs: number): SenderFactory {
  return undiciSenders(origin, source, timeoutMs);
}
