/**
 * `bench --http`'s bare baseline: `serve` (a child process, cache on, the scenario's policies) and
 * the bare node:http server (bare-server.ts, a child process answering the same bytes) under the
 * same autocannon load from this process, in alternating rounds; with `cacheOnOff`, also `serve`
 * against `serve --no-cache` (a third child) under the same load of those request bodies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServeChild } from '../load/serve-child.js';
import { startBundledTarget, type BundledTarget } from '../load/target.js';
import { serveDefaults } from '../serve/run.js';
import { compareCacheOnOff, compareWithBare, type BareComparison, type CacheOnOffComparison } from './http.js';
import { CHECK_PATH } from '../engine/index.js';

const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/** the children's lines are not shown: bench prints its own progress */
const QUIET = { stderr: { write: (): boolean => true }, env: process.env, debug: false };

export interface BareCompareOptions {
  /** bundled scenario name or folder `serve --scenario` takes */
  scenario: string;
  /** request bodies and the response `serve` gives to each */
  pairs: Array<[string, string]>;
  rounds: number;
  roundMs: number;
  connections: number;
  globalsFile?: string;
  lenientScopes?: boolean;
  /** request bodies to also measure serve with its cache against serve --no-cache with */
  cacheOnOff?: string[];
}

export async function measureBareRatio(o: BareCompareOptions): Promise<BareComparison & { cacheOnOff?: CacheOnOffComparison }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-bare-'));
  const children: BundledTarget[] = [];
  try {
    const file = path.join(dir, 'pairs.json');
    writeFileSync(file, JSON.stringify(o.pairs));
    const options = { ...serveDefaults(process.cwd()), scenario: o.scenario, ...(o.globalsFile !== undefined ? { globalsFile: o.globalsFile } : {}), lenientScopes: o.lenientScopes === true };
    // all three start at once; every one that started is stopped, even when another failed
    const started = await Promise.allSettled([
      startBundledTarget({ command: process.execPath, args: [BARE_SERVER, file], cwd: process.cwd(), env: process.env, readyTimeoutMs: START_TIMEOUT_MS }),
      startServeChild(QUIET, options),
      o.cacheOnOff !== undefined && o.cacheOnOff.length > 0 ? startServeChild(QUIET, { ...options, cache: false }) : Promise.resolve(null),
    ]);
    for (const s of started) if (s.status === 'fulfilled' && s.value !== null) children.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const url = (i: number): string | null => (started[i] as PromiseFulfilledResult<BundledTarget | null>).value?.url ?? null;
    const bareUrl = url(0)!;
    const serveUrl = url(1)!;
    const uncachedUrl = url(2);
    const requests = o.pairs.map(([body]) => ({ method: 'POST' as const, path: CHECK_PATH, body, headers: { 'content-type': 'application/json' } }));
    const cacheRequests = (o.cacheOnOff ?? []).map((body) => ({ method: 'POST' as const, path: CHECK_PATH, body, headers: { 'content-type': 'application/json' } }));
    const throughput = async (origin: string, durationMs: number, load: typeof requests): Promise<number> => {
      const result = await autocannon({ url: origin, requests: load, connections: o.connections, duration: durationMs / 1000 });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${origin}: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
      return result.requests.total / (durationMs / 1000);
    };
    const measure = (origin: string, durationMs: number): Promise<number> => throughput(origin, durationMs, requests);
    const measureCache = (origin: string, durationMs: number): Promise<number> => throughput(origin, durationMs, cacheRequests);
    // one short round each first, so both are warm (JIT, connections) before measuring
    await measure(bareUrl, 500);
    await measure(serveUrl, 500);
    const bareComparison = await compareWithBare(serveUrl, bareUrl, o.rounds, o.roundMs, o.connections, measure);
    if (uncachedUrl === null) return bareComparison;
    await measureCache(uncachedUrl, 500);
    await measureCache(serveUrl, 500);
    return { ...bareComparison, cacheOnOff: await compareCacheOnOff(serveUrl, uncachedUrl, o.rounds, o.roundMs, o.connections, measureCache) };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
