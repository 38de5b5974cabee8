/**
 * Cerbos schema enforcement: a resource policy's `schemas.principalSchema` / `resourceSchema`
 * (`ref: cerbos:///<path>` under the policy folder's `_schemas/`) validate `principal.attr` and
 * `resource.attr` with ajv (draft-07, 2019-09 or 2020-12 by the schema's `$schema`). Each schema
 * file is compiled once; each policy keeps its compiled pair. As in Cerbos 0.55: a schema's
 * `ignoreWhen.actions` skips it when every requested action matches one of them; errors are
 * returned as `validationErrors` ({path, message, source}, messages worded as Cerbos words them
 * for the common keywords); under `reject` an entry with errors has every action denied.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { InputError } from '../util/errors.js';
import { actionPattern, type CompiledResourcePolicy, type PolicySet } from './policy-set.js';
import type { SchemaRef } from './policy-source.js';
import type { Attributes } from './types.js';

export type SchemaEnforcement = 'none' | 'warn' | 'reject';
export const SCHEMA_ENFORCEMENTS: readonly SchemaEnforcement[] = ['none', 'warn', 'reject'];

export interface ValidationError {
  /** JSON pointer into the attributes (`/` for the object itself) */
  path: string;
  message: string;
  source: 'SOURCE_PRINCIPAL' | 'SOURCE_RESOURCE';
}

interface CompiledRef {
  validate: ValidateFunction;
  ignore: RegExp[];
}

interface PolicyValidators {
  principal: CompiledRef | null;
  resource: CompiledRef | null;
}

export class SchemaValidator {
  private readonly byPolicy = new Map<CompiledResourcePolicy, PolicyValidators>();

  private constructor(
    readonly enforcement: Exclude<SchemaEnforcement, 'none'>,
    policySet: PolicySet,
  ) {
    const schemaDir = path.join(policySet.dir, '_schemas');
    const byFile = new Map<string, ValidateFunction>();
    const compile = (ref: SchemaRef | undefined): CompiledRef | null => {
      if (ref === undefined) return null;
      const rel = ref.ref.slice('cerbos:///'.length);
      const file = path.resolve(schemaDir, rel);
      let validate = byFile.get(file);
      if (validate === undefined) {
        validate = compileSchemaFile(file, ref);
        byFile.set(file, validate);
      }
      return { validate, ignore: ref.ignoreActions.map(actionPattern) };
    };
    for (const policy of policySet.resourcePolicies) {
      if (policy.schemas === undefined) continue;
      this.byPolicy.set(policy, { principal: compile(policy.schemas.principal), resource: compile(policy.schemas.resource) });
    }
  }

  /** Compiles every schema the policies reference; a missing or invalid one is an InputError at its `ref`. */
  static create(policySet: PolicySet, enforcement: SchemaEnforcement): SchemaValidator | null {
    if (enforcement === 'none') return null;
    return new SchemaValidator(enforcement, policySet);
  }

  /** How many policies declare schemas. */
  get policies(): number {
    return this.byPolicy.size;
  }

  /** Validation errors for one resource entry under the chain's policies (the most specific that has schemas). */
  validate(levels: readonly CompiledResourcePolicy[], principalAttr: Attributes | undefined, resourceAttr: Attributes | undefined, actions: readonly string[]): ValidationError[] | null {
    let validators: PolicyValidators | undefined;
    for (let i = 0; i < levels.length && validators === undefined; i++) validators = this.byPolicy.get(levels[i]!);
    if (validators === undefined) return null;
    let errors: ValidationError[] | null = null;
    for (const [ref, attr, source] of [
      [validators.principal, principalAttr, 'SOURCE_PRINCIPAL'],
      [validators.resource, resourceAttr, 'SOURCE_RESOURCE'],
    ] as const) {
      if (ref === null || ignored(ref, actions)) continue;
      if (ref.validate(attr ?? {})) continue;
      errors ??= [];
      for (const e of ref.validate.errors ?? []) {
        const error = cerbosError(e, source);
        // Cerbos names every missing property of an object in one error
        const same = e.keyword === 'required' ? errors.find((x) => x.source === source && x.path === error.path && x.message.startsWith('missing properties: ')) : undefined;
        if (same) same.message += `, ${error.message.slice('missing properties: '.length)}`;
        else errors.push(error);
      }
    }
    return errors;
  }
}

function ignored(ref: CompiledRef, actions: readonly string[]): boolean {
  return ref.ignore.length > 0 && actions.length > 0 && actions.every((a) => ref.ignore.some((p) => p.test(a)));
}

function compileSchemaFile(file: string, ref: SchemaRef): ValidateFunction {
  const at = { file: ref.location.file, line: ref.location.line, column: ref.location.column };
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`schema ${ref.ref}: ${code === 'ENOENT' ? 'not found in _schemas' : code ? `cannot read (${code})` : `invalid JSON (${(err as Error).message})`}`, at);
  }
  const draft = typeof schema === 'object' && schema !== null ? String((schema as Record<string, unknown>)['$schema'] ?? '') : '';
  const options = { allErrors: true, verbose: true, strict: false, validateFormats: false } as const;
  const ajv = draft.includes('2020-12') ? new Ajv2020(options) : draft.includes('2019-09') ? new Ajv2019(options) : new Ajv(options);
  try {
    return ajv.compile(schema as object);
  } catch (err) {
    throw new InputError(`schema ${ref.ref}: ${(err as Error).message.split('\n')[0]}`, at);
  }
}

/** An ajv error as Cerbos reports it: the path of the object holding the problem, Cerbos's wording. */
export function cerbosError(e: ErrorObject, source: ValidationError['source']): ValidationError {
  const p = e.params as Record<string, unknown>;
  const pathOf = (ptr: string): string => (ptr === '' ? '/' : ptr);
  let message = e.message ?? e.keyword;
  switch (e.keyword) {
    case 'required':
      message = `missing properties: '${String(p['missingProperty'])}'`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `must be ${String(p['comparison'])} ${String(p['limit'])} but found ${JSON.stringify(e.data)}`;
      break;
    case 'type':
      message = `expected ${String(p['type'])}, but got ${jsonType(e.data)}`;
      break;
    case 'additionalProperties':
      message = `additionalProperties '${String(p['additionalProperty'])}' not allowed`;
      break;
    case 'enum':
      message = `value must be one of ${((p['allowedValues'] as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'pattern':
      message = `'${String(e.data)}' does not match pattern '${String(p['pattern'])}'`;
      break;
  }
  return { path: pathOf(e.instancePath), message, source };
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
