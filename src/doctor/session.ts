/**
 * The doctor room's front door for one command run: the engine to observe (the bundled engine in
 * a serve child, or --target), its metrics endpoint, the database, the SLO, then runDoctor
 * (run.ts), and a heap snapshot of the bundled engine at the end of the window.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServeChild, type ServeChildIo } from '../load/serve-child.js';
import type { BundledTarget } from '../load/target.js';
import { sleep } from '../load/run-types.js';
import { openServer } from '../query/database.js';
import type { DbAdapter } from '../query/adapter.js';
import type { ServeOptions } from '../serve/run.js';
import { UsageError } from '../util/errors.js';
import { fetchText } from './fetch-text.js';
import { runDoctor, type DoctorOptions, type DoctorResult } from './run.js';
import { THRESHOLDS } from './rules/index.js';

export interface DoctorSessionInput extends Omit<DoctorOptions, 'targetUrl' | 'metricsUrl' | 'bundled' | 'slo' | 'database'> {
  /** --target; null: start the bundled engine with `serve` */
  targetUrl: string | null;
  serve: ServeOptions | null;
  /** the serve child's V8 heap limit */
  maxOldSpaceMiB: number | null;
  /** write a heap snapshot of the serve child into this folder at the end of the window */
  heapSnapshotDir: string | null;
  /** default: TARGET/metrics, else TARGET/_cerbos/metrics */
  metricsUrl: string | null;
  databaseUrl: string | null;
  /** --slo-p99 (default: the scenario's SLO, else the checklist's) */
  sloP99Ms: number | null;
}

export type DoctorSessionResult = DoctorResult & { targetUrl: string };

export async function runDoctorSession(i: DoctorSessionInput, io: ServeChildIo): Promise<DoctorSessionResult> {
  let child: BundledTarget | null = null;
  let db: DbAdapter | null = null;
  try {
    let targetUrl = i.targetUrl;
    if (targetUrl === null) {
      if (i.heapSnapshotDir) await mkdir(i.heapSnapshotDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`--heap-snapshot: cannot create ${i.heapSnapshotDir} (${err.code ?? err.message})`);
      });
      child = await startServeChild(io, i.serve!, {
        nodeOptions: [
          ...(i.maxOldSpaceMiB !== null ? [`--max-old-space-size=${i.maxOldSpaceMiB}`] : []),
          ...(i.heapSnapshotDir !== null ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${i.heapSnapshotDir}`] : []),
        ],
      });
      targetUrl = child.url;
      i.log?.(`doctor: started the bundled engine at ${targetUrl} (scenario ${i.scenario!.name})`);
    }
    const metricsUrl = i.metricsUrl ?? (await findMetricsUrl(targetUrl));
    if (i.databaseUrl !== null) db = await openServer(i.databaseUrl);
    const { scenario } = i;
    const slo =
      i.sloP99Ms !== null
        ? { p99Ms: i.sloP99Ms, errorRate: scenario?.slo.errorRate ?? THRESHOLDS.errorRate, source: '--slo-p99' }
        : scenario
          ? { p99Ms: scenario.slo.p99Ms, errorRate: scenario.slo.errorRate, source: `scenario ${scenario.name}` }
          : { p99Ms: THRESHOLDS.sloP99Ms, errorRate: THRESHOLDS.errorRate, source: 'checklist default' };
    const { serve: _serve, maxOldSpaceMiB: _heap, heapSnapshotDir, databaseUrl: _db, sloP99Ms: _slo, ...options } = i;
    const result = await runDoctor({ ...options, targetUrl, metricsUrl, bundled: i.targetUrl === null, slo, database: db }, { fetchText, now: () => performance.now(), sleep });
    if (heapSnapshotDir && child && !result.interrupted) {
      const file = await takeHeapSnapshot(child, heapSnapshotDir);
      result.section.notes.push(file ? `heap snapshot of the engine at the end of the window: ${path.relative(i.cwd, file) || file}` : 'the heap snapshot was not written within 60 s');
      if (file) i.log?.(`doctor: heap snapshot ${path.relative(i.cwd, file) || file}`);
    }
    return { ...result, targetUrl };
  } finally {
    await db?.close().catch(() => undefined);
    await child?.stop();
  }
}

/** TARGET/metrics (serve), else TARGET/_cerbos/metrics (Cerbos); a usage error when neither answers. */
async function findMetricsUrl(target: string): Promise<string> {
  const reasons: string[] = [];
  for (const p of ['/metrics', '/_cerbos/metrics']) {
    const url = `${target}${p}`;
    try {
      await fetchText(url);
      return url;
    } catch (err) {
      reasons.push((err as Error).message.split('\n')[0] ?? '');
    }
  }
  throw new UsageError(`--target: no Prometheus metrics at ${target}/metrics or ${target}/_cerbos/metrics (${reasons.join('; ')}); give --metrics-url`);
}

/**
 * SIGUSR2 makes the serve child (started with --heapsnapshot-signal) write a heap snapshot into its
 * --diagnostic-dir; the write blocks its event loop, so /health answers again once it is complete.
 * Resolves to the file, or null after 60 s.
 */
async function takeHeapSnapshot(child: BundledTarget, dir: string): Promise<string | null> {
  const before = new Set(await readdir(dir));
  process.kill(child.pid, 'SIGUSR2');
  for (let waited = 0; waited < 60_000; waited += 250) {
    await sleep(250);
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    try {
      await fetchText(`${child.url}/health`, 60_000);
      return path.join(dir, file);
    } catch {
      return null;
    }
  }
  return null;
}
