/**
 * Sizing: `planSize(options, calibration)` → the report's `size` section. Pure.
 *   calibration: defaultCalibration() | calibrationFromReport(json, file, …)
 *   output: k8sManifests(section, { name }) for `--format k8s`
 */
import { DEFAULTS, WHAT_IF_LEVELS, defaultConstants } from './defaults.js';
import { sizeFor, whatIf } from './model.js';
import type { Calibration, SizeInputs, SizeSection } from './types.js';

export { defaultCalibration, calibrationFromReport, DEFAULT_SOURCE } from './calibrate.js';
export { k8sManifests } from './k8s.js';
export { fitUsl, uslThroughput, uslPeakConcurrency } from './usl.js';
export { WHAT_IF_LEVELS } from './defaults.js';
export type * from './types.js';

export interface SizeOptions {
  peakRps: number;
  /** --p99 */
  p99TargetMs?: number;
  scenario?: string;
  /** the named scenario's SLO p99, when the scenario was loaded */
  scenarioSloP99Ms?: number;
  /** policy documents in the named scenario's policy folder */
  scenarioPolicies?: number;
  /** the named scenario's share of repeated requests: its expected cache hit rate */
  scenarioRepeatShare?: number;
  policies?: number;
  cacheSize?: number;
  cacheHitRate?: number;
  ha?: boolean;
  headroom?: number;
  cpuPerReplica?: number;
  dbMaxConnections?: number;
  poolSize?: number;
  /** RPS levels for the what-if table; [] for none */
  whatIfLevels?: readonly number[];
}

/** Resolves each input from the flag, then what calibration measured, then the documented default. */
export function resolveInputs(options: SizeOptions, calibration: Calibration): SizeInputs {
  let p99TargetMs: number = DEFAULTS.p99TargetMs;
  let p99TargetSource = 'default';
  if (options.p99TargetMs !== undefined) [p99TargetMs, p99TargetSource] = [options.p99TargetMs, '--p99'];
  else if (options.scenarioSloP99Ms !== undefined) [p99TargetMs, p99TargetSource] = [options.scenarioSloP99Ms, `scenario ${options.scenario ?? ''} SLO`];
  else if (calibration.sloP99Ms !== null) [p99TargetMs, p99TargetSource] = [calibration.sloP99Ms, 'SLO in the calibrating report'];
  const [policies, policiesSource] = firstOf<number>([
    [options.policies, '--policies'],
    [options.scenarioPolicies, `policies in scenario ${options.scenario ?? ''}`],
    [DEFAULTS.policies, 'default'],
  ]);
  const [cacheHitRate, cacheHitRateSource] = firstOf<number>([
    [options.cacheHitRate, '--cache-hit-rate'],
    [calibration.measuredCacheHitRate ?? undefined, 'measured by the calibrating loadtest'],
    [options.scenarioRepeatShare, `repeat share of scenario ${options.scenario ?? ''}`],
    [DEFAULTS.cacheHitRate, 'default'],
  ]);
  return {
    peakRps: options.peakRps,
    p99TargetMs,
    p99TargetSource,
    scenario: options.scenario ?? calibration.scenario,
    policies,
    policiesSource,
    cacheSize: options.cacheSize ?? DEFAULTS.cacheSize,
    cacheHitRate,
    cacheHitRateSource,
    ha: options.ha ?? false,
    headroom: options.headroom ?? DEFAULTS.headroom,
    cpuPerReplica: options.cpuPerReplica ?? DEFAULTS.cpuPerReplica,
    dbMaxConnections: options.dbMaxConnections ?? DEFAULTS.dbMaxConnections,
    poolSize: options.poolSize ?? DEFAULTS.poolSize,
  };
}

/** The first defined value with its source label (the last candidate is always defined). */
function firstOf<T>(candidates: Array<[T | undefined, string]>): [T, string] {
  const found = candidates.find(([v]) => v !== undefined) ?? candidates[candidates.length - 1]!;
  return [found[0] as T, found[1]];
}

export function planSize(options: SizeOptions, calibration: Calibration): SizeSection {
  const inputs = resolveInputs(options, calibration);
  const levels = [...new Set([...(options.whatIfLevels ?? WHAT_IF_LEVELS)])].sort((a, b) => a - b);
  return {
    inputs,
    calibration,
    result: sizeFor(inputs, calibration),
    whatIf: whatIf(inputs, calibration, levels),
    defaults: defaultConstants(),
  };
}
