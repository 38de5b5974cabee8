/**
 * Before a run against --target: one check request, so a wrong URL is one clear line instead of
 * a run full of errors. Connection refused, a timeout, or HTTP 404 on the check path fail the
 * check; any other answer (even an error status) lets the run start and count it.
 */
import { request } from 'undici';
import { classifyError } from './connection.js';
import { UsageError } from '../util/errors.js';

export interface PreflightInput {
  /** scheme://host:port */
  origin: string;
  path: string;
  body: Buffer;
  timeoutMs: number;
}

/** Throws a UsageError naming the target and what went wrong. */
export async function preflightTarget(p: PreflightInput): Promise<void> {
  const where = `${p.origin}${p.path}`;
  let status: number;
  try {
    const res = await request(where, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: p.body,
      headersTimeout: p.timeoutMs,
      bodyTimeout: p.timeoutMs,
      signal: AbortSignal.timeout(p.timeoutMs),
    });
    status = res.statusCode;
    await res.body.dump();
  } catch (err) {
    const kind = classifyError(err);
    const code = (err as { code?: unknown }).code;
    const aborted = (err as { name?: unknown }).name === 'TimeoutError' || (err as { name?: unknown }).name === 'AbortError';
    if (kind === 'timeout' || aborted) throw new UsageError(`--target: ${where} did not answer within ${p.timeoutMs / 1000} s`);
    if (code === 'ECONNREFUSED') throw new UsageError(`--target: ${p.origin}: connection refused (is the service running?)`);
    throw new UsageError(`--target: ${where}: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  if (status === 404) throw new UsageError(`--target: ${where} answered HTTP 404: no check API on that path (give the service's base URL)`);
}
