/**
 * Closed-loop cross-check with autocannon on the same target and requests: how many requests/s a
 * well-known generator gets out of the target, to show our open-model generator is not the
 * bottleneck (--find-max reports both). Its latency is service time only (no correction).
 */
import type { AutocannonCrossCheck } from './types.js';

export interface AutocannonOptions {
  url: string;
  path: string;
  bodies: readonly Buffer[];
  connections: number;
  durationS: number;
  timeoutS: number;
  signal?: AbortSignal;
}

/**
 * autocannon pre-builds its whole request list on every connection (20,000 requests × 16
 * connections take seconds and slow it to a crawl), so it gets the first 256 of ours; the overload
 * probe it is compared with uses the same 256, so both see the same cache behaviour on the target.
 */
export const AUTOCANNON_MAX_REQUESTS = 256;

export async function runAutocannon(o: AutocannonOptions): Promise<AutocannonCrossCheck> {
  // loaded only when a cross-check runs: importing it costs every CLI start ~0.5 s on a busy host
  const { default: autocannon } = await import('autocannon');
  const requests = o.bodies.slice(0, AUTOCANNON_MAX_REQUESTS).map((body) => ({
    method: 'POST' as const,
    path: o.path,
    headers: { 'content-type': 'application/json' },
    body: body.toString('utf8'),
  }));
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        pipelining: 1,
        duration: o.durationS,
        timeout: o.timeoutS,
        requests,
      },
      (err, result) => {
        o.signal?.removeEventListener('abort', stop);
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const seconds = result.duration > 0 ? result.duration : o.durationS;
        resolve({
          connections: o.connections,
          durationS: Math.round(seconds * 1000) / 1000,
          rps: Math.round((result['2xx'] / seconds) * 10) / 10,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors,
          non2xx: result.non2xx,
          sent: result.requests.sent,
        });
      },
    );
    const stop = (): void => instance.stop();
    o.signal?.addEventListener('abort', stop, { once: true });
  });
}
