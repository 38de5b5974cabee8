/**
 * `doctor`'s front door: observe a running engine's metrics over a window (optionally while
 * driving the scenario's requests at it, and reading Postgres), profile CEL per expression
 * in-process when policies are known, apply the playbook rules, return the report section.
 * Everything that touches the process (clock, sleep, fetch, the database handle) is passed in.
 */
import { loadPolicySet } from '../engine/index.js';
import { createRequestStream, takeRequests, type Scenario } from '../scenario/index.js';
import type { DbAdapter } from '../query/adapter.js';
import { collect } from './collect.js';
import { profileCel } from './cel-profile.js';
import { databaseBaseline, readDatabase } from './database.js';
import { loadFigures, runDoctorLoad } from './load.js';
import { observe, type ObserveDeps } from './observe.js';
import { applyRules, RULES, worstSeverity } from './rules/index.js';
import type { CollectedMetrics, DatabaseFigures, DoctorSection, LoadFigures } from './types.js';
import type { LoadtestSection } from '../load/types.js';

export interface DoctorOptions {
  /** base URL of the engine's check API */
  targetUrl: string;
  /** its Prometheus endpoint (`/metrics` for serve, `/_cerbos/metrics` for Cerbos) */
  metricsUrl: string;
  /** the command started the engine itself */
  bundled: boolean;
  /** observation window without --load; with it, the load's duration */
  windowS: number;
  /** seconds between scrapes (default: a tenth of the window, 1–10 s) */
  intervalS?: number;
  slo: { p99Ms: number; errorRate: number; source: string };
  /** request stream for --load and the CEL profile, and its policies */
  scenario: Scenario | null;
  /** --load: the open-model rate and the loadtest knobs doctor passes on */
  load: { rps: number; seed?: number; requestPool?: number; maxConnections?: number; timeoutMs?: number } | null;
  database: DbAdapter | null;
  /** ms of in-process CEL profiling after the window (0: none) */
  celProfileBudgetMs?: number;
  /** requests of the scenario's stream to profile */
  celProfileRequests?: number;
  hostCores: number;
  cwd: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export type DoctorDeps = ObserveDeps;

export interface DoctorResult {
  section: DoctorSection;
  interrupted: boolean;
}

const DEFAULT_PROFILE_BUDGET_MS = 3000;
const DEFAULT_PROFILE_REQUESTS = 500;
const MAX_SCRAPES = 500;

export async function runDoctor(o: DoctorOptions, deps: DoctorDeps): Promise<DoctorResult> {
  const notes: string[] = [];
  const missed: string[] = [];
  const asked = 1000 * (o.intervalS ?? Math.min(10, Math.max(1, o.windowS / 10)));
  // at most MAX_SCRAPES points, so the report stays small whatever the window
  const intervalMs = Math.max(asked, (o.windowS * 1000) / MAX_SCRAPES);
  if (intervalMs > asked) notes.push(`scraped every ${Math.round(intervalMs) / 1000} s instead of ${asked / 1000} s: at most ${MAX_SCRAPES} scrapes per window`);
  const dbBefore = o.database ? await databaseBaseline(o.database) : null;

  let loadRun: Promise<LoadtestSection> | null = null;
  if (o.load) {
    if (!o.scenario) throw new Error('runDoctor: load needs a scenario');
    o.log?.(`doctor: driving ${o.scenario.name} at ${o.load.rps} req/s for ${o.windowS} s and observing ${o.metricsUrl}`);
    loadRun = runDoctorLoad({
      scenario: o.scenario,
      targetUrl: o.targetUrl,
      bundled: o.bundled,
      rps: o.load.rps,
      durationS: o.windowS,
      ...(o.load.seed !== undefined ? { seed: o.load.seed } : {}),
      ...(o.load.requestPool !== undefined ? { requestPool: o.load.requestPool } : {}),
      ...(o.load.maxConnections !== undefined ? { maxConnections: o.load.maxConnections } : {}),
      ...(o.load.timeoutMs !== undefined ? { timeoutMs: o.load.timeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  } else o.log?.(`doctor: observing ${o.metricsUrl} for ${o.windowS} s`);

  const { scrapes, lost } = await observe(
    {
      metricsUrl: o.metricsUrl,
      intervalMs,
      windowMs: o.windowS * 1000,
      ...(loadRun ? { until: loadRun } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onMissed: (reason) => missed.push(reason),
    },
    deps,
  ).catch(async (err: unknown) => {
    // let a started load finish before reporting the failure
    await loadRun?.catch(() => undefined);
    throw err;
  });
  const loadSection = loadRun ? await loadRun : null;
  if (missed.length) notes.push(`${missed.length} scrape${missed.length > 1 ? 's' : ''} in the window failed (first: ${missed[0]})`);
  const database: DatabaseFigures | null = o.database && dbBefore ? await readDatabase(o.database, dbBefore) : null;

  const { figures, series } = collect(scrapes);
  if (lost) notes.push(`the last scrape failed (${lost}): figures end at the scrape before it`);
  const load: LoadFigures | null = loadSection && o.scenario ? loadFigures(loadSection, o.scenario.name, o.load!.rps) : null;
  if (figures.flavour === 'unknown') notes.push(`${o.metricsUrl} has neither authz_perf_* nor cerbos_dev_* metrics: only process metrics were read`);
  if (figures.flavour === 'cerbos') notes.push('Cerbos has no decision cache and does not time CEL in its metrics: cache and CEL figures come only from an in-process profile of the scenario, when given');
  if (figures.requests?.count === 0 && !load) notes.push('the engine answered no check requests in the window: latency, cache and CEL rules had nothing to read (drive load with --scenario NAME --load RPS)');

  if (database?.backend === 'postgres' && figures.windowS < 20)
    notes.push('PostgreSQL publishes the table counters of sessions that stay open only every 10 s: with a window this short, scans by pooled connections may be missed (use --duration 30s or more)');
  const metrics: CollectedMetrics = { ...figures, hostCores: o.hostCores, slo: o.slo, load, database, lostTarget: lost };
  const budget = o.celProfileBudgetMs ?? DEFAULT_PROFILE_BUDGET_MS;
  if (o.scenario && budget > 0 && !o.signal?.aborted) {
    const policySet = await loadPolicySet(o.scenario.policyDir);
    const requests = takeRequests(createRequestStream(o.scenario, { seed: o.load?.seed ?? o.scenario.seed }), o.celProfileRequests ?? DEFAULT_PROFILE_REQUESTS);
    const now = (): number => deps.now();
    const profile = profileCel({ policySet, requests, budgetMs: budget, now, cwd: o.cwd });
    metrics.cel = {
      ...(metrics.cel ?? { evaluations: null, seconds: null, shareOfCheckTime: null }),
      perExpression: profile.stats.slice(0, 20),
      perExpressionSource:
        `in-process traceCheck of ${profile.requestsTraced} ${o.scenario.name} requests (${profile.evaluations} evaluations, each re-run 3 times alone, the fastest counted)` +
        (figures.flavour === 'authz-perf'
          ? ': serve exposes CEL totals only'
          : ": the bundled engine's CEL, not the target's (for Cerbos, cel-go): the ranking carries over, the times do not"),
    };
  }

  const findings = applyRules(metrics);
  return {
    section: {
      target: { url: o.targetUrl, metricsUrl: o.metricsUrl, flavour: figures.flavour, bundled: o.bundled },
      windowS: figures.windowS,
      findings,
      rulesRun: RULES.map((r) => r.name),
      metrics,
      series,
      notes,
      worst: worstSeverity(findings),
    },
    interrupted: Boolean(o.signal?.aborted),
  };
}
