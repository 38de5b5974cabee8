/**
 * How cel-js represents CEL values at run time, and the CEL equality and ordering the library
 * functions need: int is a bigint, uint an UnsignedInt, double a number, bytes a Uint8Array,
 * timestamp a Date, duration a Duration, list an array, map a plain object or a Map.
 */
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';

export { Duration, UnsignedInt };

/** A CEL runtime error; the engine reads any error in a condition as `false`, as Cerbos does. */
export class CelFunctionError extends Error {
  override readonly name = 'CelFunctionError';
}

export function fail(message: string): never {
  throw new CelFunctionError(message);
}

export type Numeric = bigint | number | UnsignedInt;

export function isNumeric(v: unknown): v is Numeric {
  return typeof v === 'bigint' || typeof v === 'number' || v instanceof UnsignedInt;
}

/** The numeric value as a JS number or bigint (uint unwrapped), for cross-type comparison. */
function numericValue(v: Numeric): bigint | number {
  return v instanceof UnsignedInt ? v.valueOf() : v;
}

/** Compares two numbers of any CEL numeric type exactly (NaN compares as undefined). */
export function compareNumeric(a: Numeric, b: Numeric): number | undefined {
  const x = numericValue(a);
  const y = numericValue(b);
  if (typeof x === 'number' && Number.isNaN(x)) return undefined;
  if (typeof y === 'number' && Number.isNaN(y)) return undefined;
  if (typeof x === typeof y) return x < y ? -1 : x > y ? 1 : 0;
  // bigint against double: compare without losing the bigint's precision
  const big = typeof x === 'bigint' ? x : (y as bigint);
  const dbl = typeof x === 'number' ? x : (y as number);
  let c: number;
  if (!Number.isFinite(dbl)) c = dbl > 0 ? -1 : 1;
  else {
    const t = Math.trunc(dbl);
    const bt = BigInt(t);
    c = big < bt ? -1 : big > bt ? 1 : dbl === t ? 0 : dbl > t ? -1 : 1;
  }
  return typeof x === 'bigint' ? c : -c;
}

/** A CEL map: a Map, or a plain object (JSON attributes, map literals). */
function isMapValue(v: unknown): v is Record<string, unknown> | Map<unknown, unknown> {
  if (v instanceof Map) return true;
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function mapEntries(m: Record<string, unknown> | Map<unknown, unknown>): Array<[unknown, unknown]> {
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}

/** CEL equality: numbers compare across int/uint/double, lists and maps element-wise. */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  if (isNumeric(a)) return isNumeric(b) && compareNumeric(a, b) === 0;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!celEquals(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Duration) return b instanceof Duration && a.seconds === b.seconds && a.nanos === b.nanos;
  if (isMapValue(a) && isMapValue(b)) {
    const ea = mapEntries(a);
    const eb = mapEntries(b);
    if (ea.length !== eb.length) return false;
    return ea.every(([k, v]) => {
      // plain-object maps hold int keys as strings (as cel-js map literals do)
      const hit = eb.find(([k2]) => celEquals(k, k2) || String(k) === String(k2));
      return hit !== undefined && celEquals(v, hit[1]);
    });
  }
  const eq = (a as { equals?: (o: unknown) => boolean }).equals;
  return typeof eq === 'function' ? eq.call(a, b) : false;
}

/** Index of `x` in `list` under CEL equality (strings and booleans take the fast path). */
export function celIndexOf(list: readonly unknown[], x: unknown): number {
  if (typeof x === 'string' || typeof x === 'boolean') return list.indexOf(x);
  for (let i = 0; i < list.length; i++) if (celEquals(list[i], x)) return i;
  return -1;
}

/** A list argument, or a CEL error naming the function. */
export function asList(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return fail(`${fn}: expected a list, got ${typeName(v)}`);
}

export function asInt(v: unknown, fn: string): bigint {
  if (typeof v === 'bigint') return v;
  return fail(`${fn}: expected an int, got ${typeName(v)}`);
}

export function asString(v: unknown, fn: string): string {
  if (typeof v === 'string') return v;
  return fail(`${fn}: expected a string, got ${typeName(v)}`);
}

/** The CEL type name of a runtime value, for error messages and same-type checks. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null_type';
  switch (typeof v) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      break;
  }
  if (v instanceof UnsignedInt) return 'uint';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  if (v instanceof Duration) return 'google.protobuf.Duration';
  if (isMapValue(v)) return 'map';
  return (v as object).constructor?.name ?? 'object';
}

function durationNanos(d: Duration): bigint {
  return d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/**
 * CEL ordering for sort/sortBy: both values must have the same orderable type (int, uint,
 * double, string, bool, bytes, timestamp, duration), otherwise a CEL error.
 */
export function celCompare(a: unknown, b: unknown, fn: string): number {
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return fail(`${fn}: list elements must have the same type`);
  switch (ta) {
    case 'int':
    case 'uint':
    case 'double':
      return compareNumeric(a as Numeric, b as Numeric) ?? 0;
    case 'string':
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 'bool':
      return Number(a) - Number(b);
    case 'bytes': {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    }
    case 'google.protobuf.Timestamp':
      return (a as Date).getTime() - (b as Date).getTime();
    case 'google.protobuf.Duration': {
      const d = durationNanos(a as Duration) - durationNanos(b as Duration);
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    }
    default:
      return fail(`${fn}: values of type ${ta} cannot be ordered`);
  }
}
