/**
 * Real engines for doctor's fault tests: `serve` in this process (startServer on 127.0.0.1:0) or
 * as a child process (`bin/authz-perf.js serve`, e.g. with a small V8 heap), and the real
 * clock/fetch doctor runs on. Every helper returns a stop function the test awaits.
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createEngine, loadPolicySet, startServer } from '../../src/engine/index.js';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { startBundledTarget } from '../../src/load/target.js';
import { sleep } from '../../src/load/run-types.js';
import { fetchText } from '../../src/doctor/fetch-text.js';
import type { DoctorDeps } from '../../src/doctor/run.js';
import type { DoctorOptions } from '../../src/doctor/run.js';

export const realDeps: DoctorDeps = { fetchText: (url) => fetchText(url), now: () => performance.now(), sleep };

/** the repository root (tests run from dist/test/doctor) */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/authz-perf.js', import.meta.url));

export interface Engine {
  url: string;
  scenario: Scenario;
  stop(): Promise<void>;
}

export async function inProcessServe(scenarioName: string, cache: { maxEntries: number; ttlMs: number } | false = { maxEntries: 10_000, ttlMs: 60_000 }): Promise<Engine> {
  const scenario = await loadScenario(scenarioName);
  const engine = createEngine(await loadPolicySet(scenario.policyDir), { cache, celTiming: true });
  const server = await startServer(engine, { host: '127.0.0.1', port: 0 });
  return { url: server.url, scenario, stop: () => server.close() };
}

export async function childServe(scenarioName: string, serveArgs: string[], nodeArgs: string[] = []): Promise<Engine & { lines: string[] }> {
  const scenario = await loadScenario(scenarioName);
  const lines: string[] = [];
  const child = await startBundledTarget({
    command: process.execPath,
    args: [...nodeArgs, BIN, 'serve', '--scenario', scenarioName, '--port', '0', ...serveArgs],
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    onLine: (line) => void lines.push(line),
  });
  return { url: child.url, scenario, lines, stop: () => child.stop() };
}

/** Options for runDoctor against `engine`, overridable per test. */
export function doctorOptions(engine: Engine, over: Partial<DoctorOptions> = {}): DoctorOptions {
  return {
    targetUrl: engine.url,
    metricsUrl: `${engine.url}/metrics`,
    bundled: false,
    windowS: 2,
    intervalS: 0.5,
    slo: { p99Ms: engine.scenario.slo.p99Ms, errorRate: engine.scenario.slo.errorRate, source: `scenario ${engine.scenario.name}` },
    scenario: engine.scenario,
    load: null,
    database: null,
    celProfileBudgetMs: 0,
    hostCores: 2,
    cwd: ROOT,
    ...over,
  };
}
