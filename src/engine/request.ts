/**
 * Validates a parsed JSON body as a Cerbos CheckResources request. Failures name the offending
 * field (`resources[2].actions[0]`), so a 400 tells the client exactly what to fix.
 */
import type { Attributes, AuxData, CheckRequest, ResourceEntry } from './types.js';
import { isObject } from '../util/json-values.js';

/** Where Cerbos (and `authz-perf serve`) answer CheckResources requests. */
export const CHECK_PATH = '/api/check/resources';

export class RequestShapeError extends Error {
  override readonly name: string = 'RequestShapeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}


/*
 * Fields are read as plain properties: a body comes from JSON.parse, whose objects inherit from
 * Object.prototype, which has none of the names read here (an own "__proto__" key from JSON.parse
 * is an ordinary property and changes no prototype). Field names for error messages are built
 * only when a field is refused, so a valid request allocates no strings here.
 */

function nonEmptyString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw stringError(v, field);
  return v;
}

function stringError(v: unknown, field: string): RequestShapeError {
  return new RequestShapeError(field, v === undefined ? 'is required' : 'must be a non-empty string');
}

/** Null when `v` is a non-empty list of non-empty strings; else where (after the field) and why not. */
function stringListFault(v: unknown): { at: string; message: string } | null {
  if (v === undefined) return { at: '', message: 'is required' };
  if (!Array.isArray(v) || v.length === 0) return { at: '', message: 'must be a non-empty list of strings' };
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== 'string' || s === '') return { at: `[${i}]`, message: 'must be a non-empty string' };
  }
  return null;
}

function stringList(v: unknown, field: string): string[] {
  const fault = stringListFault(v);
  if (fault !== null) throw new RequestShapeError(field + fault.at, fault.message);
  return v as string[];
}

/** Cerbos scopes: dot-separated segments of letters, digits, `_` and `-` ("" is the root scope). */
const SCOPE = /^(?:[A-Za-z0-9][\w-]*(?:\.[\w-]+)*)?$/;
const SCOPE_MESSAGE = 'must be a scope like "acme.hr.uk" (letters, digits, _ and - between dots)';

/** `v` is absent (undefined, null or "", the root scope) or a well-formed scope. */
function isScope(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (typeof v === 'string' && SCOPE.test(v));
}

function scopeOf(v: unknown, field: string): string | undefined {
  if (!isScope(v)) throw new RequestShapeError(field, SCOPE_MESSAGE);
  return v === null || v === '' ? undefined : (v as string | undefined);
}

function isAttributes(v: unknown): boolean {
  return v === undefined || v === null || isObject(v);
}

function attributes(v: unknown, field: string): Attributes | undefined {
  if (!isAttributes(v)) throw new RequestShapeError(field, 'must be an object');
  return v === null ? undefined : (v as Attributes | undefined);
}

const JWT_FIELDS = new Set(['token', 'keySetId']);

/** Cerbos's `auxData: { jwt: { token, keySetId? } }`; unknown fields are refused, as Cerbos does. */
function auxDataOf(v: unknown): AuxData | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new RequestShapeError('auxData', 'must be an object');
  for (const key of Object.keys(v)) if (key !== 'jwt') throw new RequestShapeError(`auxData.${key}`, 'unknown field (auxData takes jwt)');
  const jwt = v.jwt;
  if (jwt === undefined || jwt === null) return {};
  if (!isObject(jwt)) throw new RequestShapeError('auxData.jwt', 'must be an object');
  for (const key of Object.keys(jwt)) if (!JWT_FIELDS.has(key)) throw new RequestShapeError(`auxData.jwt.${key}`, 'unknown field (auxData.jwt takes token and keySetId)');
  const token = nonEmptyString(jwt.token, 'auxData.jwt.token');
  const keySetId = jwt.keySetId;
  if (keySetId === undefined || keySetId === '') return { jwt: { token } };
  return { jwt: { token, keySetId: nonEmptyString(keySetId, 'auxData.jwt.keySetId') } };
}

/** The body as a CheckRequest (only the known fields are kept), or a RequestShapeError. */
export function toCheckRequest(body: unknown): CheckRequest {
  if (!isObject(body)) throw new RequestShapeError('body', 'must be a JSON object');
  const requestId = body.requestId;
  if (requestId !== undefined && typeof requestId !== 'string') throw new RequestShapeError('requestId', 'must be a string');
  const includeMeta = body.includeMeta;
  if (includeMeta !== undefined && typeof includeMeta !== 'boolean') throw new RequestShapeError('includeMeta', 'must be a boolean');

  const p = body.principal;
  if (!isObject(p)) throw new RequestShapeError('principal', p === undefined ? 'is required' : 'must be an object');
  const principal: CheckRequest['principal'] = {
    id: nonEmptyString(p.id, 'principal.id'),
    roles: stringList(p.roles, 'principal.roles'),
  };
  const pAttr = attributes(p.attr, 'principal.attr');
  if (pAttr !== undefined) principal.attr = pAttr;
  const pVersion = p.policyVersion;
  if (pVersion !== undefined && pVersion !== '') principal.policyVersion = nonEmptyString(pVersion, 'principal.policyVersion');
  const pScope = scopeOf(p.scope, 'principal.scope');
  if (pScope !== undefined) principal.scope = pScope;

  const list = body.resources;
  if (list === undefined) throw new RequestShapeError('resources', 'is required');
  if (!Array.isArray(list) || list.length === 0) throw new RequestShapeError('resources', 'must be a non-empty list');
  const resources: ResourceEntry[] = new Array<ResourceEntry>(list.length);
  for (let i = 0; i < list.length; i++) resources[i] = resourceEntry(list[i], i);
  const req: CheckRequest = { principal, resources };
  if (requestId !== undefined) req.requestId = requestId;
  if (includeMeta === true) req.includeMeta = true;
  const auxData = auxDataOf(body.auxData);
  if (auxData?.jwt !== undefined) req.auxData = auxData;
  return req;
}

/** `resources[i]` as a ResourceEntry; the field names of a refusal are built only then. */
function resourceEntry(entry: unknown, i: number): ResourceEntry {
  if (!isObject(entry)) throw new RequestShapeError(`resources[${i}]`, 'must be an object');
  const r = entry.resource;
  if (!isObject(r)) throw new RequestShapeError(`resources[${i}].resource`, r === undefined ? 'is required' : 'must be an object');
  const kind = r.kind;
  if (typeof kind !== 'string' || kind === '') throw stringError(kind, `resources[${i}].resource.kind`);
  const id = r.id;
  if (typeof id !== 'string' || id === '') throw stringError(id, `resources[${i}].resource.id`);
  const resource: ResourceEntry['resource'] = { kind, id };
  const attr = r.attr;
  if (!isAttributes(attr)) throw new RequestShapeError(`resources[${i}].resource.attr`, 'must be an object');
  if (attr !== undefined && attr !== null) resource.attr = attr as Attributes;
  const version = r.policyVersion;
  if (version !== undefined && version !== '') {
    if (typeof version !== 'string') throw stringError(version, `resources[${i}].resource.policyVersion`);
    resource.policyVersion = version;
  }
  const scope = r.scope;
  if (!isScope(scope)) throw new RequestShapeError(`resources[${i}].resource.scope`, SCOPE_MESSAGE);
  if (scope !== undefined && scope !== null && scope !== '') resource.scope = scope as string;
  const actions = entry.actions;
  const fault = stringListFault(actions);
  if (fault !== null) throw new RequestShapeError(`resources[${i}].actions${fault.at}`, fault.message);
  return { resource, actions: actions as string[] };
}
