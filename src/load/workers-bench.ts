/**
 * `npm run bench:workers`: how `serve --workers N` scales from one worker, measured with wrk
 * against a one-worker and an N-worker server started side by side, in alternating rounds (a
 * change of host load hits both alike), with the same requests and connections. A benchmark,
 * not a test: it prints the rates, the ratio per round, the CPU each server and wrk used, and
 * the method.
 *
 * Method: the servers and wrk are pinned with taskset. With at least N + 1 cores, the one-worker
 * server runs on CPU 0, the N-worker server on CPUs 0..N-1 and wrk on the last CPU, so the
 * generator never takes a server's core. With fewer cores the N-worker server runs on every CPU
 * and shares the last one with wrk: the printed wrk CPU share is what the servers lost to it.
 *
 * Usage: node dist/src/load/workers-bench.js [--workers 2] [--connections 32] [--duration 4] [--rounds 3] [--scenario abac-cel]
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECK_PATH } from '../engine/index.js';
import { buildRequestSource } from './request-source.js';
import { loadScenario, scenarioRequests } from './scenario-requests.js';
import { startBundledTarget, type BundledTarget } from './target.js';
import { findOnPath } from '../util/which.js';
import { hasWrk, procCpuSeconds, runWrk, wrkScript } from './wrk.js';
import { median, scriptArg as arg } from './bench-script.js';

/** A process and all its descendants (a cluster's primary and workers). */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    const tasks = await readdir(`/proc/${p}/task`).catch(() => [] as string[]);
    for (const t of tasks) {
      const children = await readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '');
      for (const c of children.split(' ')) if (c.trim()) out.push(Number(c));
    }
  }
  return out;
}

async function treeCpuSeconds(pid: number): Promise<number> {
  let total = 0;
  for (const p of await processTree(pid)) total += (await procCpuSeconds(p)) ?? 0;
  return total;
}

/** Pins every thread of a process tree to `cpus` (taskset -a -p). */
async function pin(pid: number, cpus: string): Promise<void> {
  for (const p of await processTree(pid))
    await new Promise<void>((resolve, reject) => execFile('taskset', ['-a', '-p', '-c', cpus, String(p)], (err) => (err ? reject(err) : resolve())));
}

interface Side {
  label: string;
  target: BundledTarget;
}

interface Measured {
  rps: number;
  /** server CPU seconds per wall second: the cores it kept busy */
  serverCores: number;
  /** wrk's CPU seconds per wall second */
  wrkCores: number | null;
}

async function main(): Promise<void> {
  const workers = Math.max(2, Number(arg('workers', 2)));
  const connections = Number(arg('connections', 32));
  const durationS = Number(arg('duration', 4));
  const rounds = Number(arg('rounds', 3));
  const scenarioName = arg('scenario', 'abac-cel');
  if (!hasWrk()) {
    console.log('bench:workers: skipped: wrk is not installed (on Debian: apt-get install -y wrk)');
    return;
  }
  const cores = os.availableParallelism();
  const canPin = process.platform === 'linux' && findOnPath('taskset', process.env.PATH ?? '') !== null;
  const separate = canPin && cores >= workers + 1;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const scenario = await loadScenario(scenarioName, { cwd: root });
  const { requests } = await scenarioRequests(scenario, 256, scenario.seed, false);
  const source = buildRequestSource(requests, null);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-workersbench-'));
  const script = path.join(dir, 'requests.lua');
  await writeFile(script, wrkScript(CHECK_PATH, source.bodies));
  const start = (n: number): Promise<BundledTarget> =>
    startBundledTarget({
      command: process.execPath,
      args: [path.join(root, 'bin/authz-perf.js'), 'serve', '--scenario', scenarioName, '--host', '127.0.0.1', '--port', '0', '--workers', String(n)],
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
  const sides: Side[] = [];
  try {
    sides.push({ label: '1 worker', target: await start(1) });
    sides.push({ label: `${workers} workers`, target: await start(workers) });
    const wrkCpu = canPin ? String(cores - 1) : undefined;
    if (canPin) {
      await pin(sides[0]!.target.pid, '0');
      await pin(sides[1]!.target.pid, separate ? `0-${workers - 1}` : `0-${cores - 1}`);
    }
    console.log(
      `scenario ${scenarioName}, 256 requests, wrk with ${connections} connections, ${durationS} s per run, ${rounds} rounds, ${cores} cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    );
    console.log(
      !canPin
        ? 'method: no taskset here, nothing is pinned: the servers and wrk share every core'
        : separate
          ? `method: 1 worker pinned to CPU 0, ${workers} workers to CPUs 0-${workers - 1}, wrk to CPU ${wrkCpu} (a core of its own)`
          : `method: 1 worker pinned to CPU 0 and wrk to CPU ${wrkCpu}; ${workers} workers on CPUs 0-${cores - 1}, sharing CPU ${wrkCpu} with wrk (fewer than ${workers + 1} cores)`,
    );
    const measure = async (side: Side, seconds: number): Promise<Measured> => {
      const cpu0 = await treeCpuSeconds(side.target.pid);
      const t0 = performance.now();
      const w = await runWrk({ url: side.target.url, script, connections, threads: 1, durationS: seconds, ...(wrkCpu !== undefined ? { cpus: wrkCpu } : {}) });
      const wallS = (performance.now() - t0) / 1000;
      if (w.non2xx > 0) console.log(`${side.label}: ${w.non2xx} non-2xx responses`);
      return { rps: w.rps, serverCores: ((await treeCpuSeconds(side.target.pid)) - cpu0) / wallS, wrkCores: w.cpuS === null ? null : w.cpuS / wallS };
    };
    // unmeasured: JIT warm-up of every worker
    for (const side of sides) await measure(side, 2);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      const got = new Map<Side, Measured>();
      for (const side of order) got.set(side, await measure(side, durationS));
      const one = got.get(sides[0]!)!;
      const many = got.get(sides[1]!)!;
      ratios.push(many.rps / one.rps);
      const show = (label: string, m: Measured): string =>
        `${label} ${Math.round(m.rps)} req/s (server ${m.serverCores.toFixed(2)} cores${m.wrkCores !== null ? `, wrk ${Math.round(m.wrkCores * 100)}% of a core` : ''})`;
      console.log(`round ${r + 1}: ${show(sides[0]!.label, one)} · ${show(sides[1]!.label, many)} · ratio ${(many.rps / one.rps).toFixed(2)}`);
    }
    console.log(`${workers} workers ÷ 1 worker per round: ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`);
    console.log(`load average after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    for (const side of sides) await side.target.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:workers: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
