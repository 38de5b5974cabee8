/**
 * Load while observing: the scenario's seeded request stream at a fixed open-model rate, run by
 * the loadtest room's front door (runLoadtest), reduced to the figures the rules read.
 */
import { buildRequestSource } from '../load/request-source.js';
import { runLoadtest } from '../load/run.js';
import { DEFAULTS } from '../load/options.js';
import { scenarioRequests } from '../load/scenario-requests.js';
import type { LoadtestSection } from '../load/types.js';
import type { Scenario } from '../scenario/index.js';
import type { LoadFigures } from './types.js';

export interface DoctorLoadOptions {
  scenario: Scenario;
  /** base URL of the check API */
  targetUrl: string;
  bundled: boolean;
  rps: number;
  durationS: number;
  seed?: number;
  /** distinct requests cycled (default: rps × duration, at most the loadtest's pool limit) */
  requestPool?: number;
  maxConnections?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export async function runDoctorLoad(o: DoctorLoadOptions): Promise<LoadtestSection> {
  const seed = o.seed ?? o.scenario.seed;
  const pool = Math.max(1, Math.min(o.requestPool ?? Math.ceil(o.rps * o.durationS), DEFAULTS.requestPoolMax));
  const { requests } = await scenarioRequests(o.scenario, pool, seed, false);
  const url = new URL(o.targetUrl);
  const source = buildRequestSource(requests, null, `${url.pathname.replace(/\/+$/, '')}/api/check/resources`);
  const result = await runLoadtest({
    base: {
      targetUrl: o.targetUrl,
      bundledTarget: o.bundled,
      scenario: o.scenario.name,
      seed,
      maxConnections: o.maxConnections ?? DEFAULTS.maxConnections,
      timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
      requestPoolSize: requests.length,
      lateThresholdMs: DEFAULTS.lateThresholdMs,
    },
    shape: { model: 'open', stages: [{ durationS: o.durationS, target: o.rps }], startTarget: o.rps, thinkTimeMs: null, profile: null },
    findMax: null,
    thresholds: [],
    source,
    origin: url.origin,
    // doctor scrapes the target itself, over the same window
    metricsUrl: null,
    warmup: null,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  return result.section;
}

export function loadFigures(s: LoadtestSection, scenario: string, rps: number): LoadFigures {
  const lat = s.latency.corrected ?? s.latency.service;
  return {
    scenario,
    // the rate asked for: the section's mean target is spread over the whole sending phase, which a
    // lagging generator stretches, so it understates the offered rate exactly when it matters
    targetRps: rps,
    achievedRps: s.rates.achievedRps,
    durationS: s.durationS,
    sent: s.counts.sent,
    dropped: s.counts.dropped,
    late: s.counts.late,
    errorRate: s.errors.rate,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    generatorCpu: s.generator.cpuUtilization,
    generatorSaturated: s.generator.saturated,
    maxConnections: s.connections.max,
    connectionsExhausted: s.connections.exhaustedCount,
  };
}
