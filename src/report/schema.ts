/**
 * JSON Schema (draft-07) of a saved report, and its validator (Ajv). The schema pins the envelope
 * and requires the command's own section as an object; each section's inner shape is its room's
 * TypeScript type (src/<room>/types.ts) and is checked by its renderer's use, not here.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SCHEMA_VERSION, TOOL_NAME, type CommandName } from './types.js';

/** The report property that holds each command's section. */
export const SECTION_KEYS: { readonly [C in CommandName]: string } = {
  bench: 'bench',
  loadtest: 'loadtest',
  'analyze-cel': 'celAnalysis',
  explain: 'explain',
  size: 'size',
  verify: 'verify',
  doctor: 'doctor',
  compare: 'compare',
};

export const COMMANDS = Object.keys(SECTION_KEYS) as CommandName[];

const ISO_UTC = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$';

/** The schema as a plain object (printed by `authz-perf report --schema`). */
export const REPORT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: `https://github.com/authz-perf/authz-perf/schema/report-v${SCHEMA_VERSION}.json`,
  title: 'authz-perf report',
  description: 'One run of an authz-perf subcommand: envelope plus the command section.',
  type: 'object',
  required: ['schemaVersion', 'tool', 'version', 'command', 'args', 'startedAt', 'finishedAt', 'environment'],
  properties: {
    schemaVersion: { type: 'integer', minimum: 1, maximum: SCHEMA_VERSION },
    tool: { const: TOOL_NAME },
    version: { type: 'string', minLength: 1 },
    command: { enum: COMMANDS },
    args: { type: 'array', items: { type: 'string' } },
    startedAt: { type: 'string', pattern: ISO_UTC },
    finishedAt: { type: 'string', pattern: ISO_UTC },
    interrupted: { type: 'boolean' },
    warnings: { type: 'array', items: { type: 'string' } },
    environment: {
      type: 'object',
      required: ['cpuModel', 'cores', 'totalMemoryBytes', 'nodeVersion', 'os', 'gitSha', 'loadGeneratorSharedHost'],
      properties: {
        cpuModel: { type: 'string' },
        cores: { type: 'integer', minimum: 0 },
        totalMemoryBytes: { type: 'number', minimum: 0 },
        nodeVersion: { type: 'string' },
        os: { type: 'string' },
        gitSha: { type: ['string', 'null'] },
        loadGeneratorSharedHost: { type: ['boolean', 'null'] },
      },
    },
  },
  allOf: COMMANDS.map((command) => ({
    if: { properties: { command: { const: command } }, required: ['command'] },
    then: { required: [SECTION_KEYS[command]], properties: { [SECTION_KEYS[command]]: { type: 'object' } } },
  })),
} as const;

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(REPORT_SCHEMA);
  return validator;
}

export interface SchemaProblem {
  /** JSON pointer of the offending value ('' = the root) */
  pointer: string;
  message: string;
}

/** Schema problems of a parsed report (empty when it is valid). */
export function validateReportShape(value: unknown): SchemaProblem[] {
  const validate = compiled();
  if (validate(value)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
}

function describe(e: ErrorObject): SchemaProblem {
  const where = e.instancePath || '(root)';
  switch (e.keyword) {
    case 'required':
      return { pointer: e.instancePath, message: `${where} is missing "${String(e.params.missingProperty)}"` };
    case 'enum':
      return { pointer: e.instancePath, message: `${where} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { pointer: e.instancePath, message: `${where} must be ${JSON.stringify(e.params.allowedValue)}` };
    default:
      return { pointer: e.instancePath, message: `${where} ${e.message ?? 'is invalid'}` };
  }
}
