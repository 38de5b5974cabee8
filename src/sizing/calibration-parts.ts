/** What the bench and loadtest calibrators share: sourced figures, default memory, the options and the report's envelope facts. */
import { DEFAULTS } from './defaults.js';
import { isObject, num } from '../util/json-values.js';
import type { Calibration, SourcedFigure } from './types.js';

export type Json = Record<string, unknown>;

export const measured = (value: number, detail: string): SourcedFigure => ({ value, source: 'measured', detail });
export const byDefault = (value: number, detail = 'default constant (not measured)'): SourcedFigure => ({ value, source: 'default', detail });

export function defaultMemory(): Calibration['memory'] {
  return {
    baseRssBytes: byDefault(DEFAULTS.baseRssBytes),
    bytesPerPolicy: byDefault(DEFAULTS.bytesPerPolicy, 'reference constant (not measured)'),
    bytesPerCacheEntry: byDefault(DEFAULTS.bytesPerCacheEntry),
    bytesPerConnection: byDefault(DEFAULTS.bytesPerConnection),
    bytesPerDbConnection: byDefault(DEFAULTS.bytesPerDbConnection),
  };
}

export interface CalibrateOptions {
  /** which bench scenario to read (default: the first with check tasks) */
  scenario?: string;
  /** blend for bench cached/uncached checks */
  cacheHitRate?: number;
  /** policy documents per scenario name, when the scenario could be loaded: turns retained heap into bytes per policy */
  policyCounts?: Readonly<Record<string, number>>;
}

export function envelopeInfo(report: Json): Pick<Calibration, 'measuredAt' | 'measuredOn'> {
  const env = isObject(report.environment) ? report.environment : null;
  const cores = env ? num(env.cores) : null;
  return {
    measuredAt: typeof report.startedAt === 'string' ? report.startedAt : null,
    measuredOn: env && typeof env.cpuModel === 'string' && cores !== null ? { cpuModel: env.cpuModel, cores } : null,
  };
}
