/**
 * `loadtest --runner locust`: the test exported into a temporary folder, Locust run there (master
 * + workers on 127.0.0.1, run.ts), and the workers' result files merged into one loadtest section.
 * The folder is removed afterwards (kept with `debug`).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { locustExportFiles, type LocustExportInput } from './export.js';
import { LOCUST_RESULT_PATTERN } from './locustfile.js';
import { mergeLocustResults } from './merge.js';
import { locustResultFiles } from './results.js';
import { runLocust } from './run.js';
import type { LoadtestConfig, LoadtestSection, Threshold } from '../types.js';

export interface LocustRunRequest {
  /** path of the `locust` executable */
  command: string;
  workers: number;
  config: LoadtestConfig;
  startTarget: number;
  path: string;
  bodies: readonly Buffer[];
  expected: LocustExportInput['expected'];
  thresholds: readonly Threshold[];
  signal?: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** pass Locust's lines on and keep the folder */
  debug: boolean;
  log: (line: string) => void;
}

export async function runThroughLocust(r: LocustRunRequest): Promise<LoadtestSection> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authz-perf-locust-'));
  const resultsDir = path.join(dir, 'results');
  try {
    const files = locustExportFiles({ config: r.config, startTarget: r.startTarget, path: r.path, bodies: r.bodies, expected: r.expected, thresholds: r.thresholds, generatedAt: new Date() });
    for (const [name, text] of files) {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
    const written = async (): Promise<number> => {
      try {
        return (await readdir(resultsDir)).filter((n) => LOCUST_RESULT_PATTERN.test(n)).length;
      } catch {
        return 0;
      }
    };
    const outcome = await runLocust({
      command: r.command,
      dir,
      resultsDir,
      workers: r.workers,
      targetUrl: r.config.targetUrl,
      plannedS: r.config.plannedDurationS,
      timeoutMs: r.config.timeoutMs,
      allResultsWritten: async () => (await written()) >= r.workers,
      ...(r.signal ? { signal: r.signal } : {}),
      env: r.env,
      onLine: (line) => {
        if (r.debug) r.log(line);
      },
      onSpawn: (kill) => {
        process.once('exit', kill);
        return () => process.off('exit', kill);
      },
    });
    if ((await written()) === 0)
      throw new Error(`Locust wrote no worker results (${outcome.exits.join(', ')})${outcome.tail.length ? `: ${outcome.tail.slice(-3).join(' | ')}` : ''}`);
    const { section } = mergeLocustResults(await locustResultFiles(dir, resultsDir));
    if (!outcome.complete && !outcome.interrupted) section.warnings.push(`Locust stopped before every worker wrote its result (${outcome.exits.join(', ')})`);
    return section;
  } finally {
    if (r.debug) r.log(`[locust] files kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
