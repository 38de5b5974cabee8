/**
 * Cerbos's own reason for not starting, as one line. Cerbos logs JSON lines; a failed start logs
 * an error record and then `cerbos: error: ...`. Policy problems come in two shapes:
 *   - "Index build failed" with arrays of objects naming a file (`file` or `importing_file`), a
 *     message (`error_details.message`, `error`, `desc`) and a `position` {line, column};
 *   - "Failed to start server" whose `error` text lists `file:line:column: message` lines
 *     (compilation errors such as invalid CEL).
 * Paths in these messages are relative to the store folder.
 */
import { num } from '../util/json-values.js';

export interface StartupFailure {
  /** relative to the policy folder, when Cerbos named one */
  file?: string;
  line?: number;
  column?: number;
  message: string;
  /** further located failures Cerbos reported besides this one */
  more: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const STANDARD_KEYS = new Set(['log.level', '@timestamp', 'log.logger', 'message']);

/** The first located failure in Cerbos's log lines, else its last error message, else the last line. */
export function startupFailure(lines: readonly string[]): StartupFailure {
  const records = lines.map(parseRecord).filter((r): r is JsonObject => r !== null);
  const errors = records.filter((r) => r['log.level'] === 'error');
  const located: Array<Omit<StartupFailure, 'more'>> = [];
  for (const record of errors) {
    for (const [key, value] of Object.entries(record)) if (!STANDARD_KEYS.has(key)) collectLocated(value, located);
    const text = record['error'];
    if (typeof text === 'string') located.push(...locatedLines(text));
  }
  if (located.length > 0) return { ...located[0]!, more: located.length - 1 };
  const failed = [...errors].reverse().find((r) => typeof r['error'] === 'string');
  if (failed) return { message: oneLine(String(failed['error'])), more: 0 };
  const cliError = [...lines].reverse().find((l) => l.startsWith('cerbos: error:'));
  if (cliError) return { message: oneLine(cliError.slice('cerbos: error:'.length)), more: 0 };
  const last = [...lines].reverse().find((l) => l.trim() !== '');
  return { message: last === undefined ? 'no output' : oneLine(last), more: 0 };
}

function parseRecord(line: string): JsonObject | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as Json;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function collectLocated(value: Json, out: Array<Omit<StartupFailure, 'more'>>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectLocated(v, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const file = str(value['file']) ?? str(value['importing_file']);
  if (file === undefined) return;
  const details = obj(value['error_details']);
  const position = obj(details?.['position']) ?? obj(value['position']);
  const duplicateOf = str(value['other_file']);
  const message =
    str(details?.['message']) ??
    str(value['error']) ??
    str(value['desc']) ??
    (duplicateOf !== undefined ? `duplicate definition of ${str(value['policy']) ?? 'a policy'} (also in ${duplicateOf})` : 'invalid policy');
  const line = num(position?.['line']) ?? undefined;
  const column = num(position?.['column']) ?? undefined;
  out.push({ file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}), message: oneLine(message) });
}

const LOCATED_LINE = /^\s*(\S[^\n]*?\.(?:ya?ml|json)):(\d+):(\d+):\s*(.+)$/gm;

function locatedLines(text: string): Array<Omit<StartupFailure, 'more'>> {
  const out: Array<Omit<StartupFailure, 'more'>> = [];
  for (const m of text.matchAll(LOCATED_LINE)) out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), message: oneLine(m[4]!) });
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function obj(v: Json | undefined): JsonObject | undefined {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}
