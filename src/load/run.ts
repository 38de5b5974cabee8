/**
 * One `loadtest` run, whatever the target: scrape /metrics, run the open or closed model (or the
 * --find-max search plus the autocannon cross-check), scrape again, build the report section.
 * Takes everything it needs as input (target URL, requests, signal, callbacks): no process state.
 */
import { performance } from 'node:perf_hooks';
import { AUTOCANNON_MAX_REQUESTS, runAutocannon } from './autocannon.js';
import { runClosedModel } from './closed-model.js';
import { roundRate, searchMaxRate, slowerSpells, type FindMaxProgress } from './find-max.js';
import { runOpenModel } from './open-model.js';
import { GeneratorThreads, runThreadedOpenModel } from './threaded-open-model.js';
import { scrapeMetrics, serverView, type MetricSamples } from './prometheus.js';
import { Recorder } from './recorder.js';
import { LoadShape, peakTarget } from './schedule.js';
import { buildSection } from './section.js';
import type { RequestSource } from './connection.js';
import type { SenderFactory } from './sender.js';
import type { FindMaxPlan, LoadShapePlan } from './options.js';
import type { ProgressSnapshot, RunOutcome } from './run-types.js';
import type { AutocannonCrossCheck, FindMaxResult, FindMaxStep, LoadtestConfig, LoadtestSection, ScrapeWindowSends, ServerView, Threshold } from './types.js';
import { DEFAULTS, warmupTargetRps } from './options.js';

/** Config fields that do not depend on the load shape. */
export type BaseConfig = Omit<LoadtestConfig, 'model' | 'stages' | 'plannedDurationS' | 'thinkTimeMs' | 'profile'>;

export interface LoadtestRunInput {
  base: BaseConfig;
  /** exactly one of shape / findMax */
  shape: LoadShapePlan | null;
  findMax: (FindMaxPlan & { sloP99Ms: number; maxErrorRate: number }) | null;
  thresholds: readonly Threshold[];
  source: RequestSource;
  /** scheme://host:port of the target (paths come from `source`) */
  origin: string;
  /** the transport for every run (default: HTTP/1.1 to `origin`); autocannon stays HTTP */
  senders?: SenderFactory;
  /** GET before and after the run; null: no server view */
  metricsUrl: string | null;
  /**
   * at most this many requests are sent before an open-model run's clock starts (connection
   * set-up, JIT warm-up on both sides): 100 ms worth of the peak rate, at least 200
   */
  warmupRequests?: number;
  /**
   * open model and --find-max: an unrecorded ramp from 0 to the first target over `durationS`
   * before the run (JIT, connections and cache of a freshly started target), with requests of its
   * own so the run's requests are not already cached; null: none
   */
  warmup?: { durationS: number; bodies: readonly Buffer[] } | null;
  signal?: AbortSignal;
  /** after Ctrl-C, how long in-flight requests may still finish (default INTERRUPT_DRAIN_MS) */
  drainMs?: number;
  onProgress?: (p: ProgressSnapshot) => void;
  onStep?: (step: FindMaxStep) => void;
  /** --find-max: after each step, the steps so far and an estimate of what is left */
  onSearch?: (p: FindMaxProgress) => void;
  /** performance.now() when the --find-max budget started (default: when runLoadtest starts) */
  budgetStartMs?: number;
  /** one-line notes for the user (stderr), e.g. "autocannon cross-check, 16 connections" */
  log?: (line: string) => void;
  /** open model: the schedule itself instead of one built from the plan's stages (loadtest --replay) */
  loadShape?: LoadShape;
  /**
   * generator threads to run on when base.generatorThreads > 1 (default: runLoadtest starts them
   * for all its runs, warm-up, steps and probe alike, and ends them when it returns)
   */
  generatorPool?: GeneratorThreads;
}

export interface LoadtestRunResult {
  section: LoadtestSection;
  interrupted: boolean;
}

export async function runLoadtest(input: LoadtestRunInput): Promise<LoadtestRunResult> {
  const threads = input.base.generatorThreads ?? 1;
  if (threads <= 1 || input.generatorPool || input.shape?.model === 'closed' || threadsUnsupported(input)) return runLoadtestOn(input);
  const pool = new GeneratorThreads(threads);
  try {
    return await runLoadtestOn({ ...input, generatorPool: pool });
  } finally {
    await pool.close();
  }
}

async function runLoadtestOn(input: LoadtestRunInput): Promise<LoadtestRunResult> {
  const warnings: string[] = [];
  const started = input.budgetStartMs ?? performance.now();
  await warmUp(input);
  const before = input.metricsUrl ? await scrape(input.metricsUrl, warnings) : null;
  const wall0 = performance.now();
  // everything sent between the two scrapes, so server CPU per request is exact
  const sent = new SendTally();
  let run: RunOutcome;
  let config: LoadtestConfig;
  let findMax: FindMaxResult | undefined;
  if (input.findMax) {
    const r = await runFindMax(input, input.findMax, sent, started);
    run = r.run;
    config = r.config;
    findMax = r.result;
    warnings.push(...r.warnings);
  } else {
    const shape = input.shape!;
    config = configFor(input.base, shape);
    run = sent.add(await runShape(input, shape, input.onProgress), 'measured');
  }
  const wallS = (performance.now() - wall0) / 1000;
  let server: ServerView | null | undefined;
  if (input.metricsUrl && before) {
    const after = await scrape(input.metricsUrl, warnings);
    server = after ? serverView(input.metricsUrl, before, after, wallS, sent.result()) : null;
  } else if (input.metricsUrl) server = null;
  if (input.base.requestPoolSize < run.recorder.counts.sent && input.base.requestPoolSize > 0 && !findMax)
    warnings.push(
      `the ${input.base.requestPoolSize} prepared requests were cycled (${run.recorder.counts.sent} sent): repeats raise the server's cache hit rate (raise --request-pool)`,
    );
  const section = buildSection(run, config, input.thresholds, {
    ...(server !== undefined ? { server } : {}),
    ...(findMax ? { findMax } : {}),
    warnings,
  });
  return { section, interrupted: run.interrupted || Boolean(input.signal?.aborted) };
}

async function warmUp(input: LoadtestRunInput): Promise<void> {
  const w = input.warmup;
  const first = warmupTargetRps(input);
  if (!w || !(w.durationS > 0) || !(first > 0) || w.bodies.length === 0 || input.signal?.aborted) return;
  input.log?.(`warm-up: ramp to ${first} req/s over ${w.durationS} s (not recorded)`);
  const source = { ...input.source, bodies: w.bodies, verify: null };
  await runShape({ ...input, source, warmup: null }, { model: 'open', stages: [{ durationS: w.durationS, target: first }], startTarget: 0, thinkTimeMs: null, profile: null });
}

function configFor(base: BaseConfig, shape: LoadShapePlan): LoadtestConfig {
  return {
    ...base,
    model: shape.model,
    stages: shape.stages,
    plannedDurationS: shape.stages.reduce((s, x) => s + x.durationS, 0),
    thinkTimeMs: shape.thinkTimeMs,
    profile: shape.profile,
  };
}

function runShape(input: LoadtestRunInput, shape: LoadShapePlan, onProgress?: (p: ProgressSnapshot) => void, endDrainMs?: number): Promise<RunOutcome> {
  const load = input.loadShape && shape.model === 'open' ? input.loadShape : new LoadShape(shape.stages, shape.startTarget);
  const common = {
    origin: input.origin,
    timeoutMs: input.base.timeoutMs,
    source: input.source,
    shape: load,
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.drainMs !== undefined ? { drainMs: input.drainMs } : {}),
    ...(endDrainMs !== undefined ? { endDrainMs } : {}),
    ...(input.senders ? { senders: input.senders } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
  const threads = input.base.generatorThreads ?? 1;
  if (shape.model === 'closed') {
    const closed = runClosedModel({ ...common, thinkTimeMs: shape.thinkTimeMs, seed: input.base.seed });
    return threads <= 1 ? closed : closed.then((run) => ({ ...run, warnings: [...run.warnings, `--generator-threads ${threads} applies to the open model: the closed model ran in one thread`] }));
  }
  const open = {
    ...common,
    maxConnections: input.base.maxConnections,
    lateThresholdMs: input.base.lateThresholdMs,
    warmupRequests: Math.min(input.warmupRequests ?? 0, Math.max(200, Math.ceil(peakTarget(shape) / 10))),
    ...(input.warmup ? { warmupBodies: input.warmup.bodies } : {}),
  };
  if (threads <= 1) return runOpenModel(open);
  const single = threadsUnsupported(input);
  if (single) return runOpenModel(open).then((run) => ({ ...run, warnings: [...run.warnings, `--generator-threads ${threads}: ${single}, so one thread sent the load`] }));
  const { senders: _senders, ...rest } = open;
  return runThreadedOpenModel({ ...rest, threads, ...(input.generatorPool ? { pool: input.generatorPool } : {}) });
}

/** Why a run cannot be spread over generator threads, or null. */
function threadsUnsupported(input: LoadtestRunInput): string | null {
  if (input.senders) return 'the transport (gRPC) is opened by the main thread only';
  if (input.loadShape) return 'a replayed schedule stays in the main thread';
  if (input.source.verify && !input.source.check) return 'the response check cannot be handed to a thread';
  return null;
}

class SendTally {
  private readonly n = { measured: 0, warmup: 0, probe: 0, autocannon: 0 };
  add(run: RunOutcome, as: 'measured' | 'probe'): RunOutcome {
    this.n[as] += run.recorder.counts.sent;
    this.n.warmup += run.warmupSent ?? 0;
    return run;
  }
  addAutocannon(sentCount: number): void {
    this.n.autocannon += sentCount;
  }
  result(): ScrapeWindowSends {
    const n = this.n;
    return { ...n, total: n.measured + n.warmup + n.probe + n.autocannon };
  }
}

async function runFindMax(
  input: LoadtestRunInput,
  plan: FindMaxPlan & { sloP99Ms: number; maxErrorRate: number },
  sent: SendTally,
  startedMs: number,
): Promise<{ run: RunOutcome; config: LoadtestConfig; result: FindMaxResult; warnings: string[] }> {
  const stepShape = (rps: number, durationS = plan.stepDurationS): LoadShapePlan => ({
    model: 'open',
    stages: [{ durationS, target: rps }],
    startTarget: rps,
    thinkTimeMs: null,
    profile: null,
  });
  const warnings: string[] = [];
  // autocannon runs first: besides the cross-check, its closed-loop rate is the ceiling the
  // search's climb approaches by halves instead of doubling past it
  let autocannon: AutocannonCrossCheck | null = null;
  if (plan.autocannon && !input.signal?.aborted) {
    input.log?.(`autocannon cross-check: ${plan.autocannonConnections} connections for ${plan.stepDurationS} s`);
    try {
      autocannon = await runAutocannon({
        url: input.origin,
        path: input.source.path,
        bodies: input.source.bodies,
        connections: plan.autocannonConnections,
        durationS: plan.stepDurationS,
        timeoutS: Math.max(1, Math.ceil(input.base.timeoutMs / 1000)),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      sent.addAutocannon(autocannon.sent ?? 0);
    } catch (err) {
      warnings.push(`autocannon cross-check failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // the budget covers the warm-up and the cross-check (already spent), the search and the probe
  const probeMs = plan.stepDurationS * 1000 + CHECK_OVERHEAD_MS;
  const searchBudgetMs = Math.max(0, plan.budgetS * 1000 - (performance.now() - startedMs) - probeMs);
  const search = await searchMaxRate({
    startRps: plan.startRps,
    growth: DEFAULTS.findMaxGrowth,
    ...(autocannon && autocannon.rps > 0 ? { ceilingRps: autocannon.rps } : {}),
    settleMs: DEFAULTS.findMaxSettleMs,
    maxSteps: plan.maxSteps,
    resolution: DEFAULTS.findMaxResolution,
    sloP99Ms: plan.sloP99Ms,
    maxErrorRate: plan.maxErrorRate,
    stepDurationS: plan.stepDurationS,
    maxStepDurationS: plan.stepDurationS * DEFAULTS.findMaxStepExtension,
    minSamples: plan.minSamples,
    budgetMs: searchBudgetMs,
    ...(input.onSearch ? { onSearch: input.onSearch } : {}),
    // a request still out this long after a step's end breaks the SLO anyway: counted as abandoned
    runStep: async (rps, durationS) => sent.add(await runShape(input, stepShape(rps, durationS), input.onProgress, Math.max(STEP_DRAIN_MIN_MS, 4 * plan.sloP99Ms)), 'measured'),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.onStep ? { onStep: input.onStep } : {}),
  });
  // overload probe: the open model far above what the target holds, over autocannon's number of
  // connections (requests wait for a free one) and with autocannon's requests, shows the
  // generator's own ceiling on this target
  let probeRps = 0;
  if (!input.signal?.aborted && search.steps.length > 0) {
    const probeTarget = roundRate(2 * Math.max(autocannon?.rps ?? 0, ...search.steps.map((s) => s.targetRps)));
    input.log?.(`find-max: overload probe at ${probeTarget} req/s over ${plan.autocannonConnections} connections for ${plan.stepDurationS} s`);
    const source = { ...input.source, bodies: input.source.bodies.slice(0, AUTOCANNON_MAX_REQUESTS) };
    // only the throughput while sending counts: stop at the planned end instead of draining the
    // backlog (the rates use the measured duration, so an early stop does not skew them)
    const stop = new AbortController();
    const outer = (): void => stop.abort();
    input.signal?.addEventListener('abort', outer, { once: true });
    const timer = setTimeout(outer, plan.stepDurationS * 1000);
    const probe = await runShape(
      { ...input, source, signal: stop.signal, drainMs: 100, base: { ...input.base, maxConnections: plan.autocannonConnections } },
      stepShape(probeTarget),
    );
    sent.add(probe, 'probe');
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', outer);
    if (!input.signal?.aborted && probe.durationS > 0) probeRps = Math.round((probe.recorder.counts.succeeded / probe.activeS) * 10) / 10;
  }
  const generatorMaxRps = Math.max(0, probeRps, ...search.steps.map((s) => s.achievedRps));
  const bestRps = search.highestPassingRps ?? search.steps[search.steps.length - 1]?.targetRps ?? plan.startRps;
  const bestShape = stepShape(bestRps, search.steps.find((s) => s.targetRps === bestRps)?.durationS ?? plan.stepDurationS);
  const run = search.best ?? emptyRun(input, bestShape);
  const retried = search.steps.filter((s) => (s.retries ?? 0) > 0);
  if (retried.length)
    warnings.push(
      `find-max re-ran ${retried.length} failed step(s) once (${retried.map((s) => `${s.targetRps} req/s ${s.passed ? 'held' : 'broke again'}`).join(', ')}): a single stall on a busy host can break a step`,
    );
  if (search.budgetExhausted)
    warnings.push(
      `find-max: the ${plan.budgetS} s budget ended the search ${search.gap !== null ? `with ${pct(search.gap)} between the highest rate that held and the lowest that broke (resolution ${pct(DEFAULTS.findMaxResolution)})` : 'before it bracketed the limit'}${search.confirmed ? '' : '; the result was not repeated'}: raise --budget or shorten --step-duration`,
    );
  else if (search.highestPassingRps !== null && !search.confirmed && !input.signal?.aborted)
    warnings.push(`find-max: the highest rate that held was not repeated${search.steps.length >= plan.maxSteps ? ' (--max-steps ran out)' : ''}, so it rests on one step`);
  const spells = slowerSpells(search.steps);
  if (spells.length)
    warnings.push(
      `find-max: ${spells.map(([broke, held]) => `${broke} req/s broke and ${held} held`).join(', ')}: verdicts changed within one search (the target or its host was slower for a while, e.g. another process), so the result may be low; a longer --budget leaves room to re-check`,
    );
  const inconclusive = search.steps.filter((s) => s.verdict === 'inconclusive');
  if (inconclusive.length)
    warnings.push(
      `find-max: ${inconclusive.length} step(s) had fewer than ${plan.minSamples} requests even at ${plan.stepDurationS * DEFAULTS.findMaxStepExtension} s (inconclusive, not counted as held): raise --step-duration or --start-rps`,
    );
  return {
    run,
    config: configFor(input.base, bestShape),
    result: {
      sloP99Ms: plan.sloP99Ms,
      maxErrorRate: plan.maxErrorRate,
      minSamples: plan.minSamples,
      highestPassingRps: search.highestPassingRps,
      steps: search.steps,
      generatorMaxRps,
      autocannon,
      generatorToAutocannonRatio: autocannon && autocannon.rps > 0 ? Math.round((generatorMaxRps / autocannon.rps) * 1000) / 1000 : null,
      ceilingRps: autocannon && autocannon.rps > 0 ? autocannon.rps : null,
      budgetS: plan.budgetS,
      elapsedS: Math.round((performance.now() - startedMs) / 100) / 10,
      budgetExhausted: search.budgetExhausted,
      resolution: DEFAULTS.findMaxResolution,
      gap: search.gap,
      confirmed: search.confirmed,
      limit: search.limit,
    },
    warnings,
  };
}

/** A find-max step waits at least this long (else 4× the p99 SLO) for its last responses. */
const STEP_DRAIN_MIN_MS = 1000;

/** Time the autocannon cross-check and the overload probe cost beyond their length. */
const CHECK_OVERHEAD_MS = 500;

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** Interrupted before the first step measured anything. */
function emptyRun(input: LoadtestRunInput, shape: LoadShapePlan): RunOutcome {
  const recorder = new Recorder('open', new LoadShape(shape.stages, shape.startTarget), input.base.lateThresholdMs, () => 0);
  recorder.finish(0);
  return {
    recorder,
    durationS: 0,
    activeS: 0,
    interrupted: true,
    connections: { max: input.base.maxConnections, opened: 0, peakInFlight: 0, exhaustedCount: 0 },
    generator: { cpuSeconds: 0, cpuUtilization: 0, saturated: false },
    warnings: [],
  };
}

async function scrape(url: string, warnings: string[]): Promise<MetricSamples | null> {
  const { samples, error } = await scrapeMetrics(url);
  if (error) warnings.push(`no server-side view: ${error}`);
  return samples;
}
