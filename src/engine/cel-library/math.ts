/**
 * cel-go's ext.Math (version 2, as in Cerbos 0.55) under the `math` namespace: greatest/least
 * (one list or up to eight numbers; int, uint and double compare by value and the winner keeps
 * its type), abs, sign, ceil, floor, round (half away from zero), trunc, sqrt, isNaN, isInf,
 * isFinite, and the 64-bit bit operations on int and uint (bitShiftRight is a logical shift).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { UnsignedInt, compareNumeric, fail, isNumeric, typeName, type Numeric } from './values.js';

const MIN_INT = -(2n ** 63n);

function numeric(v: unknown, fn: string): Numeric {
  if (isNumeric(v)) return v;
  return fail(`${fn}: expected a number, got ${typeName(v)}`);
}

function double(v: unknown, fn: string): number {
  const n = numeric(v, fn);
  return typeof n === 'number' ? n : Number(n.valueOf());
}

function extreme(args: unknown[], fn: string, pick: 1 | -1): Numeric {
  const values = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (values.length === 0) return fail(`${fn}(): invalid single argument value`);
  let best = numeric(values[0], fn);
  for (let i = 1; i < values.length; i++) {
    const v = numeric(values[i], fn);
    const c = compareNumeric(v, best);
    if (c === undefined) return fail(`${fn}: NaN is not comparable`);
    if (c * pick > 0) best = v;
  }
  return best;
}

export function abs(v: unknown): Numeric {
  const n = numeric(v, 'math.abs');
  if (typeof n === 'bigint') {
    if (n === MIN_INT) return fail('integer overflow');
    return n < 0n ? -n : n;
  }
  return typeof n === 'number' ? Math.abs(n) : n;
}

export function sign(v: unknown): Numeric {
  const n = numeric(v, 'math.sign');
  if (typeof n === 'bigint') return n > 0n ? 1n : n < 0n ? -1n : 0n;
  if (n instanceof UnsignedInt) return new UnsignedInt(n.valueOf() > 0n ? 1n : 0n);
  return Number.isNaN(n) ? n : n > 0 ? 1 : n < 0 ? -1 : 0;
}

/** Rounds half away from zero (Go's math.Round). */
export function round(d: number): number {
  if (!Number.isFinite(d)) return d;
  const r = Math.sign(d) * Math.round(Math.abs(d));
  return r === 0 ? Math.sign(d) * 0 : r;
}

type IntLike = bigint | UnsignedInt;

function intLike(v: unknown, fn: string): IntLike {
  if (typeof v === 'bigint' || v instanceof UnsignedInt) return v;
  return fail(`${fn}: expected int or uint, got ${typeName(v)}`);
}

/** Applies a 64-bit operation; the result keeps the (first) operand's type. */
function bits(a: unknown, b: unknown, fn: string, op: (x: bigint, y: bigint) => bigint): IntLike {
  const x = intLike(a, fn);
  const y = intLike(b, fn);
  if (typeof x !== typeof y || (x instanceof UnsignedInt) !== (y instanceof UnsignedInt)) return fail(`${fn}: operands must have the same type`);
  if (x instanceof UnsignedInt) return new UnsignedInt(BigInt.asUintN(64, op(x.valueOf(), (y as UnsignedInt).valueOf())));
  return BigInt.asIntN(64, op(x, y as bigint));
}

function shift(a: unknown, n: unknown, fn: string, left: boolean): IntLike {
  const x = intLike(a, fn);
  if (typeof n !== 'bigint') return fail(`${fn}: the offset must be an int`);
  if (n < 0n) return fail(`${fn}() negative offset: ${n}`);
  const u = BigInt.asUintN(64, x instanceof UnsignedInt ? x.valueOf() : x);
  const shifted = n >= 64n ? 0n : BigInt.asUintN(64, left ? u << n : u >> n);
  return x instanceof UnsignedInt ? new UnsignedInt(shifted) : BigInt.asIntN(64, shifted);
}

class MathNamespace {}

export function registerMath(env: Environment): void {
  env.registerType('MathNamespace', MathNamespace).registerConstant('math', 'MathNamespace', new MathNamespace());
  for (let arity = 1; arity <= 8; arity++) {
    const params = new Array(arity).fill('dyn').join(', ');
    env
      .registerFunction(`MathNamespace.greatest(${params}): dyn`, (_ns: unknown, ...args: unknown[]) => extreme(args, 'math.greatest', 1))
      .registerFunction(`MathNamespace.least(${params}): dyn`, (_ns: unknown, ...args: unknown[]) => extreme(args, 'math.least', -1));
  }
  const unaryDouble: Array<[string, (d: number) => unknown]> = [
    ['ceil', Math.ceil],
    ['floor', Math.floor],
    ['round', round],
    ['trunc', Math.trunc],
    ['sqrt', Math.sqrt],
    ['isNaN', Number.isNaN],
    ['isInf', (d) => d === Infinity || d === -Infinity],
    ['isFinite', Number.isFinite],
  ];
  for (const [name, fn] of unaryDouble) {
    const returns = name.startsWith('is') ? 'bool' : 'double';
    env.registerFunction(`MathNamespace.${name}(dyn): ${returns}`, (_ns: unknown, v: unknown) => {
      // ceil/floor/round/trunc/isNaN/isInf/isFinite take doubles only; sqrt takes any number
      if (name !== 'sqrt' && typeof v !== 'number') return fail(`math.${name}: expected a double, got ${typeName(v)}`);
      return fn(double(v, `math.${name}`));
    });
  }
  env
    .registerFunction('MathNamespace.abs(dyn): dyn', (_ns: unknown, v: unknown) => abs(v))
    .registerFunction('MathNamespace.sign(dyn): dyn', (_ns: unknown, v: unknown) => sign(v))
    .registerFunction('MathNamespace.bitAnd(dyn, dyn): dyn', (_ns: unknown, a: unknown, b: unknown) => bits(a, b, 'math.bitAnd', (x, y) => x & y))
    .registerFunction('MathNamespace.bitOr(dyn, dyn): dyn', (_ns: unknown, a: unknown, b: unknown) => bits(a, b, 'math.bitOr', (x, y) => x | y))
    .registerFunction('MathNamespace.bitXor(dyn, dyn): dyn', (_ns: unknown, a: unknown, b: unknown) => bits(a, b, 'math.bitXor', (x, y) => x ^ y))
    .registerFunction('MathNamespace.bitNot(dyn): dyn', (_ns: unknown, a: unknown) => {
      const x = intLike(a, 'math.bitNot');
      return x instanceof UnsignedInt ? new UnsignedInt(BigInt.asUintN(64, ~x.valueOf())) : ~x;
    })
    .registerFunction('MathNamespace.bitShiftLeft(dyn, dyn): dyn', (_ns: unknown, a: unknown, n: unknown) => shift(a, n, 'math.bitShiftLeft', true))
    .registerFunction('MathNamespace.bitShiftRight(dyn, dyn): dyn', (_ns: unknown, a: unknown, n: unknown) => shift(a, n, 'math.bitShiftRight', false));
}
