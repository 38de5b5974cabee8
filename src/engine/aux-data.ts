/**
 * Cerbos auxiliary data: the claims of a JWT sent as `auxData.jwt.token`. With a JSON Web Key Set
 * the token is verified (signature, `exp`, `nbf`) with jose; without one it is only decoded, and
 * `exp`/`nbf` are still checked, as Cerbos 0.55 does with `disableVerification: true`. A token
 * that fails either way makes the whole request fail with Cerbos's `invalid auxData` (HTTP 400),
 * as does a `keySetId` other than the configured key set's id when verifying.
 * Claims reach conditions as Cerbos 0.55 shows them (checked against `cerbos server`): `aud` is
 * always a list of strings, `exp`/`iat`/`nbf` are RFC 3339 UTC strings (`timestamp(...)` reads
 * them), every other claim is kept as decoded.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { InputError } from '../util/errors.js';
import type { AttrValue, AuxData } from './types.js';

export interface JwtOptions {
  /** verify tokens against these keys; without it tokens are decoded, not verified */
  keySet?: JSONWebKeySet;
  /** the key set's id; a request naming another `keySetId` is refused (any id is accepted when unset) */
  keySetId?: string;
  /** the clock `exp`/`nbf` are checked against (ms since the epoch); default Date.now */
  now?: () => number;
}

/** Printed once by the caller when tokens are decoded without verification. */
export const UNVERIFIED_NOTICE = 'JWTs in auxData are decoded without verifying their signature (no JWKS given); give a JWKS file to verify them';

export class AuxDataError extends Error {
  override readonly name = 'AuxDataError';
  readonly field = 'auxData.jwt.token';
  constructor(readonly reason: string) {
    // Cerbos answers this exact message; the reason is kept for logs and tests
    super('invalid auxData');
  }
}

export interface JwtDecoder {
  /** the claims of the request's JWT (undefined when it has none), or an AuxDataError */
  claims(aux: AuxData | undefined): Promise<Record<string, AttrValue> | undefined>;
  /** true when tokens are verified against a key set */
  readonly verifies: boolean;
}

/** Seconds since the epoch as Go prints a time.Time: RFC 3339, UTC, fraction only when present. */
function rfc3339(seconds: number): string {
  const iso = new Date(Math.round(seconds * 1000)).toISOString();
  return iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}

/** The claims as Cerbos exposes them to CEL. */
export function normalizeClaims(payload: JWTPayload): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = { ...(payload as Record<string, AttrValue>) };
  if (typeof payload.aud === 'string') out.aud = [payload.aud];
  for (const key of ['exp', 'iat', 'nbf'] as const) {
    const v = payload[key];
    if (typeof v === 'number') out[key] = rfc3339(v);
  }
  return out;
}

function checkTimes(payload: JWTPayload, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.exp === 'number' && now >= payload.exp) throw new AuxDataError('token expired');
  if (typeof payload.nbf === 'number' && now < payload.nbf) throw new AuxDataError('token not valid yet');
}

export function createJwtDecoder(options: JwtOptions = {}): JwtDecoder {
  const now = options.now ?? Date.now;
  const keys = options.keySet ? createLocalJWKSet(options.keySet) : undefined;
  return {
    verifies: keys !== undefined,
    async claims(aux) {
      const jwt = aux?.jwt;
      if (jwt === undefined) return undefined;
      let payload: JWTPayload;
      if (keys) {
        if (jwt.keySetId !== undefined && options.keySetId !== undefined && jwt.keySetId !== options.keySetId) {
          throw new AuxDataError(`unknown keySetId ${JSON.stringify(jwt.keySetId)}`);
        }
        try {
          ({ payload } = await jwtVerify(jwt.token, keys, { currentDate: new Date(now()) }));
        } catch (err) {
          throw new AuxDataError((err as Error).message);
        }
      } else {
        try {
          payload = decodeJwt(jwt.token);
        } catch (err) {
          throw new AuxDataError((err as Error).message);
        }
        checkTimes(payload, now());
      }
      return normalizeClaims(payload);
    },
  };
}

/** A JWKS file's text as a key set, or an InputError naming the file. */
export function parseJwks(text: string, file: string): JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not a JSON Web Key Set: ${(err as Error).message}`, { file });
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string')) {
    throw new InputError('not a JSON Web Key Set: expected {"keys": [{"kty": ...}, ...]}', { file });
  }
  return doc as JSONWebKeySet;
}
