/**
 * `--http`: one keep-alive connection (undici Client) posting pre-serialised check requests to a
 * server on loopback, one request in flight at a time, so a sample is one full round trip.
 */
import { Client } from 'undici';
import type { TaskDef } from './runner.js';
import type { HttpBaseline } from './types.js';
import { CHECK_PATH } from '../engine/index.js';

export interface HttpRoundTrip {
  task: TaskDef;
  /** non-2xx responses seen (the task fails on the first one) */
  close(): Promise<void>;
}

/** A task that POSTs `bodies` (cycled) to `origin` + CHECK_PATH and reads each response fully. */
export function httpRoundTripTask(origin: string, bodies: string[], id = 'http-roundtrip'): HttpRoundTrip {
  if (bodies.length === 0) throw new Error('http round trip: no request bodies');
  const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  let i = 0;
  const headers = { 'content-type': 'application/json' };
  const task: TaskDef = {
    id,
    name: 'HTTP round trip (keep-alive, loopback)',
    async: true,
    beforeAll: () => void (i = 0),
    fn: async () => {
      const body = bodies[i]!;
      i = i + 1 === bodies.length ? 0 : i + 1;
      const res = await client.request({ method: 'POST', path: CHECK_PATH, headers, body });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new Error(`HTTP ${res.statusCode} from ${origin}${CHECK_PATH}: ${text.slice(0, 200)}`);
      }
      return text.length;
    },
  };
  return { task, close: () => client.close() };
}

/** `serve` ÷ the bare node:http server, throughput in alternating rounds (the report's httpBaseline). */
export type BareComparison = Omit<HttpBaseline, 'goal'>;

export interface ThroughputRound {
  /** requests/s over one round against `origin` */
  (origin: string, durationMs: number): Promise<number>;
}

/**
 * Alternates rounds against the two servers (bare first, then serve, `rounds` times), so a change
 * of machine load affects both alike; ratios are per round.
 */
export async function compareWithBare(serveOrigin: string, bareOrigin: string, rounds: number, roundMs: number, connections: number, measure: ThroughputRound): Promise<BareComparison> {
  const serveRps: number[] = [];
  const bareRps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    bareRps.push(await measure(bareOrigin, roundMs));
    serveRps.push(await measure(serveOrigin, roundMs));
  }
  const ratios = serveRps.map((s, i) => (bareRps[i]! > 0 ? s / bareRps[i]! : 0));
  const sorted = [...ratios].sort((a, b) => a - b);
  return { serveRps, bareRps, ratios, min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0, connections, roundMs };
}
