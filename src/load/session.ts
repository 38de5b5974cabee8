/**
 * The load room's front door: one loadtest from parsed flags and a scenario — the plan, the
 * prepared requests, the warm-up ramp, the target (started by the caller's launcher and stopped
 * afterwards), and the run itself (load/run.ts).
 */
import { requestPoolSize, resolvePlan, DEFAULTS, type ParsedFlags } from './options.js';
import { plannedRequests, warmupRequests } from './plan.js';
import { buildRequestSource } from './request-source.js';
import { CHECK_PATH } from '../engine/index.js';
import { runLoadtest, type BaseConfig, type LoadtestRunInput, type LoadtestRunResult } from './run.js';
import { scenarioRequests } from './scenario-requests.js';
import type { Scenario } from '../scenario/index.js';

/** A target ready for requests; `bundled`: started for this run (the engine under test). */
export interface StartedTarget {
  url: string;
  bundled: boolean;
  stop(): Promise<void>;
  /** the target's Prometheus path (default /metrics) */
  metricsPath?: string;
}

export interface LoadtestSessionInput extends Pick<LoadtestRunInput, 'signal' | 'onProgress' | 'onStep' | 'log'> {
  parsed: ParsedFlags;
  scenario: Scenario;
  /** starts the target once the requests are prepared */
  startTarget: () => Promise<StartedTarget>;
}

/** The run's config fields that do not depend on the load shape. */
export function baseConfig(
  target: { url: string; bundled: boolean },
  engine: 'cerbos' | null,
  scenario: string,
  seed: number,
  parsed: Pick<ParsedFlags, 'maxConnections' | 'timeoutMs' | 'generatorThreads'>,
  requestPoolSize: number,
): BaseConfig {
  return {
    targetUrl: target.url,
    bundledTarget: target.bundled,
    ...(engine === 'cerbos' ? { engine } : {}),
    scenario,
    seed,
    maxConnections: parsed.maxConnections,
    timeoutMs: parsed.timeoutMs,
    requestPoolSize,
    lateThresholdMs: DEFAULTS.lateThresholdMs,
    ...(parsed.generatorThreads !== undefined && parsed.generatorThreads > 1 ? { generatorThreads: parsed.generatorThreads } : {}),
  };
}

export async function runLoadtestSession(input: LoadtestSessionInput): Promise<LoadtestRunResult & { target: StartedTarget }> {
  const { parsed, scenario } = input;
  const plan = resolvePlan(parsed, scenario);
  const { requests, expected } = await scenarioRequests(scenario, requestPoolSize(parsed, plannedRequests(plan)), plan.seed, parsed.verify);
  const pathPrefix = parsed.targetUrl ? new URL(parsed.targetUrl).pathname.replace(/\/+$/, '') : '';
  const source = buildRequestSource(requests, expected, pathPrefix + CHECK_PATH);
  const warmup = await warmupRequests(scenario, plan, parsed);
  const target = await input.startTarget();
  try {
    const result = await runLoadtest({
      base: baseConfig(target, null, scenario.name, plan.seed, parsed, requests.length),
      shape: plan.shape,
      findMax: plan.findMax,
      thresholds: plan.thresholds,
      source,
      origin: new URL(target.url).origin,
      metricsUrl: !parsed.metrics ? null : (parsed.metricsUrl ?? `${target.url}${target.metricsPath ?? '/metrics'}`),
      warmupRequests: 1000,
      warmup,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      ...(input.onStep ? { onStep: input.onStep } : {}),
      ...(input.log ? { log: input.log } : {}),
    });
    return { ...result, target };
  } finally {
    await target.stop();
  }
}
