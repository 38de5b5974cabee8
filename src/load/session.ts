/**
 * The load room's front door: one loadtest from parsed flags and a scenario — the plan, the
 * prepared requests, the warm-up ramp, the target (started by the caller's launcher, e.g.
 * start-target.ts, and stopped afterwards), and the run itself: in this process (run.ts) or
 * through Locust workers (locust/session.ts).
 */
import { resolvePlan, DEFAULTS, type ParsedFlags, type ResolvedPlan } from './options.js';
import { describePlan, plannedDurationS, poolSizeFor, warmupRequests } from './plan.js';
import { buildRequestSource } from './request-source.js';
import { CHECK_PATH, type CheckRequest } from '../engine/index.js';
import { runLoadtest, type BaseConfig, type LoadtestRunInput, type LoadtestRunResult } from './run.js';
import { scenarioRequests, type ScenarioRequests } from './scenario-requests.js';
import { firstTarget, LoadShape } from './schedule.js';
import { preflightTarget } from './preflight.js';
import { grpcConnector } from './grpc-sender.js';
import { runOpenModel } from './open-model.js';
import { scrapeMetrics, serverView } from './prometheus.js';
import { runThroughLocust } from './locust/session.js';
import type { RequestSource } from './connection.js';
import type { ReplayShape } from './replay.js';
import type { StartedTarget } from './start-target.js';
import type { LoadtestSection } from './types.js';
import type { Scenario } from '../scenario/index.js';

export type { StartedTarget } from './start-target.js';

/** the --target check before a run waits at most this long (or the request timeout, when shorter) */
const PREFLIGHT_TIMEOUT_MS = 5000;

/** The plan and the requests of a loadtest, before any target is involved (also what exports carry). */
export interface PreparedLoadtest {
  plan: ResolvedPlan;
  requests: CheckRequest[];
  expected: ScenarioRequests['expected'];
  source: RequestSource;
}

export interface PrepareInput {
  parsed: ParsedFlags;
  scenario: Scenario;
  /** the requests and plan of a decision log (--replay), instead of the scenario's */
  replay?: { requests: CheckRequest[]; plan: ResolvedPlan } | null;
  /** compute each request's expected decision with the in-process engine */
  verify: boolean;
}

export async function prepareLoadtest(i: PrepareInput): Promise<PreparedLoadtest> {
  const plan = i.replay?.plan ?? resolvePlan(i.parsed, i.scenario);
  const { requests, expected } = await scenarioRequests(i.scenario, poolSizeFor(i.parsed, plan), plan.seed, i.verify, i.replay?.requests);
  const pathPrefix = i.parsed.targetUrl ? new URL(i.parsed.targetUrl).pathname.replace(/\/+$/, '') : '';
  return { plan, requests, expected, source: buildRequestSource(requests, expected, pathPrefix + CHECK_PATH) };
}

export interface LoadtestSessionInput extends Pick<LoadtestRunInput, 'signal' | 'onProgress' | 'onStep' | 'onSearch' | 'log' | 'budgetStartMs'> {
  parsed: ParsedFlags;
  scenario: Scenario;
  /** prepared by the caller (e.g. with --replay); default: the scenario's requests, verified with parsed.verify */
  prepared?: PreparedLoadtest;
  /** --replay's recorded timing as the open model's schedule */
  replayShape?: ReplayShape | null;
  /** the engine the bundled target runs, when not ours (recorded in the report) */
  engine?: 'cerbos' | null;
  protocol?: 'http' | 'grpc';
  /** starts the target once the requests are prepared */
  startTarget: () => Promise<StartedTarget>;
  /** run the load through Locust (master + workers on this machine) instead of this process */
  locust?: { command: string; workers: number; env: NodeJS.ProcessEnv; debug: boolean; log: (line: string) => void } | null;
  /** the lines that say what runs (the plan and the target), once it is up */
  announce?: (line: string) => void;
}

export type LoadtestSessionResult = LoadtestRunResult & { target: StartedTarget };

/**
 * --find-max opens no more connections than the target admits requests at once, when that is
 * known (the bundled engine's --max-inflight): one more could only be refused (503), and on a
 * shared host the refusals take CPU from the target and the generator, so a backlog left by one
 * stall grew instead of draining. Requests that wait for a connection still count from their
 * intended time, so overload shows as latency.
 */
export function findMaxConnections(maxConnections: number, findMax: boolean, targetInflight: number | undefined): number {
  return findMax && targetInflight !== undefined ? Math.min(maxConnections, targetInflight) : maxConnections;
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

export async function runLoadtestSession(input: LoadtestSessionInput): Promise<LoadtestSessionResult> {
  const { parsed, scenario } = input;
  const prepared = input.prepared ?? (await prepareLoadtest({ parsed, scenario, verify: parsed.verify }));
  const { plan, requests, source } = prepared;
  const engine = input.engine ?? null;
  const warmup = await warmupRequests(scenario, plan, parsed);
  const target = await input.startTarget();
  try {
    const origin = new URL(target.url).origin;
    if (!target.bundled) await preflightTarget({ origin, path: source.path, body: source.bodies[0]!, timeoutMs: Math.min(parsed.timeoutMs, PREFLIGHT_TIMEOUT_MS) });
    const base = baseConfig(target, engine, scenario.name, plan.seed, { ...parsed, maxConnections: findMaxConnections(parsed.maxConnections, plan.findMax !== null, target.maxInflight) }, requests.length);
    const metricsUrl = !parsed.metrics ? null : (parsed.metricsUrl ?? `${target.url}${target.metricsPath ?? '/metrics'}`);
    const where = target.bundled ? `${engine === 'cerbos' ? 'Cerbos PDP' : 'bundled engine'} at ${target.url}` : target.url;
    const what = `(scenario ${scenario.name}, ${requests.length} prepared requests)`;
    if (input.locust) {
      input.announce?.(`loadtest: ${describePlan(plan, parsed)} through Locust (master + ${input.locust.workers} workers) → ${where} ${what}`);
      const section = await runLocustSession(input, prepared, base, origin, metricsUrl, warmup);
      return { section, interrupted: input.signal?.aborted === true, target };
    }
    input.announce?.(`loadtest: ${describePlan(plan, parsed)} → ${where} ${what}`);
    const connector = input.protocol === 'grpc' ? grpcConnector(target.grpcAddress!) : null;
    const result = await runLoadtest({
      ...(connector ? { senders: connector.senders(source, base.timeoutMs) } : {}),
      ...(input.replayShape ? { loadShape: input.replayShape } : {}),
      base: { ...base, ...(connector ? { targetUrl: `grpc://${target.grpcAddress}` } : {}) },
      shape: plan.shape,
      findMax: plan.findMax,
      thresholds: plan.thresholds,
      source,
      origin,
      metricsUrl,
      warmupRequests: 1000,
      warmup,
      ...(input.budgetStartMs !== undefined ? { budgetStartMs: input.budgetStartMs } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      ...(input.onStep ? { onStep: input.onStep } : {}),
      ...(input.onSearch ? { onSearch: input.onSearch } : {}),
      ...(input.log ? { log: input.log } : {}),
    }).finally(() => connector?.close());
    return { ...result, target };
  } finally {
    await target.stop();
  }
}

/** --runner locust: the warm-up from this process, then Locust's run, with the server's view around it. */
async function runLocustSession(
  input: LoadtestSessionInput,
  prepared: PreparedLoadtest,
  base: BaseConfig,
  origin: string,
  metricsUrl: string | null,
  warmup: Awaited<ReturnType<typeof warmupRequests>>,
): Promise<LoadtestSection> {
  const { parsed } = input;
  const { plan, source, expected } = prepared;
  const shape = plan.shape!;
  if (warmup) {
    const first = firstTarget(shape);
    input.announce?.(`warm-up: ramp to ${first} req/s over ${warmup.durationS} s from this process (not recorded)`);
    await runOpenModel({ origin, timeoutMs: parsed.timeoutMs, source: { ...source, bodies: warmup.bodies, verify: null }, shape: new LoadShape([{ durationS: warmup.durationS, target: first }], 0), maxConnections: parsed.maxConnections, lateThresholdMs: DEFAULTS.lateThresholdMs, ...(input.signal ? { signal: input.signal } : {}) });
  }
  const config = { ...base, model: shape.model, stages: shape.stages, plannedDurationS: plannedDurationS(shape), thinkTimeMs: null, profile: shape.profile };
  const before = metricsUrl ? await scrapeMetrics(metricsUrl) : null;
  const locust = input.locust!;
  const section = await runThroughLocust({
    command: locust.command,
    workers: locust.workers,
    config,
    startTarget: shape.startTarget,
    path: source.path,
    bodies: source.bodies,
    expected,
    thresholds: plan.thresholds,
    ...(input.signal ? { signal: input.signal } : {}),
    env: locust.env,
    debug: locust.debug,
    log: locust.log,
  });
  if (metricsUrl && before) {
    const after = await scrapeMetrics(metricsUrl);
    const problem = before.error ?? after.error;
    if (problem) section.warnings.push(`no server-side view: ${problem}`);
    // the window also holds Locust's start-up, when the target idles: utilisation is over the
    // measured span, CPU seconds and requests per CPU second over the whole window
    const sent = section.counts.sent;
    section.server = before.samples && after.samples ? serverView(metricsUrl, before.samples, after.samples, section.durationS, { measured: sent, warmup: 0, probe: 0, autocannon: 0, total: sent }) : null;
  }
  return section;
}
