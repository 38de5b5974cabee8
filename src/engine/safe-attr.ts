/**
 * cel-js decides a value's CEL type from `value.constructor`, so an attribute literally named
 * `constructor` (legal JSON) would make every condition touching that map fail. Attributes named
 * `__proto__`, `constructor` or `prototype` are therefore dropped from the CEL view of a request,
 * as cel-js itself drops them from map literals: they change no prototype and no decision.
 * The walk copies nothing unless such a key is present.
 */
const OBJECT_PROTO: unknown = Object.prototype;

// runs on every uncached check: one for…in per object, primitives never recursed into, no
// hasOwnProperty calls (JSON keys are enumerable; cel-js only trips over `constructor`, which
// the named read catches even when it is a non-enumerable own property)
function needsCopy(v: object, depth: number): boolean {
  if (depth > 64) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null && needsCopy(x, depth + 1)) return true;
    }
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  const ctor: unknown = (v as { constructor?: unknown }).constructor;
  if (proto === OBJECT_PROTO) {
    if (ctor !== Object) return true;
  } else if (proto !== null) return false;
  else if (ctor !== undefined) return true;
  for (const k in v) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null && needsCopy(x, depth + 1)) return true;
  }
  return false;
}

function copy(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null || depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = copy((v as Record<string, unknown>)[k], depth + 1);
  }
  return out;
}

/** `attr` itself when it is safe for CEL, else a copy without the unsafe keys (at any depth). */
export function celSafeAttr<T>(attr: T): T {
  return typeof attr === 'object' && attr !== null && needsCopy(attr, 0) ? (copy(attr, 0) as T) : attr;
}
