/**
 * `--http`: one keep-alive connection (undici Client) posting pre-serialised check requests to a
 * server on loopback, one request in flight at a time, so a sample is one full round trip.
 */
import { Client } from 'undici';
import type { TaskDef } from './runner.js';
import type { CacheOnOff, HttpBaseline } from './types.js';
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
export type BareComparison = Omit<HttpBaseline, 'goal' | 'cacheOnOff'>;
/** `serve` with its decision cache ÷ `serve --no-cache`, throughput in alternating rounds. */
export type CacheOnOffComparison = Omit<CacheOnOff, 'goal'>;

export interface ThroughputRound {
  /** requests/s over one round against `origin` */
  (origin: string, durationMs: number): Promise<number>;
}

interface Alternated {
  /** requests/s of the measured server, per round */
  measured: number[];
  /** requests/s of the reference server, per round */
  reference: number[];
  ratios: number[];
  min: number;
  median: number;
  max: number;
}

/**
 * Alternates rounds against two servers, so a change of machine load affects both alike: the
 * reference first in even rounds, the measured server first in odd ones (neither always gets the
 * slot after the other's garbage); ratios (measured ÷ reference) are per round.
 */
async function alternate(measuredOrigin: string, referenceOrigin: string, rounds: number, roundMs: number, measure: ThroughputRound): Promise<Alternated> {
  const measured: number[] = [];
  const reference: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      reference.push(await measure(referenceOrigin, roundMs));
      measured.push(await measure(measuredOrigin, roundMs));
    } else {
      measured.push(await measure(measuredOrigin, roundMs));
      reference.push(await measure(referenceOrigin, roundMs));
    }
  }
  const ratios = measured.map((m, i) => (reference[i]! > 0 ? m / reference[i]! : 0));
  const sorted = [...ratios].sort((a, b) => a - b);
  return { measured, reference, ratios, min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

export async function compareWithBare(serveOrigin: string, bareOrigin: string, rounds: number, roundMs: number, connections: number, measure: ThroughputRound): Promise<BareComparison> {
  const a = await alternate(serveOrigin, bareOrigin, rounds, roundMs, measure);
  return { serveRps: a.measured, bareRps: a.reference, ratios: a.ratios, min: a.min, median: a.median, max: a.max, connections, roundMs };
}

export async function compareCacheOnOff(onOrigin: string, offOrigin: string, rounds: number, roundMs: number, connections: number, measure: ThroughputRound): Promise<CacheOnOffComparison> {
  const a = await alternate(onOrigin, offOrigin, rounds, roundMs, measure);
  return { onRps: a.measured, offRps: a.reference, ratios: a.ratios, min: a.min, median: a.median, max: a.max, connections, roundMs };
}
