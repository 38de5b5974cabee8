/** Calibration from a loadtest --find-max report: the USL fit over the steps, or a linear per-core capacity. */
import { InputError } from '../util/errors.js';
import { isObject, num } from '../util/json-values.js';
import { DEFAULTS } from './defaults.js';
import { fitUsl, MIN_USL_POINTS, uslMaxThroughput, uslPeakConcurrency, uslThroughput } from './usl.js';
import type { Calibration, SourcedFigure, UslModel } from './types.js';
import { fmt, fmtMs } from './text.js';
import type { FindMaxStep as LoadFindMaxStep } from '../load/types.js';
import { defaultMemory, envelopeInfo, measured, type CalibrateOptions, type Json } from './calibration-parts.js';

/** A USL fit explaining less of the variance than this is not used for capacity. */
const MIN_USL_R_SQUARED = 0.8;
const MAX_USL_RELATIVE_RMSE = 0.15;

type FindMaxStep = Pick<LoadFindMaxStep, 'targetRps' | 'achievedRps' | 'p50Ms' | 'p99Ms' | 'errorRate' | 'meanConcurrency'>;

function readSteps(findMax: Json, file: string): FindMaxStep[] {
  if (!Array.isArray(findMax.steps)) throw new InputError('loadtest findMax has no steps array', { file });
  return findMax.steps.flatMap((s, i) => {
    if (!isObject(s)) return [];
    const fields = ['targetRps', 'achievedRps', 'p50Ms', 'p99Ms', 'errorRate', 'meanConcurrency'] as const;
    const values = fields.map((f) => num(s[f]));
    if (values.some((v) => v === null)) {
      throw new InputError(`loadtest findMax.steps[${i}] lacks a number in ${fields.filter((_, k) => values[k] === null).join(', ')}`, { file });
    }
    const [targetRps, achievedRps, p50Ms, p99Ms, errorRate, meanConcurrency] = values as number[];
    return [{ targetRps: targetRps!, achievedRps: achievedRps!, p50Ms: p50Ms!, p99Ms: p99Ms!, errorRate: errorRate!, meanConcurrency: meanConcurrency! }];
  });
}

export function fromLoadtest(report: Json, file: string, options: CalibrateOptions): Calibration {
  const section = report.loadtest;
  if (!isObject(section)) throw new InputError('loadtest report has no loadtest section', { file });
  const findMax = isObject(section.findMax) ? section.findMax : null;
  if (!findMax) throw new InputError('loadtest report has no findMax results: run `authz-perf loadtest --find-max` and save its report', { file });
  const allSteps = readSteps(findMax, file);
  const steps = allSteps.filter((s) => s.achievedRps > 0 && s.meanConcurrency > 0 && s.errorRate <= DEFAULTS.maxCalibrationErrorRate);
  if (steps.length === 0) throw new InputError('loadtest findMax has no step with throughput and an error rate ≤ 5%', { file });
  const notes: string[] = [];
  if (steps.length < allSteps.length) {
    notes.push(`${allSteps.length - steps.length} find-max step(s) left out of the fit (no throughput or error rate > ${DEFAULTS.maxCalibrationErrorRate * 100}%)`);
  }
  const config = isObject(section.config) ? section.config : null;
  const scenario =
    typeof config?.scenario === 'string' ? config.scenario : typeof section.scenario === 'string' ? section.scenario : options.scenario ?? null;
  if (options.scenario !== undefined && scenario !== null && options.scenario !== scenario) {
    notes.push(`--scenario ${options.scenario} differs from the scenario the loadtest ran (${scenario}): capacity is that of ${scenario}`);
  }
  const generator = isObject(section.generator) ? section.generator : null;
  if (generator?.saturated === true) {
    notes.push('the load generator saturated its CPU during the run: the measured capacity may be the generator\'s, so it is a lower bound');
  }
  const env = isObject(report.environment) ? report.environment : null;
  if (env?.loadGeneratorSharedHost === true) {
    notes.push('load generator and engine shared one host: they competed for CPU, so capacity is a lower bound');
  }
  const highestPassing = num(findMax.highestPassingRps);
  const slo = num(findMax.sloP99Ms);
  // The autocannon cross-check is one more (concurrency, throughput) point: closed loop, N = connections.
  const cross = readAutocannon(findMax);
  const points: Array<{ n: number; x: number; targetRps: number | null }> = steps.map((s) => ({ n: s.meanConcurrency, x: s.achievedRps, targetRps: s.targetRps }));
  if (cross?.clean) points.push({ n: cross.connections, x: cross.rps, targetRps: null });
  const maxObservedRps = Math.max(...points.map((p) => p.x));
  const maxMeasuredConcurrency = Math.max(...points.map((p) => p.n));
  const distinct = concurrencyLevels(points.map((p) => p.n));

  let usl: UslModel | null = null;
  let useUsl = false;
  let perCore: SourcedFigure | null = null;
  if (distinct >= MIN_USL_POINTS) {
    const fit = fitUsl(points);
    const peakN = uslPeakConcurrency(fit);
    const peakRps = uslMaxThroughput(fit);
    usl = {
      sigma: fit.sigma,
      kappa: fit.kappa,
      lambdaRps: fit.lambda,
      peakConcurrency: Number.isFinite(peakN) ? peakN : null,
      peakRps: Number.isFinite(peakRps) ? peakRps : null,
      rSquared: fit.rSquared,
      rmseRps: fit.rmse,
      iterations: fit.iterations,
      converged: fit.converged,
      points: points.map((p) => ({ concurrency: p.n, achievedRps: p.x, fittedRps: uslThroughput(fit, p.n), targetRps: p.targetRps })),
      maxMeasuredConcurrency,
      relativeRmse: Math.sqrt(points.reduce((sum, p) => sum + ((uslThroughput(fit, p.n) - p.x) / p.x) ** 2, 0) / points.length),
    };
    // R² alone flatters a fit that one large point dominates; the relative error sees every point.
    useUsl = fit.rSquared >= MIN_USL_R_SQUARED && usl.relativeRmse <= MAX_USL_RELATIVE_RMSE;
    if (useUsl) {
      // Never trust the curve beyond the data: capacity is the model at min(N*, highest measured N).
      const nCap = Math.min(peakN, maxMeasuredConcurrency);
      const modelled = uslThroughput(fit, nCap);
      // ...nor above what was measured: a hump between two distant points is the model's, not the engine's.
      const capped = modelled > maxObservedRps * 1.05;
      const capacity = capped ? maxObservedRps : modelled;
      perCore = measured(
        capacity,
        `USL fit on ${steps.length} find-max steps${cross?.clean ? ' + the autocannon run' : ''} (σ ${fmt(fit.sigma, 3)}, κ ${fmt(fit.kappa, 3)}, λ ${fmt(fit.lambda)} RPS, R² ${fmt(fit.rSquared, 3)}): X(${fmt(nCap, 3)}) = ${fmt(modelled)} RPS${
          capped ? `, capped at the highest measured ${fmt(maxObservedRps)} RPS` : ''
        } for one engine process (one core)`,
      );
      if (capped) {
        notes.push(
          `the fitted peak X(N*) = ${fmt(modelled)} RPS at N* = ${fmt(peakN, 3)} exceeds every measured throughput: capacity capped at the highest measured ${fmt(maxObservedRps)} RPS (measure near N* to confirm)`,
        );
      }
      if (peakN > maxMeasuredConcurrency) {
        notes.push(
          `the USL peak (N* = ${Number.isFinite(peakN) ? fmt(peakN, 3) : '∞'}) lies beyond the highest measured concurrency ${fmt(maxMeasuredConcurrency, 3)}: capacity taken at the measured edge (a lower bound)`,
        );
      }
      if (distinct < 6) notes.push(`USL fitted on only ${distinct} concurrency levels: treat σ and κ as rough`);
      if (fit.rSquared < 0.9) notes.push(`the USL fits loosely (R² ${fmt(fit.rSquared, 3)}): the measurements may be noisy (shared host?)`);
    } else {
      notes.push(
        `the USL fit was rejected (R² ${fmt(fit.rSquared, 3)}, relative RMS error ${fmt(usl.relativeRmse * 100, 3)}%; needs R² ≥ ${MIN_USL_R_SQUARED} and ≤ ${MAX_USL_RELATIVE_RMSE * 100}%): the find-max steps do not trace one throughput curve (noisy host, or a cold first step); linear per-core capacity used instead`,
      );
    }
  } else {
    notes.push(`only ${distinct} distinct concurrency levels (USL needs ≥ ${MIN_USL_POINTS}, at least 20% apart): linear per-core capacity assumed`);
  }
  if (perCore === null) {
    // The highest rate seen meeting the SLO: the find-max's, or autocannon's when it met the SLO too.
    const crossPassed = cross !== null && cross.clean && slo !== null && cross.p99Ms <= slo;
    if (crossPassed && cross.rps > (highestPassing ?? 0)) {
      perCore = measured(
        cross.rps,
        `autocannon ${cross.connections} connections: ${fmt(cross.rps)} RPS at p99 ${fmtMs(cross.p99Ms)} ≤ SLO ${fmtMs(slo!)}, above the find-max's ${highestPassing === null ? 'none' : `${fmt(highestPassing)} RPS`} (closed loop, so its p99 is not corrected for coordinated omission; it replays a small request set, so more of it hits the cache than the scenario's mix: optimistic)`,
      );
    } else {
      const capacity = highestPassing !== null && highestPassing > 0 ? highestPassing : maxObservedRps;
      perCore = measured(
        capacity,
        highestPassing !== null && highestPassing > 0
          ? `find-max highest passing rate ${fmt(capacity)} RPS (one engine process)`
          : `highest achieved ${fmt(capacity)} RPS (one engine process)`,
      );
    }
  }
  if (cross !== null && highestPassing !== null && cross.rps > 2 * highestPassing) {
    notes.push(
      `autocannon reached ${fmt(cross.rps)} RPS (p99 ${fmtMs(cross.p99Ms)}) where the find-max held only ${fmt(highestPassing)} RPS: latency outliers on a busy host end open-model steps early`,
    );
  }
  // serve --workers N answered with N processes: the measured capacity is theirs, one core each
  const workers = serverWorkers(section.server);
  if (workers > 1) perCore = measured(perCore.value / workers, `${perCore.detail}, ÷ ${workers} worker processes (the server's authz_perf_workers)`);
  const serviceTimeMs = 1000 / perCore.value;
  const lowest = steps.reduce((a, b) => (b.achievedRps < a.achievedRps ? b : a));
  const base = Math.max(0, lowest.p50Ms - serviceTimeMs);
  const baseLatencyMs = measured(base, `lowest-load step p50 ${fmtMs(lowest.p50Ms)} − service time ${fmtMs(serviceTimeMs)} (network, client, parsing)`);

  const memory = defaultMemory();
  const server = isObject(section.server) ? section.server : null;
  const rss = server ? num(server.rssBytes) : null;
  if (rss !== null && rss > 0) {
    memory.baseRssBytes = measured(rss, 'server RSS under load (loadtest; already holds its policies and cache: conservative)');
  } else {
    notes.push('the loadtest report has no server RSS: base memory is a default constant');
  }
  const cacheHitRate = server ? num(server.cacheHitRate) : null;
  const serverCpuPerCoreRps = utilisationLawCapacity(server, config, allSteps, cross);
  if (serverCpuPerCoreRps !== null) {
    const ratio = perCore.value / serverCpuPerCoreRps;
    notes.push(
      `cross-check by the utilisation law: the server spent its CPU at ${fmt(serverCpuPerCoreRps)} requests per CPU-second (warm-up requests not counted, so a lower bound); the capacity used is ${fmt(ratio * 100, 3)}% of that${
        ratio < 0.5 ? ': latency, not CPU, ended the find-max (noisy or shared host?), so the sizing is conservative' : ''
      }`,
    );
  }

  return {
    kind: 'loadtest',
    source: `loadtest report ${file}`,
    file,
    scenario,
    ...envelopeInfo(report),
    capacityModel: useUsl ? 'usl' : 'linear',
    perCoreRps: perCore,
    measuredUnitCores: workers,
    usl,
    serviceTimeMs,
    baseLatencyMs,
    measuredCacheHitRate: cacheHitRate,
    sloP99Ms: slo,
    memory,
    maxObservedRps,
    serverCpuPerCoreRps,
    notes: [
      ...notes,
      workers > 1
        ? `the server ran ${workers} worker processes: its measured capacity is taken as ${workers} cores`
        : 'the reference server is one Node.js process: its measured capacity is taken as one core',
      ...(useUsl ? ['σ and κ were fitted on in-flight concurrency of that one process; applying them to the cores of a replica assumes cores contend alike'] : []),
      ...(cacheHitRate !== null ? [`capacity reflects the measured cache hit rate ${fmt(cacheHitRate * 100)}%`] : []),
    ],
  };
}

/** Concurrency levels at least 20% apart: 0.83, 0.88 and 0.91 in-flight requests are one level, not three. */
export function concurrencyLevels(values: readonly number[]): number {
  const sorted = [...values].filter((v) => v > 0).sort((a, b) => a - b);
  let levels = 0;
  let start = -Infinity;
  for (const v of sorted) {
    if (v > start * 1.2) {
      levels++;
      start = v;
    }
  }
  return levels;
}

/**
 * Requests per CPU-second of the server over the whole find-max (utilisation law D = U ÷ X):
 * (Σ achieved rate × step duration + the autocannon run's requests) ÷ server CPU seconds. Null when the report lacks either.
 */
function utilisationLawCapacity(server: Json | null, config: Json | null, steps: readonly FindMaxStep[], cross: AutocannonRun | null): number | null {
  const cpuSeconds = server ? num(server.cpuSeconds) : null;
  const stage = config && Array.isArray(config.stages) && isObject(config.stages[0]) ? config.stages[0] : null;
  const stepS = stage ? num(stage.durationS) : null;
  if (cpuSeconds === null || !(cpuSeconds > 0) || stepS === null || !(stepS > 0)) return null;
  const requests = steps.reduce((sum, s) => sum + s.achievedRps * stepS, 0) + (cross ? cross.rps * cross.durationS : 0);
  return requests > 0 ? requests / cpuSeconds : null;
}

interface AutocannonRun {
  connections: number;
  durationS: number;
  rps: number;
  p99Ms: number;
  /** no errors and no non-2xx answers */
  clean: boolean;
}

function readAutocannon(findMax: Json): AutocannonRun | null {
  const a = isObject(findMax.autocannon) ? findMax.autocannon : null;
  if (!a) return null;
  const [connections, durationS, rps, p99Ms] = [a.connections, a.durationS, a.rps, a.p99Ms].map(num);
  if (connections == null || durationS == null || rps == null || p99Ms == null || !(connections > 0) || !(rps > 0)) return null;
  return { connections, durationS, rps, p99Ms, clean: num(a.errors) === 0 && num(a.non2xx) === 0 };
}

/** Worker processes the server view counted (serve --workers N), else 1. */
function serverWorkers(server: unknown): number {
  const n = isObject(server) ? num(server.workers) : null;
  return n !== null && Number.isInteger(n) && n > 1 ? n : 1;
}
