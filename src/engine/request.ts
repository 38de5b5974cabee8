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


function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function nonEmptyString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new RequestShapeError(field, v === undefined ? 'is required' : 'must be a non-empty string');
  return v;
}

function stringList(v: unknown, field: string): string[] {
  if (v === undefined) throw new RequestShapeError(field, 'is required');
  if (!Array.isArray(v) || v.length === 0) throw new RequestShapeError(field, 'must be a non-empty list of strings');
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' || v[i] === '') throw new RequestShapeError(`${field}[${i}]`, 'must be a non-empty string');
  return v as string[];
}

/** Cerbos scopes: dot-separated segments of letters, digits, `_` and `-` ("" is the root scope). */
const SCOPE = /^(?:[A-Za-z0-9][\w-]*(?:\.[\w-]+)*)?$/;

function scopeOf(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !SCOPE.test(v)) throw new RequestShapeError(field, 'must be a scope like "acme.hr.uk" (letters, digits, _ and - between dots)');
  return v;
}

function attributes(v: unknown, field: string): Attributes | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new RequestShapeError(field, 'must be an object');
  return v as Attributes;
}

const JWT_FIELDS = new Set(['token', 'keySetId']);

/** Cerbos's `auxData: { jwt: { token, keySetId? } }`; unknown fields are refused, as Cerbos does. */
function auxDataOf(v: unknown): AuxData | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new RequestShapeError('auxData', 'must be an object');
  for (const key of Object.keys(v)) if (key !== 'jwt') throw new RequestShapeError(`auxData.${key}`, 'unknown field (auxData takes jwt)');
  const jwt = own(v, 'jwt');
  if (jwt === undefined || jwt === null) return {};
  if (!isObject(jwt)) throw new RequestShapeError('auxData.jwt', 'must be an object');
  for (const key of Object.keys(jwt)) if (!JWT_FIELDS.has(key)) throw new RequestShapeError(`auxData.jwt.${key}`, 'unknown field (auxData.jwt takes token and keySetId)');
  const token = nonEmptyString(own(jwt, 'token'), 'auxData.jwt.token');
  const keySetId = own(jwt, 'keySetId');
  if (keySetId === undefined || keySetId === '') return { jwt: { token } };
  return { jwt: { token, keySetId: nonEmptyString(keySetId, 'auxData.jwt.keySetId') } };
}

/** The body as a CheckRequest (only the known fields are kept), or a RequestShapeError. */
export function toCheckRequest(body: unknown): CheckRequest {
  if (!isObject(body)) throw new RequestShapeError('body', 'must be a JSON object');
  const requestId = own(body, 'requestId');
  if (requestId !== undefined && typeof requestId !== 'string') throw new RequestShapeError('requestId', 'must be a string');
  const includeMeta = own(body, 'includeMeta');
  if (includeMeta !== undefined && typeof includeMeta !== 'boolean') throw new RequestShapeError('includeMeta', 'must be a boolean');

  const p = own(body, 'principal');
  if (!isObject(p)) throw new RequestShapeError('principal', p === undefined ? 'is required' : 'must be an object');
  const principal: CheckRequest['principal'] = {
    id: nonEmptyString(own(p, 'id'), 'principal.id'),
    roles: stringList(own(p, 'roles'), 'principal.roles'),
  };
  const pAttr = attributes(own(p, 'attr'), 'principal.attr');
  if (pAttr !== undefined) principal.attr = pAttr;
  const pVersion = own(p, 'policyVersion');
  if (pVersion !== undefined && pVersion !== '') principal.policyVersion = nonEmptyString(pVersion, 'principal.policyVersion');
  const pScope = scopeOf(own(p, 'scope'), 'principal.scope');
  if (pScope !== undefined) principal.scope = pScope;

  const list = own(body, 'resources');
  if (list === undefined) throw new RequestShapeError('resources', 'is required');
  if (!Array.isArray(list) || list.length === 0) throw new RequestShapeError('resources', 'must be a non-empty list');
  const resources: ResourceEntry[] = new Array<ResourceEntry>(list.length);
  for (let i = 0; i < list.length; i++) {
    const f = `resources[${i}]`;
    const entry: unknown = list[i];
    if (!isObject(entry)) throw new RequestShapeError(f, 'must be an object');
    const r = own(entry, 'resource');
    if (!isObject(r)) throw new RequestShapeError(`${f}.resource`, r === undefined ? 'is required' : 'must be an object');
    const resource: ResourceEntry['resource'] = {
      kind: nonEmptyString(own(r, 'kind'), `${f}.resource.kind`),
      id: nonEmptyString(own(r, 'id'), `${f}.resource.id`),
    };
    const rAttr = attributes(own(r, 'attr'), `${f}.resource.attr`);
    if (rAttr !== undefined) resource.attr = rAttr;
    const version = own(r, 'policyVersion');
    if (version !== undefined && version !== '') resource.policyVersion = nonEmptyString(version, `${f}.resource.policyVersion`);
    const rScope = scopeOf(own(r, 'scope'), `${f}.resource.scope`);
    if (rScope !== undefined) resource.scope = rScope;
    resources[i] = { resource, actions: stringList(own(entry, 'actions'), `${f}.actions`) };
  }
  const req: CheckRequest = { principal, resources };
  if (requestId !== undefined) req.requestId = requestId;
  if (includeMeta === true) req.includeMeta = true;
  const auxData = auxDataOf(own(body, 'auxData'));
  if (auxData?.jwt !== undefined) req.auxData = auxData;
  return req;
}
