/**
 * Calibration: per-core capacity, latency floor and memory figures, from a saved bench report, a
 * loadtest --find-max report, or the documented defaults. Reads only the cross-room contract fields
 * (BenchSection.scenarios[].tasks/memory, LoadtestSection.findMax/server) and checks their shapes,
 * so a report from another version fails with a clear InputError, not a NaN.
 */
import { InputError } from '../util/errors.js';
import { isObject } from '../util/json-values.js';
import { DEFAULTS } from './defaults.js';
import type { Calibration } from './types.js';
import { byDefault, defaultMemory, type CalibrateOptions } from './calibration-parts.js';
import { fromBench } from './calibrate-bench.js';
import { fromLoadtest } from './calibrate-loadtest.js';

export type { CalibrateOptions } from './calibration-parts.js';

export const DEFAULT_SOURCE = 'default constants (not measured)';

export function defaultCalibration(): Calibration {
  return {
    kind: 'default',
    source: DEFAULT_SOURCE,
    file: null,
    scenario: null,
    measuredAt: null,
    measuredOn: null,
    capacityModel: 'linear',
    perCoreRps: byDefault(DEFAULTS.perCoreRps, 'reference constant 250m CPU per 1,000 RPS (not measured)'),
    measuredUnitCores: 1,
    usl: null,
    serviceTimeMs: 1000 / DEFAULTS.perCoreRps,
    baseLatencyMs: byDefault(DEFAULTS.baseLatencyMs),
    measuredCacheHitRate: null,
    sloP99Ms: null,
    memory: defaultMemory(),
    maxObservedRps: null,
    serverCpuPerCoreRps: null,
    notes: ['no calibration: capacity and memory are default constants, not measurements of this engine (use --from REPORT.json, or --measure to run a short find-max now)'],
  };
}

/** Dispatches on the report's `command`. `file` is used in messages and the source label. */
export function calibrationFromReport(report: unknown, file: string, options: CalibrateOptions = {}): Calibration {
  if (!isObject(report)) throw new InputError('not a report: expected a JSON object', { file });
  const command = report.command;
  if (command === 'bench') return fromBench(report, file, options);
  if (command === 'loadtest') return fromLoadtest(report, file, options);
  throw new InputError(
    `cannot calibrate from a ${typeof command === 'string' ? `'${command}'` : 'non-authz-perf'} report: --from takes a bench or loadtest --find-max report`,
    { file },
  );
}
