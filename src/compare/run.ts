/**
 * `compare`'s front door: each engine × protocol is loaded with the same seeded requests through
 * the load room's own runner (load/run.ts): a --find-max search for the highest rate that holds the
 * SLO, then a fixed open-model run at one common rate for like-for-like latency, CPU and memory.
 * Engines are started and stopped by the injected `startEngine` (the CLI pins them to the CPU
 * budget); decisions are compared by the injected `compareDecisions`.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULTS } from '../load/options.js';
import { runLoadtest, type BaseConfig, type LoadtestRunInput, type LoadtestRunResult } from '../load/run.js';
import type { RequestSource } from '../load/connection.js';
import type { FindMaxStep, LoadtestSection } from '../load/types.js';
import type { DifferentialResult } from '../targets/differential.js';
import type { CompareSection, CpuBudget, EngineMeasure, EngineName, Protocol } from './types.js';

export interface RunningEngine {
  version: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** 127.0.0.1:PORT, null when the engine serves no gRPC */
  grpcAddress: string | null;
  metricsUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** What a protocol needs to send the requests: the HTTP source, or extra runner input (gRPC). */
export type LoadTargetFor = (protocol: Protocol, engine: RunningEngine) => Pick<LoadtestRunInput, 'origin' | 'source'> & Partial<LoadtestRunInput>;

export interface CompareOptions {
  scenario: { name: string; seed: number; slo: { p99Ms: number; errorRate: number } };
  engines: EngineName[];
  protocols: Protocol[];
  cpuBudget: CpuBudget;
  /** the seeded requests (HTTP bodies) with their expected decisions */
  source: RequestSource;
  /** requests of another seed, for the unrecorded warm-up ramp */
  warmupBodies: readonly Buffer[];
  startEngine: (engine: EngineName) => Promise<RunningEngine>;
  /** default: HTTP to engine.httpUrl with `source` */
  loadTarget?: LoadTargetFor;
  /** Cerbos's decisions against the reference engine's, given Cerbos's HTTP URL */
  compareDecisions?: (cerbosUrl: string) => Promise<DifferentialResult>;
  stepDurationS: number;
  commonDurationS: number;
  /** unrecorded ramp before each run (0: none) */
  warmupS: number;
  startRps: number;
  maxSteps: number;
  /** default: runLoadtest */
  runLoad?: (input: LoadtestRunInput) => Promise<LoadtestRunResult>;
  signal?: AbortSignal;
  log?: (line: string) => void;
  onStep?: (engine: EngineName, protocol: Protocol, step: FindMaxStep) => void;
}

export async function runCompare(o: CompareOptions): Promise<{ section: CompareSection; interrupted: boolean }> {
  const t0 = performance.now();
  const runLoad = o.runLoad ?? runLoadtest;
  const loadTarget = o.loadTarget ?? ((_p: Protocol, e: RunningEngine) => ({ origin: e.httpUrl, source: o.source }));
  const measures: EngineMeasure[] = [];
  let agreement: CompareSection['agreement'] = null;
  const running = new Map<EngineName, RunningEngine>();
  const base = (url: string): BaseConfig => ({
    targetUrl: url,
    bundledTarget: true,
    scenario: o.scenario.name,
    seed: o.scenario.seed,
    maxConnections: DEFAULTS.maxConnections,
    timeoutMs: DEFAULTS.timeoutMs,
    requestPoolSize: o.source.bodies.length,
    lateThresholdMs: DEFAULTS.lateThresholdMs,
  });
  const common = (engine: RunningEngine, protocol: Protocol): Omit<LoadtestRunInput, 'shape' | 'findMax'> => ({
    base: base(protocol === 'grpc' ? `grpc://${engine.grpcAddress}` : engine.httpUrl),
    thresholds: [],
    metricsUrl: engine.metricsUrl,
    warmupRequests: 1000,
    warmup: o.warmupS > 0 ? { durationS: o.warmupS, bodies: o.warmupBodies } : null,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...loadTarget(protocol, engine),
  });
  let commonRps: number | null = null;
  try {
    for (const name of o.engines) {
      const engine = await o.startEngine(name);
      running.set(name, engine);
      o.log?.(`compare: started ${name} ${engine.version} (pid ${engine.pid})`);
    }
    // 1. the highest rate each engine holds
    for (const protocol of o.protocols) {
      for (const name of o.engines) {
        if (o.signal?.aborted) break;
        const engine = running.get(name)!;
        o.log?.(`compare: ${name} over ${protocol}: searching the highest rate that holds p99 ≤ ${o.scenario.slo.p99Ms} ms`);
        const r = await runLoad({
          ...common(engine, protocol),
          shape: null,
          findMax: {
            startRps: o.startRps,
            stepDurationS: o.stepDurationS,
            maxSteps: o.maxSteps,
            sloP99Ms: o.scenario.slo.p99Ms,
            maxErrorRate: o.scenario.slo.errorRate,
            minSamples: Math.min(DEFAULTS.findMaxMinSamples, 150),
            autocannon: false,
            autocannonConnections: DEFAULTS.autocannonConnections,
            budgetS: DEFAULTS.findMaxBudgetS,
          },
          ...(o.onStep ? { onStep: (s: FindMaxStep) => o.onStep!(name, protocol, s) } : {}),
        });
        measures.push(fromFindMax(name, protocol, engine.version, r.section));
      }
    }
    // 2. every engine at one rate all of them hold
    const held = measures.map((m) => m.highestPassingRps ?? 0);
    commonRps = held.length && !o.signal?.aborted ? Math.max(1, roundRate(Math.min(...held) / 2 || o.startRps / 2)) : null;
    if (commonRps !== null) {
      for (const m of measures) {
        if (o.signal?.aborted) break;
        const engine = running.get(m.engine)!;
        o.log?.(`compare: ${m.engine} over ${m.protocol} at ${commonRps} req/s for ${o.commonDurationS} s`);
        const r = await runLoad({
          ...common(engine, m.protocol),
          findMax: null,
          shape: { model: 'open', stages: [{ durationS: o.commonDurationS, target: commonRps }], startTarget: commonRps, thinkTimeMs: null, profile: null },
        });
        atRate(m, commonRps, r.section);
      }
    }
    // 3. decisions
    const cerbos = running.get('cerbos');
    if (cerbos && o.compareDecisions && !o.signal?.aborted) {
      o.log?.('compare: decision check of Cerbos against the reference engine');
      const d = await o.compareDecisions(cerbos.httpUrl);
      agreement = { requests: d.requests, actions: d.actions, differingActions: d.differingActions, perAction: d.perAction };
    }
  } finally {
    await Promise.all([...running.values()].map((e) => e.stop()));
  }
  const section: CompareSection = {
    scenario: o.scenario.name,
    seed: o.scenario.seed,
    protocols: o.protocols,
    engines: o.engines,
    cpuBudget: o.cpuBudget,
    slo: o.scenario.slo,
    commonRps,
    commonDurationS: o.commonDurationS,
    stepDurationS: o.stepDurationS,
    measures,
    agreement,
    durationS: Math.round((performance.now() - t0) / 100) / 10,
  };
  return { section, interrupted: Boolean(o.signal?.aborted) };
}

function fromFindMax(engine: EngineName, protocol: Protocol, version: string, s: LoadtestSection): EngineMeasure {
  const fm = s.findMax;
  const warnings = [...s.warnings];
  const highest = fm?.highestPassingRps ?? null;
  if (fm && highest !== null && highest >= 0.9 * fm.generatorMaxRps)
    warnings.push(`${engine} held the SLO up to ${highest} req/s, near the generator's own ceiling (${fm.generatorMaxRps} req/s): the engine may hold more`);
  return {
    engine,
    protocol,
    version,
    highestPassingRps: highest,
    findMaxSteps: fm?.steps ?? [],
    generatorMaxRps: fm?.generatorMaxRps ?? 0,
    atCommonRate: null,
    cpuMsPer1000Checks: null,
    rssBytes: null,
    server: null,
    warnings,
  };
}

function atRate(m: EngineMeasure, rps: number, s: LoadtestSection): void {
  const latency = s.latency.corrected ?? s.latency.service;
  m.atCommonRate = {
    targetRps: rps,
    achievedRps: s.rates.achievedRps ?? 0,
    p50Ms: latency.count ? latency.p50Ms : null,
    p99Ms: latency.count ? latency.p99Ms : null,
    errors: s.counts.failed + s.counts.dropped,
    mismatches: s.errors.mismatch,
  };
  const server = s.server ?? null;
  m.server = server;
  m.rssBytes = server?.rssBytes ?? null;
  const checks = server?.requests ?? server?.sent?.total ?? null;
  m.cpuMsPer1000Checks = server?.cpuSeconds != null && checks ? Math.round(((server.cpuSeconds * 1000) / checks) * 1000 * 100) / 100 : null;
  m.warnings.push(...s.warnings);
}

function roundRate(x: number): number {
  if (x < 100) return Math.round(x);
  const magnitude = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / magnitude) * magnitude;
}
