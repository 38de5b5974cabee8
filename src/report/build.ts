import { SCHEMA_VERSION, TOOL_NAME, type CommandName, type Environment, type LoadtestReport, type ReportEnvelope } from './types.js';
import type { LoadtestSection } from '../load/types.js';
import { VERSION } from '../util/version.js';

/** The envelope every report starts with; the command adds its own section. */
export function reportEnvelope<C extends CommandName>(
  command: C,
  args: string[],
  startedAt: Date,
  finishedAt: Date,
  environment: Environment,
): ReportEnvelope<C> {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: TOOL_NAME,
    version: VERSION,
    command,
    args,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    environment,
  };
}

/**
 * A loadtest section another tool measured (k6, Locust) with its envelope. The environment is
 * the runners', which we do not know: `runners` describes them (e.g. "k6 run").
 */
export function importedLoadtestReport(section: LoadtestSection, args: string[], runners: string, startedAt: Date, finishedAt: Date): LoadtestReport {
  const environment: Environment = {
    cpuModel: `unknown (${runners})`,
    cores: 0,
    totalMemoryBytes: 0,
    nodeVersion: '',
    os: 'unknown',
    gitSha: null,
    loadGeneratorSharedHost: null,
  };
  return { ...reportEnvelope('loadtest', args, startedAt, finishedAt, environment), loadtest: section };
}
