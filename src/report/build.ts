import { SCHEMA_VERSION, TOOL_NAME, type CommandName, type Environment, type ReportEnvelope } from './types.js';
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
