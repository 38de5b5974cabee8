/**
 * `string.format(list)` as cel-go's ext.Strings defines it: `%s` (any value as text), `%d`,
 * `%f`/`%.Nf`, `%e`/`%.Ne`, `%x`/`%X` (int, uint, string or bytes as hex), `%o`, `%b`, `%%`.
 * Cerbos rejects a bad clause or a missing argument when the policy compiles; here they are
 * evaluation errors.
 */
import { Duration, UnsignedInt, fail, isNumeric, mapEntries, typeName, type Numeric } from './values.js';

/** A double as Go's strconv.FormatFloat(d, 'f', -1, 64): shortest digits, never an exponent. */
function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? '+Inf' : '-Inf';
  if (Object.is(d, -0)) return '-0';
  if (Number.isInteger(d)) return BigInt(d).toString();
  const text = String(d);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  // JavaScript switched to exponent form (|d| < 1e-6); write the digits out
  const [, sign, lead, frac = '', exp] = m;
  const digits = lead! + frac;
  const point = 1 + Number(exp);
  return point <= 0 ? `${sign}0.${'0'.repeat(-point)}${digits}` : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** `%.Nf`: like toFixed, but an exact tie rounds to even, as Go does. */
function fixed(d: number, precision: number): string {
  const scaled = d * 10 ** precision;
  if (Number.isFinite(scaled) && Math.abs(scaled % 1) === 0.5) {
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    return (even / 10 ** precision).toFixed(precision);
  }
  return d.toFixed(precision);
}

function formatDuration(d: Duration): string {
  const nanos = d.seconds * 1_000_000_000n + BigInt(d.nanos);
  const neg = nanos < 0n;
  const abs = neg ? -nanos : nanos;
  const secs = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${secs}${frac ? `.${frac}` : ''}s`;
}

function formatTimestamp(t: Date): string {
  return t.toISOString().replace(/\.000Z$/, 'Z');
}

/** A value as `%s` prints it. */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatDouble(v);
  if (v instanceof UnsignedInt) return String(v.valueOf());
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return formatTimestamp(v);
  if (v instanceof Duration) return formatDuration(v);
  if (Array.isArray(v)) return `[${v.map(asText).join(', ')}]`;
  if (typeof v === 'object' && typeName(v) === 'map') {
    const entries = mapEntries(v as Record<string, unknown>).map(([k, x]) => [asText(k), asText(x)] as const);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
  }
  return String(v);
}

function integer(v: unknown, verb: string): bigint {
  if (typeof v === 'bigint') return v;
  if (v instanceof UnsignedInt) return v.valueOf();
  return fail(`format: %${verb} expects an integer, got ${typeName(v)}`);
}

function radix(v: unknown, base: number, verb: string): string {
  const n = integer(v, verb);
  return n < 0n ? `-${(-n).toString(base)}` : n.toString(base);
}

function exponent(d: number, precision: number): string {
  return d.toExponential(precision).replace(/e([+-])(\d)$/, 'e$10$2');
}

function fixedArg(v: unknown, verb: string): number {
  if (typeof v === 'number') return v;
  if (isNumeric(v)) return Number((v as Numeric).valueOf());
  return fail(`format: %${verb} expects a number, got ${typeName(v)}`);
}

function hex(v: unknown): string {
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return radix(v, 16, 'x');
}

export function formatString(template: string, args: readonly unknown[]): string {
  let out = '';
  let next = 0;
  const clause = /%(?:\.(\d+))?([a-zA-Z%])/y;
  for (let i = 0; i < template.length; ) {
    const ch = template[i]!;
    if (ch !== '%') {
      out += ch;
      i++;
      continue;
    }
    clause.lastIndex = i;
    const m = clause.exec(template);
    if (!m) return fail(`could not parse formatting clause at ${i}`);
    i = clause.lastIndex;
    const verb = m[2]!;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (next >= args.length) return fail(`index ${next} out of range`);
    const arg = args[next++];
    const precision = m[1] === undefined ? undefined : Number(m[1]);
    switch (verb) {
      case 's':
        out += asText(arg);
        break;
      case 'd':
        out += typeof arg === 'number' ? formatDouble(arg) : String(integer(arg, 'd'));
        break;
      case 'f':
        out += fixed(fixedArg(arg, 'f'), precision ?? 6);
        break;
      case 'e':
        out += exponent(fixedArg(arg, 'e'), precision ?? 6);
        break;
      case 'x':
        out += hex(arg);
        break;
      case 'X':
        out += hex(arg).toUpperCase();
        break;
      case 'o':
        out += radix(arg, 8, 'o');
        break;
      case 'b':
        out += typeof arg === 'boolean' ? (arg ? '1' : '0') : radix(arg, 2, 'b');
        break;
      default:
        return fail(`could not parse formatting clause: unrecognized formatting clause "${verb}"`);
    }
  }
  return out;
}
