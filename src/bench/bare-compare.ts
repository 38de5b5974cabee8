/**
 * `bench --http`'s bare baseline: `serve` (a child process, cache on, the scenario's policies) and
 * the bare node:http server (bare-server.ts, a child process answering the same bytes) under the
 * same autocannon load from this process, in alternating rounds; with `cacheOnOff`, also `serve`
 * against `serve --no-cache` (a third child) under the same load of those request bodies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { serveChildArgs } from '../load/serve-child.js';
import { serveDefaults } from '../serve/run.js';
import { compareCacheOnOff, compareWithBare, type BareComparison, type CacheOnOffComparison } from './http.js';
import { CHECK_PATH } from '../engine/index.js';

const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

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

/** Waits for `pattern` on the child's stream; its first group is the answer. */
function waitFor(child: ChildProcess, stream: NodeJS.ReadableStream, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${START_TIMEOUT_MS / 1000}s`)), START_TIMEOUT_MS);
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      text += s;
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${String(code)}): ${text.trim().split('\n').pop() ?? ''}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function measureBareRatio(o: BareCompareOptions): Promise<BareComparison & { cacheOnOff?: CacheOnOffComparison }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-perf-bare-'));
  const children: ChildProcess[] = [];
  try {
    const file = path.join(dir, 'pairs.json');
    writeFileSync(file, JSON.stringify(o.pairs));
    const bare = spawn(process.execPath, [BARE_SERVER, file], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(bare);
    const options = { ...serveDefaults(process.cwd()), scenario: o.scenario, ...(o.globalsFile !== undefined ? { globalsFile: o.globalsFile } : {}), lenientScopes: o.lenientScopes === true };
    const serve = spawn(process.execPath, serveChildArgs(options, false), { stdio: ['pipe', 'ignore', 'pipe'] });
    children.push(serve);
    const uncached = o.cacheOnOff !== undefined && o.cacheOnOff.length > 0 ? spawn(process.execPath, serveChildArgs({ ...options, cache: false }, false), { stdio: ['pipe', 'ignore', 'pipe'] }) : null;
    if (uncached) children.push(uncached);
    const port = await waitFor(bare, bare.stdout, /^(\d+)\n/, 'bare server');
    const serveUrl = await waitFor(serve, serve.stderr, /listening on (http:\/\/\S+)/, 'serve');
    const uncachedUrl = uncached ? await waitFor(uncached, uncached.stderr!, /listening on (http:\/\/\S+)/, 'serve --no-cache') : null;
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
    await measure(`http://127.0.0.1:${port}`, 500);
    await measure(serveUrl, 500);
    const bareComparison = await compareWithBare(serveUrl, `http://127.0.0.1:${port}`, o.rounds, o.roundMs, o.connections, measure);
    if (uncachedUrl === null) return bareComparison;
    await measureCache(uncachedUrl, 500);
    await measureCache(serveUrl, 500);
    return { ...bareComparison, cacheOnOff: await compareCacheOnOff(serveUrl, uncachedUrl, o.rounds, o.roundMs, o.connections, measureCache) };
  } finally {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  }
}
