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
  return {
    peakRps: options.peakRps,
    p99TargetMs,
    p99TargetSource,
    scenario: options.scenario ?? calibration.scenario,
    policies: options.policies ?? DEFAULTS.policies,
    cacheSize: options.cacheSize ?? DEFAULTS.cacheSize,
    cacheHitRate: options.cacheHitRate ?? calibration.measuredCacheHitRate ?? DEFAULTS.cacheHitRate,
    ha: options.ha ?? false,
    headroom: options.headroom ?? DEFAULTS.headroom,
    cpuPerReplica: options.cpuPerReplica ?? DEFAULTS.cpuPerReplica,
    dbMaxConnections: options.dbMaxConnections ?? DEFAULTS.dbMaxConnections,
    poolSize: options.poolSize ?? DEFAULTS.poolSize,
  };
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
