/**
 * Loading a saved report: JSON syntax errors with file:line:column, a clear refusal of newer or
 * unknown schema versions, then the schema check; an older version is upgraded to the current
 * shape. The result is a typed Report.
 */
import { InputError } from '../util/errors.js';
import { SCHEMA_VERSION, TOOL_NAME, type Report } from './types.js';
import { findJsonSyntaxError, locateJsonPointer, positionOf } from './json-locate.js';
import { validateReportShape } from './schema.js';
import { upgradeReport } from './upgrade.js';

/** Parses and checks report text read from `file` (the name is only used in messages). */
export function loadReport(text: string, file: string): Report {
  const value = parseJson(text, file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('not an authz-perf report: expected a JSON object', { file, line: 1, column: 1 });
  }
  const record = value as Record<string, unknown>;
  if (record.tool !== TOOL_NAME) {
    throw new InputError(`not an authz-perf report (its "tool" is ${JSON.stringify(record.tool ?? null)}, expected "${TOOL_NAME}")`, at(text, file, '/tool'));
  }
  checkSchemaVersion(record.schemaVersion, text, file);
  const problems = validateReportShape(value);
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new InputError(`invalid report: ${first.message}${more}`, at(text, file, first.pointer));
  }
  try {
    return upgradeReport(record);
  } catch (err) {
    // a schema-valid older report whose section does not have that version's shape
    throw new InputError(`invalid report: its ${String(record.command)} section cannot be read as schemaVersion ${String(record.schemaVersion)} (${(err as Error).message})`, { file, line: 1, column: 1 });
  }
}

function checkSchemaVersion(version: unknown, text: string, file: string): void {
  const name = file;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new InputError(
      `report ${name} has ${version === undefined ? 'no schemaVersion' : `an unknown schemaVersion ${JSON.stringify(version)}`}; this authz-perf reads schemaVersion 1 to ${SCHEMA_VERSION}`,
      at(text, file, version === undefined ? '' : '/schemaVersion'),
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new InputError(
      `report ${name} has schemaVersion ${version}; this authz-perf reads up to ${SCHEMA_VERSION} (upgrade authz-perf to read it)`,
      at(text, file, '/schemaVersion'),
    );
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const found = findJsonSyntaxError(text);
    if (found) {
      throw new InputError(`not valid JSON: expected ${found.expected}`, { file, line: found.line, column: found.column }, { cause: err });
    }
    const position = /at position (\d+)/.exec(String(err))?.[1];
    const where = position !== undefined ? positionOf(text, Number(position)) : { line: 1, column: 1 };
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file, line: where.line, column: where.column }, { cause: err });
  }
}

function at(text: string, file: string, pointer: string): { file: string; line?: number; column?: number } {
  const pos = locateJsonPointer(text, pointer);
  return pos ? { file, line: pos.line, column: pos.column } : { file };
}
