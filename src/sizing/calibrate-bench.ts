/** Calibration from a saved bench report: per-core capacity from the check tasks, memory from the probe. */
import { InputError } from '../util/errors.js';
import { isObject, num } from '../util/json-values.js';
import { DEFAULTS } from './defaults.js';
import type { Calibration, SourcedFigure } from './types.js';
import { fmt, fmtBytes, fmtMs } from './text.js';
import { byDefault, defaultMemory, envelopeInfo, measured, type CalibrateOptions, type Json } from './calibration-parts.js';

interface TaskFigures {
  id: string;
  meanNs: number;
  /** relative margin of error of the mean, percent (null when the report has none) */
  rmePercent: number | null;
}

/** Above this margin of error a bench figure is too noisy to size from without a warning. */
const NOISY_RME_PERCENT = 20;
/** A round trip this many times the check + HTTP work is mostly waiting, not work. */
const ROUNDTRIP_SUSPECT_FACTOR = 10;

function readTasks(scenario: Json, file: string): TaskFigures[] {
  if (!Array.isArray(scenario.tasks)) throw new InputError(`bench scenario '${String(scenario.scenario)}' has no tasks array`, { file });
  const tasks: TaskFigures[] = [];
  for (const t of scenario.tasks) {
    if (!isObject(t) || typeof t.id !== 'string') continue;
    const meanNs = num(t.meanNs);
    if (meanNs !== null && meanNs > 0) tasks.push({ id: t.id, meanNs, rmePercent: num(t.rmePercent) });
  }
  return tasks;
}

export function fromBench(report: Json, file: string, options: CalibrateOptions): Calibration {
  const section = report.bench;
  if (!isObject(section) || !Array.isArray(section.scenarios)) throw new InputError('bench report has no bench.scenarios', { file });
  const scenarios = section.scenarios.filter(isObject);
  const hasChecks = (s: Json): boolean =>
    Array.isArray(s.tasks) && readTasks(s, file).some((t) => t.id === 'check-uncached' || t.id === 'check-cached');
  const names = scenarios.map((s) => String(s.scenario));
  const chosen = options.scenario
    ? scenarios.find((s) => s.scenario === options.scenario)
    : scenarios.find(hasChecks);
  if (!chosen) {
    throw new InputError(
      options.scenario
        ? `bench report has no scenario '${options.scenario}' (it has: ${names.join(', ') || 'none'})`
        : 'bench report has no scenario with check-uncached or check-cached tasks',
      { file },
    );
  }
  const scenarioName = String(chosen.scenario);
  const tasks = readTasks(chosen, file);
  const uncached = tasks.find((t) => t.id === 'check-uncached');
  const cached = tasks.find((t) => t.id === 'check-cached');
  if (!uncached && !cached) throw new InputError(`bench scenario '${scenarioName}' has no check-uncached or check-cached task`, { file });
  const notes: string[] = [];

  const hit = options.cacheHitRate ?? DEFAULTS.cacheHitRate;
  let checkNs: number;
  let checkDetail: string;
  if (uncached && cached) {
    checkNs = hit * cached.meanNs + (1 - hit) * uncached.meanNs;
    checkDetail = `bench ${scenarioName}: ${fmt(hit * 100)}% × check-cached ${fmt(cached.meanNs)} ns + ${fmt((1 - hit) * 100)}% × check-uncached ${fmt(uncached.meanNs)} ns`;
  } else {
    const only = (uncached ?? cached)!;
    checkNs = only.meanNs;
    checkDetail = `bench ${scenarioName}: ${only.id} ${fmt(only.meanNs)} ns (no ${uncached ? 'cached' : 'uncached'} task to blend)`;
    notes.push(`bench report has only ${only.id}: --cache-hit-rate cannot be applied`);
  }

  // The engine check alone is not a request: add the HTTP work around it. A sequential round trip
  // is latency (client, loopback, scheduling), not server CPU, so it sets the base latency instead.
  const roundtrip = tasks.find((t) => t.id === 'http-roundtrip');
  const overheadNs = DEFAULTS.httpOverheadNs;
  const overheadDetail = `HTTP parse + serialise ${fmt(overheadNs)} ns (default constant, not measured)`;
  const serviceNs = checkNs + overheadNs;
  const perCoreRps = 1e9 / serviceNs;
  let baseLatencyMs: SourcedFigure = byDefault(0, 'bench has no network round trip: 0 (run bench --http to measure one)');
  if (roundtrip) {
    const baseNs = Math.max(0, roundtrip.meanNs - serviceNs);
    baseLatencyMs = measured(
      baseNs / 1e6,
      `http-roundtrip ${fmt(roundtrip.meanNs)} ns − service time ${fmt(serviceNs)} ns (loopback, client, one request in flight)`,
    );
    if (baseNs > ROUNDTRIP_SUSPECT_FACTOR * serviceNs) {
      notes.push(
        `the HTTP round trip (${fmtMs(roundtrip.meanNs / 1e6)}) is over ${ROUNDTRIP_SUSPECT_FACTOR}× the check + HTTP work (${fmtMs(serviceNs / 1e6)}): on a busy host it is mostly waiting for a CPU, so the base latency is overstated (re-run bench on a quiet machine)`,
      );
    }
  } else {
    notes.push('no http-roundtrip task (bench --http): base latency 0, add your network round trip when reading the p99');
  }
  if (uncached && cached && cached.meanNs > uncached.meanNs) {
    notes.push(`check-cached (${fmt(cached.meanNs)} ns) is slower than check-uncached (${fmt(uncached.meanNs)} ns): the bench figures look noisy`);
  }
  const used = [uncached, cached, roundtrip].filter((t): t is TaskFigures => t !== undefined);
  const noisy = used.filter((t) => t.rmePercent !== null && t.rmePercent > NOISY_RME_PERCENT);
  if (noisy.length > 0) {
    notes.push(
      `noisy bench figures (${noisy.map((t) => `${t.id} ±${fmt(t.rmePercent!, 2)}%`).join(', ')}): capacity is uncertain by as much; re-run bench on a quiet machine or without --quick`,
    );
  }

  const memory = defaultMemory();
  const mem = isObject(chosen.memory) ? chosen.memory : null;
  const retained = mem ? num(mem.retainedEngineBytes) : null;
  const policyCount = options.policyCounts?.[scenarioName] ?? null;
  if (retained !== null && retained > 0 && policyCount !== null && policyCount > 0) {
    memory.bytesPerPolicy = measured(
      retained / policyCount,
      `engine and ${scenarioName} policy set retained ${fmtBytes(retained)} (bench) ÷ ${policyCount} policies (engine overhead included: conservative)`,
    );
  } else if (retained !== null && retained > 0) {
    memory.baseRssBytes = measured(
      DEFAULTS.baseRssBytes + retained,
      `default runtime ${fmtBytes(DEFAULTS.baseRssBytes)} + engine and ${scenarioName} policy set retained ${fmtBytes(retained)} (bench)`,
    );
  }
  const perCheck = mem ? num(mem.bytesPerCheck) : null;
  if (perCheck !== null && perCheck > 0) {
    memory.bytesPerCacheEntry = measured(perCheck, 'bytes allocated per uncached check (bench): upper bound of one cached decision');
  }

  return {
    kind: 'bench',
    source: `bench report ${file}`,
    file,
    scenario: scenarioName,
    ...envelopeInfo(report),
    capacityModel: 'linear',
    perCoreRps: measured(perCoreRps, `1e9 ÷ (${fmt(checkNs)} ns check + ${fmt(overheadNs)} ns HTTP); ${checkDetail}; ${overheadDetail}`),
    measuredUnitCores: 1,
    usl: null,
    serviceTimeMs: serviceNs / 1e6,
    baseLatencyMs,
    measuredCacheHitRate: null,
    sloP99Ms: null,
    memory,
    maxObservedRps: null,
    serverCpuPerCoreRps: null,
    notes: [...notes, 'bench measures one core in-process: linear per-core capacity assumed (no contention measured; use a loadtest --find-max report for a USL fit)'],
  };
}

/** The part of a loadtest find-max step the calibration reads. */
