/**
 * Live Locust runs (Debian's python3-locust): a master and workers on 127.0.0.1 against the
 * bundled engine or a test server, a few seconds each; every process is stopped by runLocust.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mergeBuckets, percentileOfBucketsUs, type BucketHistogram } from '../../src/load/bucket-merge.js';
import { locustExportFiles } from '../../src/load/locust/export.js';
import { LOCUST_RESULT_PATTERN } from '../../src/load/locust/locustfile.js';
import { mergeLocustResults, type LocustResultFile } from '../../src/load/locust/merge.js';
import { runLocust } from '../../src/load/locust/run.js';
import { buildRequestSource } from '../../src/load/request-source.js';
import { loadScenario, scenarioRequests, startInProcessTarget } from '../../src/load/scenario-requests.js';
import type { LoadtestConfig, LoadtestSection } from '../../src/load/types.js';
import type { CheckResponse } from '../../src/engine/index.js';
import { checkRequest, startTestServer } from './servers.js';
import { locustOnPath, NO_LOCUST } from './locust-available.js';

const LOCUST = locustOnPath();

interface LiveRun {
  section: LoadtestSection;
  /** the workers' own files, as written */
  workers: Array<{ corrected: BucketHistogram; counts: { succeeded: number } }>;
}

async function runThroughLocust(targetUrl: string, o: { rps: number; durationS: number; workers: number; bodies: Buffer[]; expected: CheckResponse[] | null; timeoutMs: number }): Promise<LiveRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-locust-test-'));
  const resultsDir = path.join(dir, 'results');
  try {
    const config: LoadtestConfig = {
      model: 'open',
      targetUrl,
      bundledTarget: false,
      scenario: 'test',
      profile: null,
      seed: 1,
      stages: [{ durationS: o.durationS, target: o.rps }],
      plannedDurationS: o.durationS,
      maxConnections: 64,
      timeoutMs: o.timeoutMs,
      thinkTimeMs: null,
      requestPoolSize: o.bodies.length,
      lateThresholdMs: 10,
    };
    const files = locustExportFiles({ config, startTarget: o.rps, path: '/api/check/resources', bodies: o.bodies, expected: o.expected, thresholds: [], generatedAt: new Date() });
    for (const [name, text] of files) await writeFile(path.join(dir, name), text);
    await mkdir(resultsDir);
    const written = async (): Promise<string[]> => (await readdir(resultsDir)).filter((n) => LOCUST_RESULT_PATTERN.test(n)).sort();
    const outcome = await runLocust({
      command: LOCUST!,
      dir,
      resultsDir,
      workers: o.workers,
      targetUrl,
      plannedS: o.durationS,
      timeoutMs: o.timeoutMs,
      allResultsWritten: async () => (await written()).length >= o.workers,
    });
    assert.ok(outcome.complete, `Locust did not finish: ${outcome.exits.join(', ')} ${outcome.tail.join(' | ')}`);
    const results: LocustResultFile[] = [];
    for (const name of await written()) results.push({ file: name, json: JSON.parse(await readFile(path.join(resultsDir, name), 'utf8')) as unknown });
    return { section: mergeLocustResults(results).section, workers: results.map((r) => r.json as LiveRun['workers'][number]) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('2 Locust workers against the engine at 200 req/s: rate within ±2 %, merged percentiles = the union of the workers\' buckets', { skip: NO_LOCUST, timeout: 90_000 }, async () => {
  const scenario = await loadScenario('abac-cel', { cwd: process.cwd() });
  const target = await startInProcessTarget(scenario);
  try {
    const { requests, expected } = await scenarioRequests(scenario, 800, scenario.seed, true);
    const source = buildRequestSource(requests, expected);
    const { section, workers } = await runThroughLocust(target.url, { rps: 200, durationS: 4, workers: 2, bodies: source.bodies as Buffer[], expected, timeoutMs: 5000 });
    assert.equal(section.counts.scheduled, 800);
    assert.equal(section.counts.succeeded, 800, JSON.stringify(section.errors));
    assert.equal(section.errors.mismatch, 0);
    const achieved = section.counts.succeeded / section.durationS;
    assert.ok(Math.abs(achieved / 200 - 1) <= 0.02, `achieved ${achieved.toFixed(1)} req/s for a target of 200`);
    assert.equal(workers.length, 2);
    assert.deepEqual(workers.map((w) => w.counts.succeeded), [400, 400]);
    const union = mergeBuckets(workers.map((w) => w.corrected));
    assert.equal(section.latency.corrected!.p50Ms, percentileOfBucketsUs(union, 50) / 1000);
    assert.equal(section.latency.corrected!.p99Ms, percentileOfBucketsUs(union, 99) / 1000);
    assert.equal(section.latency.corrected!.maxMs, union.maxUs / 1000);
    assert.equal(section.runners!.length, 2);
  } finally {
    await target.close();
  }
});

test('a server that stalls for 1 s shows the stall in the merged p99 (latency from the intended send time)', { skip: NO_LOCUST, timeout: 90_000 }, async () => {
  let first: number | null = null;
  // one stall, 1.5 s to 2.5 s after the first request: everything arriving then is answered at 2.5 s
  const server = await startTestServer({
    delayMs: (t) => {
      first ??= t;
      const at = t - first;
      return at >= 1500 && at < 2500 ? 2500 - at : 0;
    },
  });
  try {
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(JSON.stringify(checkRequest(i, 2))));
    const { section } = await runThroughLocust(server.url, { rps: 100, durationS: 4, workers: 2, bodies, expected: null, timeoutMs: 5000 });
    const c = section.latency.corrected!;
    assert.equal(section.counts.succeeded, 400, JSON.stringify(section.errors));
    // a quarter of the requests fell in the stall: the p99 and the max are close to the full second
    assert.ok(c.p99Ms! >= 800, `corrected p99 ${c.p99Ms} ms`);
    assert.ok(c.maxMs >= 900, `corrected max ${c.maxMs} ms`);
    assert.ok(c.p50Ms < c.p99Ms!, 'the stall is in the tail, not the median');
    assert.ok(section.runners!.every((r) => r.p99Ms >= 800), 'each worker saw the stall');
  } finally {
    await server.close();
  }
});

/** Pids of live processes whose command line mentions `marker` (our temporary folder). */
async function pidsMentioning(marker: string, except: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === except) continue;
    try {
      const cmd = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      if (cmd.includes(marker) && !/\) Z /.test(stat)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('the Locust master and workers stop when the process that started them dies', { skip: NO_LOCUST || (process.platform !== 'linux' ? 'needs /proc' : false), timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-locust-orphan-'));
  const runModule = new URL('../../src/load/locust/run.js', import.meta.url).href;
  const exportModule = new URL('../../src/load/locust/export.js', import.meta.url).href;
  // a parent that starts a 30 s Locust run (against a closed port) and is then killed with SIGKILL
  const script = `
    const { runLocust } = await import(${JSON.stringify(runModule)});
    const { locustExportFiles } = await import(${JSON.stringify(exportModule)});
    const fs = await import('node:fs/promises');
    const config = { model: 'open', targetUrl: 'http://127.0.0.1:9', bundledTarget: false, scenario: 't', profile: null, seed: 1, stages: [{ durationS: 30, target: 5 }], plannedDurationS: 30, maxConnections: 4, timeoutMs: 500, thinkTimeMs: null, requestPoolSize: 1, lateThresholdMs: 10 };
    const dir = ${JSON.stringify(dir)};
    for (const [name, text] of locustExportFiles({ config, startTarget: 5, path: '/api/check/resources', bodies: [Buffer.from(JSON.stringify({ resources: [] }))], expected: null, thresholds: [], generatedAt: new Date() }))
      await fs.writeFile(dir + '/' + name, text);
    process.stdout.write('started\\n');
    await runLocust({ command: ${JSON.stringify(LOCUST)}, dir, resultsDir: dir + '/results', workers: 2, targetUrl: config.targetUrl, plannedS: 30, timeoutMs: 500, allResultsWritten: async () => false });
  `;
  const { spawn } = await import('node:child_process');
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      parent.stdout!.on('data', (d: Buffer) => (d.toString().includes('started') ? resolve() : undefined));
      parent.once('exit', (code) => reject(new Error(`the parent exited early (${code})`)));
    });
    // wait until the master and both workers are up
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pids = await pidsMentioning(dir, parent.pid!);
    }
    assert.equal(pids.length, 3, 'master + 2 workers started');
    parent.kill('SIGKILL');
    let left = pids;
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await pidsMentioning(dir, parent.pid!);
    }
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'no Locust process outlived its parent by 10 s');
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
